"""Every path of supervision and accountability (督办/问责) through the real engine,
on the supervision case a major lead opens: resolved, continued to the next
report period, escalated rung by rung (催办 → 通报 → 约谈 → 限期整改 → 问责) up to
the accountability record, and escalated automatically when a report is missed."""
from datetime import date, timedelta

import pytest

from domain.models import AccountabilityRecord, Lead, SupervisionCase, Unit
from engine.store.models import HumanTask, Timer
from tests import scenario_support as s
from tests.scenario_support import beijing, local_date

campaign = s.campaign  # the fixture: the four processes deployed, demo units and users


@pytest.fixture
def case(campaign):
    """The supervision case of a major lead dispatched to market regulation: (campaign, case id, instance id)."""
    campaign.dispatched_lead(unit="market", major=True)
    [row] = campaign.all(SupervisionCase)
    return campaign, row.id, row.instance_id


def test_supervision_ends_when_the_office_finds_the_problem_resolved(case):
    c, case_id, instance_id = case
    c.clock.advance(days=2)
    c.complete("report_progress", s.supervision_report(completed="true"), instance_id, actor="market.officer")
    review = c.task("review_progress", instance_id)
    assert review.candidate_group_list == ["office"]
    c.complete("review_progress", s.supervision_review("resolved"), instance_id)

    row = c.get(SupervisionCase, case_id)
    assert (row.status, row.closed_at, row.stage) == ("closed", c.clock.now(), None)
    assert c.instance(instance_id).status == "completed"
    [closed] = c.domain_events("supervision.updated", case_id=case_id)
    assert (closed.data["status"], closed.instance_id, closed.actor) == ("closed", instance_id, "office.officer")
    assert c.all(Timer, Timer.instance_id == instance_id, Timer.status == "waiting") == []
    assert c.events(instance_id, "timer.fired") == []
    assert ("timer.cancelled", "report_overdue") in c.trail(instance_id)


def test_continued_supervision_asks_for_the_next_report_after_the_report_interval(case):
    c, case_id, instance_id = case
    c.complete("report_progress", s.supervision_report(), instance_id)
    assert ("timer.cancelled", "report_overdue") in c.trail(instance_id)
    c.complete("review_progress", s.supervision_review("continue"), instance_id)
    [timer] = c.all(Timer, Timer.instance_id == instance_id, Timer.status == "waiting")
    assert (timer.element_id, timer.due_at) == ("wait_next_report", c.clock.now() + timedelta(days=7))  # ordinary
    assert c.tasks(instance_id) == []

    assert c.advance(days=6) == 0
    assert c.advance(days=1, minutes=1) == 1  # Monday 9 March, 09:01
    report = c.task("report_progress", instance_id)
    assert report.due_at == beijing(2026, 3, 12, 18)  # 3 working days to report, to the end of the day
    assert [(t.element_id, t.due_at) for t in c.all(Timer, Timer.instance_id == instance_id,
                                                     Timer.status == "waiting")] == [("report_overdue", report.due_at)]
    row = c.get(SupervisionCase, case_id)
    assert (row.status, row.stage, row.level) == ("open", None, "ordinary")

    c.complete("report_progress", s.supervision_report(completed="true"), instance_id)
    c.complete("review_progress", s.supervision_review("resolved"), instance_id)
    assert c.get(SupervisionCase, case_id).status == "closed"


# element of the rung, its form, who acts, the case's stage and level after it
LADDER = [
    ("send_reminder", s.reminder(), "office.officer", "reminder", "ordinary"),
    ("issue_notice", s.notice(), "office.officer", "notice", "yellow"),
    ("interview_unit_head", s.unit_interview(), "office.leader", "interview", "red"),
    ("order_rectification", s.supervision_rectify_order("2026-06-30T18:00"), "office.officer", "deadline_rectify",
     "red"),
    ("decide_accountability", s.accountability(), "office.leader", "accountability", "red"),
    ("decide_accountability", s.accountability(accountability_facts="问责后仍推进不力"), "office.leader",
     "accountability", "red"),
]


def test_escalation_climbs_every_rung_up_to_an_accountability_record(case):
    c, case_id, instance_id = case
    for rung, (element, form, actor, stage, level) in enumerate(LADDER, start=1):
        c.clock.advance(days=1)
        c.complete("report_progress", s.supervision_report(), instance_id, actor="market.officer")
        c.complete("review_progress", s.supervision_review("escalate"), instance_id)
        task = c.task(element, instance_id)
        assert task.candidate_group_list == (["office_leader"] if actor == "office.leader" else ["office"])
        c.complete(element, form, instance_id, actor=actor)

        row = c.get(SupervisionCase, case_id)
        assert (row.stage, row.level, row.status) == (stage, level, "open"), element
        assert c.variables(instance_id)["rung"] == min(rung, 5)
        report = c.task("report_progress", instance_id)
        assert report.candidate_group_list == ["market"]
        if element == "order_rectification":
            assert report.due_at == beijing(2026, 6, 30, 18)  # the unit reports by the deadline it was set
        if element == "issue_notice":
            assert c.variables(instance_id)["report_interval"] == "P5D"
        if element == "interview_unit_head":
            assert c.variables(instance_id)["report_interval"] == "P3D"

    records = c.all(AccountabilityRecord)
    assert [(r.target_kind, r.target_id, r.unit, r.status, r.opened_by) for r in records] == [
        ("supervision", case_id, "market", "open", "office.leader")] * 2
    assert [r.reason for r in records] == ["经催办、通报、约谈、限期整改仍推进不力", "问责后仍推进不力"]
    assert [e.data["record_id"] for e in c.domain_events("accountability.opened")] == [r.id for r in records]
    stages = [e.data.get("stage") for e in c.domain_events("supervision.updated", case_id=case_id)]
    assert stages == ["reminder", "notice", "interview", "deadline_rectify", "accountability", "accountability"]
    assert [e.element_id for e in c.events(instance_id, "task.completed")][::3] == ["report_progress"] * 6

    c.complete("report_progress", s.supervision_report(completed="true"), instance_id)
    c.complete("review_progress", s.supervision_review("resolved"), instance_id)
    assert c.get(SupervisionCase, case_id).status == "closed"
    assert c.instance(instance_id).status == "completed"
    assert c.incidents() == []


def test_missed_report_withdraws_the_report_task_and_escalates_automatically(case):
    c, case_id, instance_id = case
    report = c.task("report_progress", instance_id)
    assert local_date(report.due_at) == date(2026, 3, 9)
    assert c.move_to(report.due_at - timedelta(minutes=1)) == 0
    assert c.move_to(report.due_at + timedelta(minutes=1)) == 1

    assert c.get(HumanTask, report.id).status == "cancelled"
    trail = c.trail(instance_id)
    assert ("timer.fired", "report_overdue") in trail and ("task.cancelled", "report_progress") in trail
    assert c.open_elements(instance_id) == ["send_reminder"]
    assert c.variables(instance_id)["missed_reports"] == 1
    c.complete("send_reminder", s.reminder(), instance_id)
    assert c.get(SupervisionCase, case_id).stage == "reminder"

    second = c.task("report_progress", instance_id)
    assert second.due_at == beijing(2026, 3, 12, 18)  # 3 working days after the missed Monday 9 March, 18:00
    c.move_to(second.due_at + timedelta(minutes=1))
    assert c.open_elements(instance_id) == ["issue_notice"]
    assert c.variables(instance_id)["missed_reports"] == 2
    c.complete("issue_notice", s.notice(), instance_id)
    row = c.get(SupervisionCase, case_id)
    assert (row.stage, row.level) == ("notice", "yellow")
    assert [e.element_id for e in c.events(instance_id, "timer.fired")] == ["report_overdue", "report_overdue"]


def test_unit_supervision_from_the_ladder_leads_to_accountability_of_the_unit(campaign):
    """The engine's ladder opens a red supervision case on a unit (kind unit); its accountability names the case."""
    c = campaign
    instance_id, lead_id = c.dispatched_lead(unit="market")
    c.complete("verify_lead", s.verify(), instance_id)
    feedback = c.task("feedback_lead", instance_id)
    assert feedback.ladder == "reminder@80%; overdue@due; leader@due+P3WD; accountability@due+P5WD"
    c.clock.set(beijing(2026, 3, 30, 18, 1))  # 5 working days after the due date, Monday 23 March 18:00
    c.escalate()

    [row] = c.all(SupervisionCase)
    market_id = c.all(Unit, Unit.code == "market")[0].id
    assert (row.kind, row.target_id, row.unit, row.level, row.opened_by) == ("unit", market_id, "market", "red",
                                                                             "system")
    lead = c.get(Lead, lead_id)
    # The reason names the case (number and institution), not internal ids.
    assert row.reason == f"{lead.number} {s.SUBJECT_NAME}：任务「查办反馈」逾期未办结，已启动问责"
    assert c.instance(row.instance_id).process_id == "supervision"
    report = c.task("report_progress", row.instance_id)
    assert report.candidate_group_list == ["market"]
    assert c.variables(row.instance_id)["report_interval"] == "P3D"  # red

    for element, form, actor, _, _ in LADDER[:5]:
        c.complete("report_progress", s.supervision_report(), row.instance_id)
        c.complete("review_progress", s.supervision_review("escalate"), row.instance_id)
        c.complete(element, form, row.instance_id, actor=actor)
    [record] = c.all(AccountabilityRecord)
    assert (record.target_kind, record.target_id, record.unit) == ("supervision", row.id, "market")
    assert c.get(SupervisionCase, row.id).stage == "accountability"
