"""Deadlines through the real engine: the verification due date in working days
(skipping the 2025 National Day holiday), the boundary timer at the feedback
deadline and what it records, and the escalation ladder of a late verification."""
from datetime import date, timedelta

import pytest

from domain.models import Disposal, Lead, SupervisionCase
from engine.store.models import HumanTask, Timer
from engine.store.supervision_models import Escalation, EscalationStep, SupervisionMark
from tests import scenario_support as s
from tests.scenario_support import beijing, local_date

campaign = s.campaign  # the fixture: the four processes deployed, demo units and users


@pytest.mark.parametrize("workdays,due_day", [
    # Fri 26 Sep 2025 + 15 working days: Sun 28 Sep (调休), 29, 30 Sep, then 1-8 Oct are off (National Day and
    # Mid-Autumn), 9, 10, Sat 11 Oct (调休), 13-17, 20-23 Oct.
    (15, date(2025, 10, 23)),
    (5, date(2025, 10, 10)),   # what triage set: 28, 29, 30 Sep, 9, 10 Oct
])
def test_lead_registered_before_national_day_is_due_after_the_holiday(campaign, workdays, due_day):
    c = campaign
    c.clock.set(beijing(2025, 9, 26, 10))
    instance_id, lead_id = c.start_lead(received_at="2025-09-26T08:30")
    assert local_date(c.task("triage_lead", instance_id).due_at) == date(2025, 9, 29)  # P2WD: Sun 28 (调休), Mon 29
    c.complete("triage_lead", s.triage_dispatch(unit="market", workdays=workdays), instance_id)
    c.complete("accept_lead", s.accept(), instance_id)

    deadline = beijing(due_day.year, due_day.month, due_day.day, 18)  # the end of the working day
    assert c.get(Lead, lead_id).feedback_deadline == deadline
    verify = c.task("verify_lead", instance_id)
    assert verify.due_at == deadline
    assert verify.due_at - c.clock.now() > timedelta(days=workdays + 7)  # the holiday week is not counted
    [timer] = c.all(Timer, Timer.instance_id == instance_id, Timer.status == "waiting")
    assert (timer.element_id, timer.due_at) == ("verify_overdue", deadline)
    created = c.events(instance_id, "task.created")[-1]
    assert created.element_id == "verify_lead" and created.data["due_at"] == deadline.isoformat()


@pytest.mark.parametrize("major,level", [(False, "yellow"), (True, "red")], ids=["ordinary_lead", "major_lead"])
def test_verification_still_open_at_the_feedback_deadline_starts_overdue_supervision(campaign, major, level):
    c = campaign
    instance_id, lead_id = c.dispatched_lead(unit="market", workdays=15, major=major)
    deadline = c.get(Lead, lead_id).feedback_deadline
    assert deadline == beijing(2026, 3, 23, 18)  # dispatched Monday 2 March 09:00: the end of the 15th working day
    cases_before = c.all(SupervisionCase)  # a major lead already has its supervised handling

    c.move_to(deadline - timedelta(minutes=1))  # (a major lead's supervision has timers of its own)
    [timer] = c.all(Timer, Timer.instance_id == instance_id, Timer.element_id == "verify_overdue")
    assert timer.status == "waiting" and c.events(instance_id, "timer.fired") == []
    c.move_to(deadline + timedelta(minutes=1))
    timer = c.get(Timer, timer.id)
    assert (timer.status, timer.fired_at) == ("fired", c.clock.now())
    [fired] = c.events(instance_id, "timer.fired")
    assert (fired.element_id, fired.actor, fired.data["due_at"]) == ("verify_overdue", "system", deadline.isoformat())
    [case] = [row for row in c.all(SupervisionCase) if row.id not in {old.id for old in cases_before}]
    assert (case.kind, case.target_id, case.unit, case.level, case.status) == ("lead", lead_id, "market", level, "open")
    assert case.reason == "线索逾期未反馈，反馈期限：2026-03-23 18:00"  # Beijing time, as officers read it
    assert (case.opened_by, case.opened_at) == ("system", c.clock.now())
    assert c.instance(case.instance_id).status == "running"
    assert c.open_elements(case.instance_id) == ["report_progress"]
    assert c.variables(case.instance_id)["report_interval"] == ("P3D" if major else "P5D")

    # non-interrupting: verification goes on, the lead is still being verified
    assert c.open_elements(instance_id) == ["verify_lead"]
    assert c.get(Lead, lead_id).status == "verifying"
    c.complete("verify_lead", s.verify(), instance_id)
    assert c.get(Lead, lead_id).status == "feedback"
    assert c.instance(instance_id).status == "running"
    assert c.incidents() == []


def test_late_verification_climbs_its_ladder_to_the_leaders_without_accountability(campaign):
    c = campaign
    instance_id, lead_id = c.dispatched_lead(unit="market", workdays=15)
    verify = c.task("verify_lead", instance_id)
    steps = c.all(EscalationStep, EscalationStep.task_id == verify.id, order_by=EscalationStep.position)
    assert [step.rung for step in steps] == ["reminder", "overdue", "leader"]  # the process leaves out accountability
    reminder_at = verify.created_at + (verify.due_at - verify.created_at) * 0.8
    assert [step.due_at for step in steps] == [reminder_at, verify.due_at, beijing(2026, 3, 26, 18)]

    c.clock.set(reminder_at - timedelta(minutes=1))
    assert c.escalate() == 0
    c.clock.set(reminder_at + timedelta(minutes=1))
    assert c.escalate() == 1
    assert c.notify.calls[-1]["kind"] == "task.reminder"
    assert c.notify.calls[-1]["to"] == ["market.officer", "market.supervisor"]
    assert c.notify.calls[-1]["link"] == f"/tasks/{verify.id}"

    c.clock.set(verify.due_at + timedelta(minutes=1))
    assert c.fire_timers() == 1 and c.escalate() == 1
    row = c.get(HumanTask, verify.id)
    assert (row.overdue_since, row.escalation_rung, row.status) == (c.clock.now(), "overdue", "open")
    [overdue] = c.all(Escalation)
    assert (overdue.rung, overdue.unit, overdue.audience, overdue.status) == ("overdue", "market", "supervisors", "open")
    told = {call["kind"]: call["to"] for call in c.notify.calls if call["task"] == "核实线索"}
    assert told["task.overdue"] == ["market.officer", "market.supervisor"]
    assert told["escalation.raised"] == ["market.supervisor", "office.leader", "office.supervisor"]

    c.clock.set(beijing(2026, 3, 26, 18, 1))  # 3 working days after the due date
    c.escalate()
    leader = c.all(Escalation, Escalation.rung == "leader")
    assert [(e.unit, e.audience) for e in leader] == [("market", "leaders")]
    [mark] = c.all(SupervisionMark, SupervisionMark.task_id == verify.id)
    assert (mark.level, mark.unit, mark.source) == ("yellow", "market", "ladder")
    assert c.get(HumanTask, verify.id).supervision_level == "yellow"
    assert [e.action for e in c.events(instance_id) if e.action.startswith("escalation.")] == [
        "escalation.reminder", "escalation.overdue", "escalation.leader"]
    # the only supervision case is the one the boundary timer opened, not one from an accountability rung
    assert [(row.kind, row.level) for row in c.all(SupervisionCase)] == [("lead", "yellow")]

    c.complete("verify_lead", s.verify(), instance_id)
    assert {step.status for step in c.all(EscalationStep, EscalationStep.task_id == verify.id)} == {"done"}


def _interview_note(c):
    subject_id = c.create_subject()
    instance_id = c.start_risk_disposal(subject_id=subject_id, responsible_unit="market")
    c.complete("assess_risk", s.assess(), instance_id)
    c.complete("warning_interview", s.interview(interview_time="2026-03-05T10:00"), instance_id)
    return c.all(Disposal, Disposal.measure == "warning_interview")[0].note, "2026-03-05", "10:00"


def _rectify_order_note(c):
    c.ordered_rectification(deadline="2026-03-20T18:00")
    return c.all(Disposal, Disposal.measure == "order_rectify")[0].note, "2026-03-20", "18:00"


def _overdue_supervision_reason(c):
    c.dispatched_lead(unit="market", workdays=15)  # due Monday 23 March, 18:00
    c.move_to(beijing(2026, 3, 23, 18, 1))
    return c.all(SupervisionCase)[0].reason, "2026-03-23", "18:00"


@pytest.mark.parametrize("text_of", [_interview_note, _rectify_order_note, _overdue_supervision_reason],
                         ids=["interview_note", "rectify_order_note", "overdue_supervision_reason"])
def test_times_in_ledger_texts_are_the_beijing_times_the_officers_entered(campaign, text_of):
    text, day, beijing_time = text_of(campaign)
    assert day in text and beijing_time in text, text
