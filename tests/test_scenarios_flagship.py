"""The flagship scenario, end to end through the real engine and the four real processes.

A 12345 hotline call about a health-product seller is registered and dispatched
to market regulation; the unit verifies it (substantiated), grades the seller
orange, interviews its principal and orders it to rectify; the office sends the
rectification back once, then accepts it; after the look-back timer the
look-back finds it stayed fixed; the office reviews the lead's feedback and
closes it, and the report worker reports the closure upward. At each step the campaign's records
and the audit trail are checked.
"""
from datetime import date, timedelta

from sqlalchemy import text

from domain.models import (
    Disposal,
    Lead,
    RectificationItem,
    Reporter,
    RiskAssessment,
    Subject,
    SupervisionCase,
)
from engine.store.models import HumanTask, Timer
from tests import scenario_support as s
from tests.scenario_support import beijing, local_date

campaign = s.campaign  # the fixture: the four processes deployed, demo units and users


def test_hotline_lead_is_dispatched_verified_disposed_rectified_and_closed(campaign):
    c = campaign

    # -- 1. the office registers the 12345 call and lead handling starts with it ------------
    lead_instance, lead_id = c.start_lead(channel="hotline_12345")
    lead = c.get(Lead, lead_id)
    assert (lead.status, lead.channel, lead.instance_id) == ("registered", "hotline_12345", lead_instance)
    assert lead.responsible_unit is None and lead.feedback_deadline is None
    subject = c.get(Subject, lead.subject_id)
    assert (subject.name, subject.credit_code, subject.grade) == (s.SUBJECT_NAME, s.SUBJECT_CODE, None)
    reporter = c.all(Reporter, Reporter.lead_id == lead_id)
    assert len(reporter) == 1 and reporter[0].name == "李建平"
    assert c.instance(lead_instance).business_key == lead.number
    assert c.trail(lead_instance) == [("instance.started", None), ("task.created", "triage_lead")]
    started = c.events(lead_instance, "instance.started")[0]
    assert started.actor == "office.officer" and started.data["data"]["lead_id"] == lead_id
    assert c.domain_events("lead.registered", lead_id=lead_id)[0].actor == "office.officer"
    triage = c.task("triage_lead", lead_instance)
    assert triage.candidate_group_list == ["office"]
    assert local_date(triage.due_at) == date(2026, 3, 4)  # P2WD from Monday 2 March

    # -- 2. triage: dispatch to market regulation, 15 working days to feed back ---------------
    c.complete("triage_lead", s.triage_dispatch(unit="market", workdays=15), lead_instance)
    lead = c.get(Lead, lead_id)
    assert (lead.status, lead.responsible_unit, lead.major) == ("dispatched", "market", False)
    assert lead.feedback_deadline == beijing(2026, 3, 23, 18)  # the end of the 15th working day after Monday 2 March
    accept_task = c.task("accept_lead", lead_instance)
    assert accept_task.candidate_group_list == ["market"]
    updated = c.domain_events("lead.updated", lead_id=lead_id)[-1]
    assert updated.actor == "office.officer" and updated.data["fields"]["status"] == "dispatched"

    # -- 3. market accepts; verification starts with its deadline as due date and boundary timer
    c.clock.advance(hours=3)
    c.complete("accept_lead", s.accept(), lead_instance, actor="market.officer")
    assert c.get(Lead, lead_id).status == "verifying"
    verify_task = c.task("verify_lead", lead_instance)
    assert verify_task.due_at == beijing(2026, 3, 23, 18) and verify_task.candidate_group_list == ["market"]
    [overdue_timer] = c.all(Timer, Timer.instance_id == lead_instance)
    assert (overdue_timer.element_id, overdue_timer.status, overdue_timer.due_at) == (
        "verify_overdue", "waiting", beijing(2026, 3, 23, 18))

    # -- 4. market verifies: substantiated; the overdue timer is withdrawn --------------------
    c.clock.advance(days=1)
    c.complete("verify_lead", s.verify("substantiated"), lead_instance, actor="market.officer")
    lead = c.get(Lead, lead_id)
    assert (lead.status, lead.result) == ("feedback", "substantiated")
    assert c.get(Timer, overdue_timer.id).status == "cancelled"
    assert ("timer.cancelled", "verify_overdue") in c.trail(lead_instance)
    assert c.open_elements(lead_instance) == ["feedback_lead"]
    assert c.all(SupervisionCase) == []

    # -- 5. graded disposal of the lead's subject: orange, clear problem ----------------------
    risk_instance = c.start_risk_disposal(lead_id=lead_id, actor="market.officer")
    variables = c.variables(risk_instance)
    assert (variables["subject_id"], variables["lead_id"], variables["responsible_unit"]) == (
        subject.id, lead_id, "market")
    c.complete("assess_risk", s.assess(grade="orange", finding="clear_problem"), risk_instance)
    [assessment] = c.all(RiskAssessment, RiskAssessment.subject_id == subject.id)
    assert (assessment.grade, assessment.people_involved, assessment.money_at_risk) == ("orange", 35, 380000)
    assert (assessment.opinion_heat, assessment.stability_risk, assessment.assessed_by) == (
        "medium", "low", "market.officer")
    subject = c.get(Subject, subject.id)
    assert subject.grade == "orange" and subject.graded_at == c.clock.now()
    assert c.domain_events("risk.graded", subject_id=subject.id)[0].data["grade"] == "orange"

    c.complete("warning_interview", s.interview(), risk_instance)
    [interview] = c.all(Disposal, Disposal.subject_id == subject.id)
    assert (interview.measure, interview.unit, interview.lead_id, interview.officer) == (
        "warning_interview", "market", lead_id, "陈志明")
    assert "黄某" in interview.note

    c.complete("decide_measures", s.measures(rectify=True), risk_instance)
    assert c.open_elements(risk_instance) == ["issue_rectification_order"]
    deadline = "2026-03-20T18:00"
    c.complete("issue_rectification_order", s.rectify_order(deadline), risk_instance)
    assert c.measures(subject_id=subject.id) == ["warning_interview", "order_rectify"]
    assert c.instance(risk_instance).status == "completed"
    assert c.trail(risk_instance)[-1] == ("instance.completed", None)

    # open_rectification created the item and started its process in the same command
    [item] = c.all(RectificationItem)
    assert (item.status, item.subject_id, item.lead_id, item.responsible_unit) == (
        "open", subject.id, lead_id, "market")
    assert item.deadline == beijing(2026, 3, 20, 18)
    assert item.responsible_person == "长青健康科技公司负责人 黄某"
    rect_instance = item.instance_id
    assert c.instance(rect_instance).process_id == "rectification"
    assert c.variables(risk_instance)["rectification_item_id"] == item.id
    submit = c.task("submit_rectification", rect_instance)
    assert submit.due_at == item.deadline and submit.candidate_group_list == ["market"]
    assert c.all(Timer, Timer.instance_id == rect_instance)[0].element_id == "rectification_overdue"

    # -- 6. rectification: submitted, sent back once with a new deadline, resubmitted, accepted
    c.clock.advance(days=5)
    c.complete("submit_rectification", s.submit_rectification(), rect_instance, actor="market.officer")
    assert c.get(RectificationItem, item.id).status == "submitted"
    c.complete("accept_rectification",
               s.accept_rectification("send_back", new_deadline="2026-03-27T18:00"), rect_instance)
    assert c.get(RectificationItem, item.id).status == "sent_back"
    resubmit = c.task("submit_rectification", rect_instance)
    assert resubmit.due_at == beijing(2026, 3, 27, 18)  # the new deadline
    waiting = c.all(Timer, Timer.instance_id == rect_instance, Timer.status == "waiting")
    assert [t.due_at for t in waiting] == [beijing(2026, 3, 27, 18)]

    c.clock.advance(days=2)
    c.complete("submit_rectification", s.submit_rectification(), rect_instance, actor="market.officer")
    c.complete("accept_rectification", s.accept_rectification("accept", lookback_after="P30D"), rect_instance)
    item = c.get(RectificationItem, item.id)
    assert item.status == "accepted" and item.closed_at is None
    assert c.rectification_statuses(item.id) == ["submitted", "sent_back", "submitted", "accepted"]
    accepted_at = c.clock.now()
    [lookback_timer] = c.all(Timer, Timer.instance_id == rect_instance, Timer.status == "waiting")
    assert (lookback_timer.element_id, lookback_timer.due_at) == ("wait_lookback", accepted_at + timedelta(days=30))

    # -- 7. the unit feeds back on the lead; the office will review after the look-back ---------
    c.complete("feedback_lead", s.feedback(), lead_instance, actor="market.officer")
    assert (c.get(Lead, lead_id).status, c.get(Lead, lead_id).recovered_amount) == ("reviewing", 120000)
    assert c.open_elements(lead_instance) == ["review_feedback"]

    # -- 8. the look-back timer fires after 30 days; the look-back finds it stayed fixed -------
    assert c.advance(days=29) == 0
    assert c.open_elements(rect_instance) == []
    assert c.advance(days=1, minutes=1) == 1
    assert ("timer.fired", "wait_lookback") in c.trail(rect_instance)
    assert c.get(Timer, lookback_timer.id).status == "fired"
    c.complete("lookback_inspection", s.lookback("stayed_fixed"), rect_instance)
    item = c.get(RectificationItem, item.id)
    assert item.status == "closed" and item.closed_at == c.clock.now()
    assert item.lookback_result.startswith("整改成果巩固")
    assert c.rectification_statuses(item.id)[-1] == "closed"
    assert c.instance(rect_instance).status == "completed"

    # -- 9. the office reviews the feedback, closes the lead and reports upward --------------
    c.complete("review_feedback", s.review("accept"), lead_instance)
    lead = c.get(Lead, lead_id)
    assert (lead.status, lead.result, lead.closed_at) == ("closed", "substantiated", c.clock.now())
    assert c.open_elements(lead_instance) == []  # nobody's task: the report worker's
    assert c.report_completions().recorded == [lead.number]
    assert c.instance(lead_instance).status == "completed"

    # -- the whole story in the records and the trail -------------------------------------------
    assert c.grades(subject.id) == ["orange"]
    assert c.measures(lead_id=lead_id) == ["warning_interview", "order_rectify"]
    assert c.all(SupervisionCase) == []
    assert c.incidents() == []
    assert [(t.element_id, t.status) for t in c.tasks(lead_instance, status=None)] == [
        ("triage_lead", "completed"), ("accept_lead", "completed"), ("verify_lead", "completed"),
        ("feedback_lead", "completed"), ("review_feedback", "completed")]
    completions = [(e.element_id, e.actor) for e in c.events(lead_instance, "task.completed")]
    assert completions == [
        ("triage_lead", "office.officer"), ("accept_lead", "market.officer"), ("verify_lead", "market.officer"),
        ("feedback_lead", "market.officer"), ("review_feedback", "office.officer")]
    assert [(e.element_id, e.actor) for e in c.events(lead_instance, "external_task.completed")] == [
        ("report_completion", "system")]
    verified = c.events(lead_instance, "task.completed")[2].data["data"]
    assert verified["result"] == "substantiated" and verified["people_involved"] == 35
    assert [e.element_id for e in c.events(rect_instance, "task.completed")] == [
        "submit_rectification", "accept_rectification", "submit_rectification", "accept_rectification",
        "lookback_inspection"]
    assert c.trail(rect_instance)[0] == ("instance.started", None)
    assert c.trail(rect_instance)[-1] == ("instance.completed", None)
    assert c.trail(lead_instance)[-1] == ("instance.completed", None)
    assert [t.status for t in c.tasks(status=None)] == ["completed"] * len(c.tasks(status=None))
    assert not c.tasks() and not c.all(HumanTask, HumanTask.status == "cancelled")
    # the reporter stays protected: encrypted at rest, and in no audit event
    with c.session_factory() as session:
        stored = session.execute(text("SELECT name, phone FROM reporter")).one()
    assert "李建平" not in str(stored) and "13859961122" not in str(stored)
    assert not [e for e in c.events() if "13859961122" in str(e.data) or "李建平" in str(e.data)]
