"""Every path of lead handling (线索核查) through the real engine: closing without
dispatch, a unit returning a lead, a major lead under supervised handling,
feedback sent back for re-verification, and each verification result."""
from datetime import date

import pytest

from domain.models import Disposal, Lead, SupervisionCase
from engine.store.models import Timer
from tests import scenario_support as s
from tests.scenario_support import beijing, local_date

campaign = s.campaign  # the fixture: the four processes deployed, demo units and users


@pytest.mark.parametrize("decision", ["duplicate", "out_of_scope"])
def test_duplicate_or_out_of_scope_lead_is_closed_without_dispatch(campaign, decision):
    c = campaign
    if decision == "duplicate":
        first_instance, first_id = c.start_lead(channel="platform_12337")
    instance_id, lead_id = c.start_lead(channel="hotline_12345")
    lead = c.get(Lead, lead_id)
    if decision == "duplicate":  # registration flags the open lead on the same subject and sector
        assert lead.duplicate_of_id == first_id

    c.clock.advance(hours=1)
    c.complete("triage_lead", s.triage_close(decision), instance_id)

    lead = c.get(Lead, lead_id)
    assert (lead.status, lead.closed_at) == ("closed", c.clock.now())
    assert (lead.responsible_unit, lead.result, lead.feedback_deadline) == (None, None, None)
    assert c.instance(instance_id).status == "completed"
    assert c.tasks(instance_id) == []
    assert c.trail(instance_id) == [
        ("instance.started", None), ("task.created", "triage_lead"), ("task.claimed", "triage_lead"),
        ("task.completed", "triage_lead"), ("lead.updated", None), ("instance.completed", None)]
    opinion = c.events(instance_id, "task.completed")[0].data["data"]
    assert opinion["triage_decision"] == decision and "responsible_unit" not in opinion
    if decision == "duplicate":  # the first lead is untouched
        assert c.get(Lead, first_id).status == "registered"
        assert c.open_elements(first_instance) == ["triage_lead"]


def test_unit_returns_the_lead_and_the_office_dispatches_it_elsewhere(campaign):
    c = campaign
    instance_id, lead_id = c.start_lead()
    c.complete("triage_lead", s.triage_dispatch(unit="market"), instance_id)
    assert c.task("accept_lead", instance_id).candidate_group_list == ["market"]

    c.clock.advance(days=1)
    c.complete("accept_lead", s.return_lead(), instance_id, actor="market.officer")
    retriage = c.task("triage_lead", instance_id)
    assert retriage.candidate_group_list == ["office"]
    returned = c.events(instance_id, "task.completed")[-1]
    assert returned.actor == "market.officer" and returned.data["data"]["accept_decision"] == "return"
    assert returned.data["data"]["return_reason"] == "该主体经营范围为医疗服务，属卫健部门职责"
    assert c.get(Lead, lead_id).status in ("registered", "dispatched")  # back with the office, not verifying

    c.clock.advance(days=1)  # Wednesday 4 March
    c.complete("triage_lead", s.triage_dispatch(unit="health", workdays=10), instance_id)
    lead = c.get(Lead, lead_id)
    assert (lead.status, lead.responsible_unit) == ("dispatched", "health")
    assert lead.feedback_deadline == beijing(2026, 3, 18, 18)  # 10 working days from the re-dispatch, at 18:00
    assert c.task("accept_lead", instance_id).candidate_group_list == ["health"]
    with pytest.raises(Exception, match="may not complete|not a candidate"):
        c.complete("accept_lead", s.accept(), instance_id, actor="market.officer")

    c.complete("accept_lead", s.accept(handler="吴丽珍"), instance_id, actor="health.officer")
    lead = c.get(Lead, lead_id)
    assert (lead.status, lead.responsible_unit) == ("verifying", "health")
    verify = c.task("verify_lead", instance_id)
    assert verify.candidate_group_list == ["health"] and verify.due_at == beijing(2026, 3, 18, 18)
    assert [e.element_id for e in c.events(instance_id, "task.created")] == [
        "triage_lead", "accept_lead", "triage_lead", "accept_lead", "verify_lead"]


def test_major_lead_is_put_under_supervised_handling_when_verification_starts(campaign):
    c = campaign
    instance_id, lead_id = c.start_lead()
    c.complete("triage_lead", s.triage_dispatch(unit="market", major=True), instance_id)
    lead = c.get(Lead, lead_id)
    assert lead.major is True
    assert c.all(SupervisionCase) == []  # listed when the unit accepts it

    c.complete("accept_lead", s.accept(), instance_id)
    [case] = c.all(SupervisionCase)
    assert (case.kind, case.target_id, case.unit, case.level, case.status, case.stage) == (
        "lead", lead_id, "market", "ordinary", "open", None)
    assert case.reason == "重大线索督办盯办：涉及老人众多、金额巨大，列为重大线索挂牌督办"
    assert case.opened_by == "market.officer" and case.number.startswith("DB-")
    supervision = c.instance(case.instance_id)
    assert (supervision.process_id, supervision.status) == ("supervision", "running")
    report = c.task("report_progress", case.instance_id)
    assert report.candidate_group_list == ["market"]
    assert local_date(report.due_at) == date(2026, 3, 9)  # 5 working days
    variables = c.variables(case.instance_id)
    assert (variables["case_id"], variables["lead_id"], variables["kind"], variables["report_interval"]) == (
        case.id, lead_id, "lead", "P7D")
    opened = c.domain_events("supervision.opened", case_id=case.id)[0]
    assert opened.data["kind"] == "lead" and opened.data["target_id"] == lead_id
    # verification goes on in parallel
    assert c.open_elements(instance_id) == ["verify_lead"]
    assert c.get(Lead, lead_id).status == "verifying"


@pytest.mark.parametrize("result", ["partly", "not_substantiated"])
def test_verification_result_is_what_the_closed_lead_says(campaign, result):
    c = campaign
    instance_id, lead_id = c.dispatched_lead()
    c.complete("verify_lead", s.verify(result), instance_id)
    assert (c.get(Lead, lead_id).status, c.get(Lead, lead_id).result) == ("feedback", result)
    # Losses recovered left empty counts as none recovered.
    c.complete("feedback_lead", s.feedback(handling=["no_action"], risk_disposal_started="false",
                                           losses_recovered=""), instance_id)
    assert c.get(Lead, lead_id).recovered_amount == 0
    c.complete("review_feedback", s.review("accept"), instance_id)
    lead = c.get(Lead, lead_id)
    assert (lead.status, lead.result, lead.closed_at) == ("closed", result, c.clock.now())
    assert c.report_completions().recorded == [lead.number]
    assert c.instance(instance_id).status == "completed"


def test_office_sends_the_feedback_back_and_the_unit_verifies_again_with_a_new_deadline(campaign):
    c = campaign
    instance_id, lead_id = c.dispatched_lead(unit="market", workdays=15)
    first_deadline = c.get(Lead, lead_id).feedback_deadline
    c.complete("verify_lead", s.verify("partly"), instance_id)
    c.complete("feedback_lead", s.feedback(), instance_id)
    assert c.get(Lead, lead_id).status == "reviewing"

    c.clock.set(beijing(2026, 3, 12, 15))  # Thursday
    c.complete("review_feedback", s.review("send_back", extra_workdays="5"), instance_id)
    lead = c.get(Lead, lead_id)
    assert lead.status == "verifying"
    assert lead.feedback_deadline == beijing(2026, 3, 19, 18) != first_deadline  # 5 working days later, 18:00
    verify = c.task("verify_lead", instance_id)
    assert verify.due_at == beijing(2026, 3, 19, 18) and verify.candidate_group_list == ["market"]
    waiting = c.all(Timer, Timer.instance_id == instance_id, Timer.status == "waiting")
    assert [(t.element_id, t.due_at) for t in waiting] == [("verify_overdue", beijing(2026, 3, 19, 18))]
    sent_back = c.events(instance_id, "task.completed")[-1].data["data"]
    assert sent_back["review_decision"] == "send_back" and sent_back["extra_workdays"] == 5

    c.complete("verify_lead", s.verify("substantiated", findings="补充核查：涉及老人35人，金额38万元。"), instance_id)
    c.complete("feedback_lead", s.feedback(), instance_id)
    c.complete("review_feedback", s.review("accept"), instance_id)
    lead = c.get(Lead, lead_id)
    assert (lead.status, lead.result) == ("closed", "substantiated")
    assert [e.element_id for e in c.events(instance_id, "task.completed")] == [
        "triage_lead", "accept_lead", "verify_lead", "feedback_lead", "review_feedback",
        "verify_lead", "feedback_lead", "review_feedback"]
    statuses = [e.data["fields"].get("status") for e in c.domain_events("lead.updated", lead_id=lead_id)]
    assert statuses == ["dispatched", "verifying", "feedback", "reviewing", "verifying", "feedback", "reviewing",
                        "closed"]
    assert c.all(SupervisionCase) == []


def test_deadline_set_by_the_superior_at_registration_is_kept_when_dispatching(campaign):
    c = campaign
    instance_id, lead_id = c.start_lead(channel="superior_transfer", feedback_deadline="2026-03-10T17:00")
    assert c.get(Lead, lead_id).feedback_deadline == beijing(2026, 3, 10, 17)
    c.complete("triage_lead", s.triage_dispatch(unit="market", workdays=15), instance_id)
    c.complete("accept_lead", s.accept(), instance_id)
    assert c.task("verify_lead", instance_id).due_at == beijing(2026, 3, 10, 17)
    assert c.get(Lead, lead_id).feedback_deadline == beijing(2026, 3, 10, 17)


# -- the measures chosen at 查办反馈 become disposals (处置记录) ------------------------------------

ALL_MEASURES = ["risk_warning", "warning_interview", "suspension", "order_rectify", "urge_refunds",
                "transfer_department", "transfer_police", "case_filed", "mediation", "no_action"]


def _disposals(c, lead_id):
    return c.all(Disposal, Disposal.lead_id == lead_id)


def _fed_back(c, unit="market", **lead):
    """A lead dispatched to `unit`, accepted and verified: its feedback task is open."""
    instance_id, lead_id = c.dispatched_lead(unit=unit, **lead)
    c.complete("verify_lead", s.verify(), instance_id)
    return instance_id, lead_id


def test_measures_chosen_at_feedback_are_recorded_as_disposals_of_the_lead_and_its_institution(campaign):
    c = campaign
    instance_id, lead_id = _fed_back(c)
    c.clock.advance(days=2)
    details = "已约谈负责人黄某，责令停止会销并限期整改，督促退还老人购货款。"
    # every option of the form; mediation and no action are not disposals of an institution
    c.complete("feedback_lead", s.feedback(handling=ALL_MEASURES, handling_details=details), instance_id)

    lead = c.get(Lead, lead_id)
    rows = _disposals(c, lead_id)
    assert [row.measure for row in rows] == ALL_MEASURES[:8]
    for row in rows:
        assert (row.subject_id, row.lead_id, row.unit, row.officer, row.recorded_by) == (
            lead.subject_id, lead_id, "market", "market.officer", "market.officer")
        assert (row.disposed_at, row.note, row.documents) == (c.clock.now(), details, [])
    assert lead.subject_id is not None and c.measures(subject_id=lead.subject_id) == ALL_MEASURES[:8]
    # recorded in the feedback's own step, filed under the lead's process
    events = c.domain_events("disposal.recorded", lead_id=lead_id)
    assert [(e.data["measure"], e.data["source"], e.instance_id, e.actor) for e in events] == [
        (measure, "lead_feedback", instance_id, "market.officer") for measure in ALL_MEASURES[:8]]
    assert c.open_elements(instance_id) == ["review_feedback"] and c.incidents() == []

    c.complete("review_feedback", s.review("accept"), instance_id)
    assert len(c.report_completions().recorded) == 1
    assert [row.id for row in _disposals(c, lead_id)] == [row.id for row in rows]  # closing changes nothing


def test_feedback_again_after_a_send_back_replaces_the_measures_and_counts_each_once(campaign):
    c = campaign
    instance_id, lead_id = _fed_back(c)
    first_at = c.clock.now()
    c.complete("feedback_lead", s.feedback(handling=["warning_interview", "order_rectify"],
                                           handling_details="已约谈负责人，责令整改。"), instance_id)
    [interview, rectify] = _disposals(c, lead_id)

    c.clock.advance(days=3)
    c.complete("review_feedback", s.review("send_back", extra_workdays="5"), instance_id)
    assert [row.id for row in _disposals(c, lead_id)] == [interview.id, rectify.id]  # kept while re-verifying
    c.complete("verify_lead", s.verify(), instance_id)
    c.clock.advance(days=1)
    second_at = c.clock.now()
    details = "补充核查：已约谈负责人；经复核无需责令整改，已督促退还货款12万元。"
    c.complete("feedback_lead", s.feedback(handling=["warning_interview", "urge_refunds", "mediation"],
                                           handling_details=details), instance_id)

    rows = _disposals(c, lead_id)
    # the interview keeps its record and date, with the latest description; the order to rectify
    # no longer reported is withdrawn; refunds are new
    assert [(row.id, row.measure, row.disposed_at, row.note) for row in rows] == [
        (interview.id, "warning_interview", first_at, details), (rows[1].id, "urge_refunds", second_at, details)]
    [withdrawn] = c.domain_events("disposal.withdrawn", lead_id=lead_id)
    assert (withdrawn.data["disposal_id"], withdrawn.data["measure"], withdrawn.instance_id) == (
        rectify.id, "order_rectify", instance_id)
    assert withdrawn.reason == "重新反馈时未再报告该措施"
    assert [e.data["disposal_id"] for e in c.domain_events("disposal.updated", lead_id=lead_id)] == [interview.id]

    # sent back once more and fed back unchanged: nothing moves, nothing is counted twice
    c.complete("review_feedback", s.review("send_back", extra_workdays="5"), instance_id)
    c.complete("verify_lead", s.verify(), instance_id)
    c.clock.advance(days=1)
    c.complete("feedback_lead", s.feedback(handling=["urge_refunds", "warning_interview"],
                                           handling_details=details), instance_id)
    assert [(row.id, row.disposed_at) for row in _disposals(c, lead_id)] == [
        (row.id, row.disposed_at) for row in rows]
    assert len(c.domain_events("disposal.recorded", lead_id=lead_id)) == 3
    c.complete("review_feedback", s.review("accept"), instance_id)
    assert c.measures(lead_id=lead_id) == ["warning_interview", "urge_refunds"]
    assert c.incidents() == []


def test_feedback_of_no_disposal_measure_records_none_and_withdraws_what_an_earlier_one_reported(campaign):
    c = campaign
    instance_id, lead_id = _fed_back(c)
    c.complete("feedback_lead", s.feedback(handling=["no_action"], risk_disposal_started="false"), instance_id)
    assert _disposals(c, lead_id) == []
    c.complete("review_feedback", s.review("send_back"), instance_id)
    c.complete("verify_lead", s.verify(), instance_id)
    c.complete("feedback_lead", s.feedback(handling=["risk_warning"]), instance_id)
    assert c.measures(lead_id=lead_id) == ["risk_warning"]
    c.complete("review_feedback", s.review("send_back"), instance_id)
    c.complete("verify_lead", s.verify(), instance_id)
    c.complete("feedback_lead", s.feedback(handling=["mediation"]), instance_id)
    assert _disposals(c, lead_id) == [] and c.incidents() == []


def test_a_lead_whose_institution_is_unknown_still_records_its_measures_with_the_lead(campaign):
    c = campaign
    instance_id, lead_id = _fed_back(c, unit="police", subject_name=None, subject_credit_code=None,
                                     channel="police_110", sector="internet_traps")
    assert c.get(Lead, lead_id).subject_id is None
    c.complete("feedback_lead", s.feedback(handling=["transfer_police", "case_filed"],
                                           handling_details="经查涉嫌诈骗，已立案侦查。"), instance_id)
    rows = _disposals(c, lead_id)
    assert [(row.measure, row.subject_id, row.unit, row.officer) for row in rows] == [
        ("transfer_police", None, "police", "police.officer"), ("case_filed", None, "police", "police.officer")]
    assert c.incidents() == [] and c.open_elements(instance_id) == ["review_feedback"]


def test_graded_disposal_and_feedback_of_the_same_lead_count_a_measure_once(campaign):
    c = campaign
    # feedback first: the interview it reports gives way to the graded disposal's full record
    instance_id, lead_id = _fed_back(c)
    c.complete("feedback_lead", s.feedback(handling=["warning_interview", "urge_refunds"]), instance_id)
    [reported, refunds] = _disposals(c, lead_id)
    risk = c.start_risk_disposal(lead_id=lead_id, actor="market.officer")
    c.complete("assess_risk", s.assess("orange", "clear_problem"), risk)
    c.complete("warning_interview", s.interview(), risk)
    rows = _disposals(c, lead_id)
    assert [(row.measure, row.officer) for row in rows] == [("urge_refunds", "market.officer"),
                                                           ("warning_interview", "陈志明")]
    assert rows[0].id == refunds.id and "黄某" in rows[1].note
    [withdrawn] = c.domain_events("disposal.withdrawn", lead_id=lead_id)
    assert withdrawn.data["disposal_id"] == reported.id and withdrawn.reason == "该措施已由分级处置记录"
    assert withdrawn.instance_id == instance_id  # on the lead's own timeline

    # fed back again: the interview is not recorded a second time, the refunds stay
    c.complete("review_feedback", s.review("send_back"), instance_id)
    c.complete("verify_lead", s.verify(), instance_id)
    c.complete("feedback_lead", s.feedback(handling=["warning_interview", "urge_refunds"]), instance_id)
    assert [row.id for row in _disposals(c, lead_id)] == [row.id for row in rows]
    assert c.incidents() == []
