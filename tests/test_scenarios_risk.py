"""Every path of graded risk disposal (分级处置) through the real engine: each
finding, the follow-up spot check, each combination of measures, a transfer a
department rejects, and the police filing or not filing the case once their
system has sent its acceptance receipt. Each path is checked for the grades and
disposals it leaves in the risk ledger. (The receipt's own ways, by message, by a
chase and on paper: tests/test_campaign_receipt_and_report.py.)"""
from datetime import timedelta

import pytest

from domain.models import Disposal, RectificationItem, RiskAssessment, Subject
from engine.store.models import Timer
from tests import scenario_support as s

campaign = s.campaign  # the fixture: the four processes deployed, demo units and users


@pytest.fixture
def risk(campaign):
    """A disposal of a registered subject by market regulation: (campaign, instance id, subject id)."""
    subject_id = campaign.create_subject()
    return campaign, campaign.start_risk_disposal(subject_id=subject_id, responsible_unit="market"), subject_id


def test_disposal_without_a_unit_is_assessed_by_the_special_office(campaign):
    subject_id = campaign.create_subject()
    instance_id = campaign.start_risk_disposal(subject_id=subject_id, actor="office.officer")
    assess = campaign.task("assess_risk", instance_id)
    assert assess.candidate_group_list == ["office"]
    variables = campaign.variables(instance_id)
    assert (variables["lead_id"], variables["responsible_unit"]) == (None, "office")


def test_no_problem_found_leaves_only_the_grade(risk):
    c, instance_id, subject_id = risk
    c.complete("assess_risk", s.assess("green", "no_problem", people_involved="0", money_at_risk="0"), instance_id)
    assert c.instance(instance_id).status == "completed"
    assert c.grades(subject_id) == ["green"] and c.get(Subject, subject_id).grade == "green"
    assert c.measures(subject_id=subject_id) == []
    # The grade recorded by the process's script is on the process's own trail.
    assert c.trail(instance_id)[-3:] == [("task.completed", "assess_risk"), ("risk.graded", None),
                                         ("instance.completed", None)]
    [graded] = c.domain_events("risk.graded", subject_id=subject_id)
    assert (graded.actor, graded.data["grade"], graded.instance_id) == ("market.officer", "green", instance_id)


@pytest.mark.parametrize("problem_found", [False, True], ids=["nothing_new", "problem_found"])
def test_budding_problem_gets_a_risk_warning_and_a_spot_check_when_its_timer_fires(risk, problem_found):
    c, instance_id, subject_id = risk
    c.complete("assess_risk", s.assess("yellow", "budding"), instance_id)
    c.complete("warn_risk", s.risk_warning(after="P14D"), instance_id)
    [warning] = c.all(Disposal, Disposal.subject_id == subject_id)
    assert (warning.measure, warning.unit, warning.officer, warning.lead_id) == (
        "risk_warning", "market", "陈志明", None)
    assert warning.note == "发出风险提示函，提醒规范经营，不得夸大宣传。"
    [timer] = c.all(Timer, Timer.instance_id == instance_id)
    assert (timer.element_id, timer.status, timer.due_at) == (
        "wait_spot_check", "waiting", c.clock.now() + timedelta(days=14))
    assert c.tasks(instance_id) == []

    assert c.advance(days=13) == 0
    assert c.advance(days=1, minutes=1) == 1
    assert ("timer.fired", "wait_spot_check") in c.trail(instance_id)
    spot_check = c.task("spot_check", instance_id)
    assert spot_check.candidate_group_list == ["market"]
    c.complete("spot_check", s.spot_check(problem_found=problem_found), instance_id)

    if not problem_found:
        assert c.instance(instance_id).status == "completed"
        assert c.grades(subject_id) == ["yellow"]
        assert c.measures(subject_id=subject_id) == ["risk_warning"]
        return
    # a problem found on the spot check sends the subject back to assessment and a new grade
    c.complete("assess_risk", s.assess("orange", "clear_problem"), instance_id)
    c.complete("warning_interview", s.interview(), instance_id)
    c.complete("decide_measures", s.measures(), instance_id)
    assert c.instance(instance_id).status == "completed"
    assert c.grades(subject_id) == ["yellow", "orange"] and c.get(Subject, subject_id).grade == "orange"
    assert c.measures(subject_id=subject_id) == ["risk_warning", "warning_interview"]


@pytest.mark.parametrize("suspend,rectify,refunds,expected", [
    (False, False, False, ["warning_interview"]),
    (True, False, False, ["warning_interview", "suspension"]),
    (False, True, False, ["warning_interview", "order_rectify"]),
    (False, False, True, ["warning_interview", "urge_refunds"]),
    (True, True, True, ["warning_interview", "suspension", "order_rectify", "urge_refunds"]),
], ids=["interview_only", "suspend", "rectify", "refunds", "all_measures"])
def test_clear_problem_gets_a_warning_interview_and_the_measures_decided(risk, suspend, rectify, refunds, expected):
    c, instance_id, subject_id = risk
    c.complete("assess_risk", s.assess("red", "clear_problem"), instance_id)
    c.complete("warning_interview", s.interview(), instance_id)
    c.complete("decide_measures", s.measures(suspend=suspend, rectify=rectify, refunds=refunds), instance_id)
    if suspend:
        c.complete("suspend_business", s.suspension(), instance_id)
    if rectify:
        c.complete("issue_rectification_order", s.rectify_order("2026-04-30T18:00"), instance_id)
    if refunds:
        c.complete("urge_refunds", s.refunds(), instance_id)

    assert c.instance(instance_id).status == "completed"
    assert c.measures(subject_id=subject_id) == expected
    notes = {d.measure: d.note for d in c.all(Disposal, Disposal.subject_id == subject_id)}
    assert notes["warning_interview"].endswith("黄某：告知虚假宣传、违法销售的法律责任，责令立即停止会销活动。")
    if suspend:
        assert notes["suspension"] == "新市监停〔2026〕3号 停止一切会议营销活动"
    if refunds:
        assert notes["urge_refunds"].startswith("应清退 380000") and "涉及 12 人" in notes["urge_refunds"]
    items = c.all(RectificationItem, RectificationItem.subject_id == subject_id)
    if rectify:
        [item] = items
        assert (item.status, item.responsible_unit, item.problem) == (
            "open", "market", "保健品宣传夸大功效，部分产品无批准文号。")
        assert c.instance(item.instance_id).status == "running"
        assert c.open_elements(item.instance_id) == ["submit_rectification"]
        assert "整改期限" in notes["order_rectify"]
    else:
        assert items == []
    assert c.grades(subject_id) == ["red"]


def test_other_departments_matter_is_transferred_and_a_rejecting_department_sends_it_back(risk):
    c, instance_id, subject_id = risk
    c.complete("assess_risk", s.assess("yellow", "other_department"), instance_id)
    c.complete("transfer_to_department", s.transfer_department(target="health"), instance_id)
    ack = c.task("department_acknowledge", instance_id)
    assert ack.candidate_group_list == ["health"]
    c.complete("department_acknowledge", s.acknowledge("reject"), instance_id, actor="health.officer")
    assert c.measures(subject_id=subject_id) == []  # nothing is recorded for a rejected transfer

    assert c.task("transfer_to_department", instance_id).candidate_group_list == ["market"]
    c.complete("transfer_to_department", s.transfer_department(target="land"), instance_id)
    assert c.task("department_acknowledge", instance_id).candidate_group_list == ["land"]
    c.complete("department_acknowledge", s.acknowledge("accept"), instance_id, actor="land.officer")

    assert c.instance(instance_id).status == "completed"
    [transfer] = c.all(Disposal, Disposal.subject_id == subject_id)
    assert (transfer.measure, transfer.unit) == ("transfer_department", "market")
    assert "land" in transfer.note and "新移〔2026〕land号" in transfer.note and transfer.note.endswith("吴丽珍")
    completed = [(e.element_id, e.actor) for e in c.events(instance_id, "task.completed")]
    assert completed[1:] == [("transfer_to_department", "market.officer"), ("department_acknowledge", "health.officer"),
                             ("transfer_to_department", "market.officer"), ("department_acknowledge", "land.officer")]


@pytest.mark.parametrize("decision", ["filed", "under_review"])
def test_suspected_crime_is_fixed_in_evidence_and_transferred_to_the_police(risk, decision):
    c, instance_id, subject_id = risk
    c.complete("assess_risk", s.assess("red", "suspected_crime"), instance_id)
    c.complete("fix_evidence", s.fix_evidence(), instance_id)
    c.complete("transfer_to_police", s.transfer_police(), instance_id)
    assert c.open_elements(instance_id) == []  # waiting for the police's acceptance receipt
    c.police_receipt(instance_id)
    acceptance = c.task("police_acceptance", instance_id)
    assert (acceptance.candidate_group_list, acceptance.priority) == (["police"], 70)
    c.complete("police_acceptance", s.police_acceptance(decision, case_no="晋公新立〔2026〕18号"), instance_id,
               actor="police.officer")

    assert c.incidents() == []
    assert c.instance(instance_id).status == "completed"
    [transfer] = c.all(Disposal, Disposal.subject_id == subject_id)
    assert (transfer.measure, transfer.unit, transfer.recorded_by) == ("transfer_police", "market", "police.officer")
    assert transfer.note.startswith(f"新市监移〔2026〕2号：{decision}")
    assert transfer.note.endswith("受案回执 晋公（新）受字〔2026〕27号")


def test_police_not_filing_sends_the_subject_back_to_administrative_disposal(risk):
    c, instance_id, subject_id = risk
    c.complete("assess_risk", s.assess("red", "suspected_crime"), instance_id)
    c.complete("fix_evidence", s.fix_evidence(), instance_id)
    c.complete("transfer_to_police", s.transfer_police(), instance_id)
    c.police_receipt(instance_id)
    c.complete("police_acceptance", s.police_acceptance("not_filed", case_no="晋公新不立〔2026〕3号"), instance_id,
               actor="police.officer")
    assert c.open_elements(instance_id) == ["assess_risk"]
    assert c.measures(subject_id=subject_id) == ["transfer_police"]

    c.complete("assess_risk", s.assess("orange", "clear_problem"), instance_id)
    c.complete("warning_interview", s.interview(), instance_id)
    c.complete("decide_measures", s.measures(refunds=True), instance_id)
    c.complete("urge_refunds", s.refunds(), instance_id)
    assert c.instance(instance_id).status == "completed"
    assert c.grades(subject_id) == ["red", "orange"]
    assert c.measures(subject_id=subject_id) == ["transfer_police", "warning_interview", "urge_refunds"]
    assert [a.assessed_by for a in c.all(RiskAssessment, RiskAssessment.subject_id == subject_id)] == [
        "market.officer", "market.officer"]


@pytest.mark.parametrize("decision,next_elements", [("not_filed", ["assess_risk"]), ("under_review", [])])
def test_police_decision_without_a_case_number_is_recorded(risk, decision, next_elements):
    c, instance_id, subject_id = risk
    c.complete("assess_risk", s.assess("red", "suspected_crime"), instance_id)
    c.complete("fix_evidence", s.fix_evidence(), instance_id)
    c.complete("transfer_to_police", s.transfer_police(), instance_id)
    c.police_receipt(instance_id)
    c.complete("police_acceptance", s.police_acceptance(decision), instance_id, actor="police.officer")
    assert c.incidents() == []
    assert c.open_elements(instance_id) == next_elements
    assert c.measures(subject_id=subject_id) == ["transfer_police"]
