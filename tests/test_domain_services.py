"""Service functions for BPMN scripts, bound to one session."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from domain.errors import ValidationFailed
from domain.leads import register_lead
from domain.models import (
    AccountabilityRecord,
    Disposal,
    Lead,
    RectificationItem,
    RiskAssessment,
    Subject,
    SupervisionCase,
    Unit,
)
from domain.records import create_subject
from domain.services import make_service_functions
from engine.bpmn import sandbox
from engine.store.calendar_models import CalendarOverride
from engine.store.models import AuditEvent, HumanTask


class FakeEngine:
    """Records start_process calls and answers with made-up instance ids."""

    def __init__(self, answer=True):
        self.calls = []
        self.answer = answer

    def __call__(self, process_id, data):
        self.calls.append((process_id, data))
        return 100 + len(self.calls) if self.answer else None


@pytest.fixture
def started():
    return FakeEngine()


@pytest.fixture
def fns(session, started):
    return make_service_functions(session, "market.officer", started)


@pytest.fixture
def subject(session):
    return create_subject(session, {"name": "泉州长青健康科技有限公司", "sector": "food_health_products"}, "x")


@pytest.fixture
def lead(session, subject):
    return register_lead(session, {
        "channel": "police_110", "received_at": "2026-03-01T10:00", "sector": "food_health_products",
        "subject_id": subject.id, "summary": "报警人称其父亲被诱导以2.6万元购买“降糖降压”保健品。"}, "office.officer")


def _fails(call, *args, **kwargs):
    with pytest.raises(ValidationFailed) as failed:
        call(*args, **kwargs)
    return failed.value.messages


def test_the_documented_functions_are_provided(fns):
    assert {"update_lead", "record_risk_grade", "record_disposal", "open_rectification", "update_rectification",
            "start_supervision", "open_accountability", "workdays_after"} <= set(fns)


def test_update_lead(session, fns, lead, clock):
    fns["update_lead"](lead.id, status="verifying", responsible_unit="market", major=True,
                       feedback_deadline="2026-03-16T18:00:00+08:00")
    assert (lead.status, lead.responsible_unit, lead.major) == ("verifying", "market", True)
    assert lead.feedback_deadline == datetime(2026, 3, 16, 10, 0, tzinfo=timezone.utc)
    fns["update_lead"](lead.id, status="closed", result="substantiated")
    assert lead.closed_at == clock.now() and lead.result == "substantiated"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.updated")).all()[-1]
    assert event.actor == "market.officer" and event.data["fields"]["status"] == "closed"


def test_update_lead_rejects_bad_fields(fns, lead):
    assert "summary" in _fails(fns["update_lead"], lead.id, summary="改写")
    assert _fails(fns["update_lead"], lead.id, status="lost") == {"status": ["状态的取值无效"]}
    assert _fails(fns["update_lead"], lead.id, responsible_unit="ghosts") == {"responsible_unit": ["责任单位不是有效的单位"]}
    assert _fails(fns["update_lead"], 9999, status="closed") == {"lead_id": ["关联线索不存在"]}
    assert lead.status == "registered"


def test_lead_info(fns, lead):
    info = fns["lead_info"](lead.id)
    assert info["number"] == lead.number and info["suggested_unit"] == "market"
    assert info["received_at"] == "2026-03-01T02:00:00+00:00"


def test_record_risk_grade_appends_to_the_history(session, fns, subject, lead):
    first = fns["record_risk_grade"](subject.id, "yellow", 35, 380000, "medium", "low")
    second = fns["record_risk_grade"](subject.id, "red", 120, 2600000.4, "high", "high", lead_id=lead.id)
    history = session.scalars(select(RiskAssessment).where(RiskAssessment.subject_id == subject.id)
                              .order_by(RiskAssessment.id)).all()
    assert [a.id for a in history] == [first, second]
    assert (history[1].grade, history[1].money_at_risk, history[1].assessed_by) == ("red", 2600000, "market.officer")
    assert subject.grade == "red"
    errors = _fails(fns["record_risk_grade"], subject.id, "purple", -1, 0, "hot", "low")
    assert set(errors) == {"grade", "people_involved", "opinion_heat"}
    assert _fails(fns["record_risk_grade"], 555, "red", 1, 1, "low", "low") == {"subject_id": ["涉及机构/企业不存在"]}


def test_record_disposal(session, fns, subject, lead):
    disposal_id = fns["record_disposal"](subject.id, "warning_interview", "market", "", note="约谈负责人",
                                         lead_id=lead.id)
    disposal = session.get(Disposal, disposal_id)
    assert (disposal.measure, disposal.unit, disposal.officer, disposal.lead) == (
        "warning_interview", "market", "market.officer", lead)
    assert disposal in lead.disposals
    assert _fails(fns["record_disposal"], subject.id, "shaming", "market", "x") == {"measure": ["处置措施的取值无效"]}
    assert "subject_id" in _fails(fns["record_disposal"], None, "risk_warning", "market", "x")


def test_record_feedback_measures_maps_the_options_and_checks_its_arguments(session, fns, subject, lead, clock):
    """The table of labels.FEEDBACK_MEASURE; the full story (re-submission, graded disposal,
    no institution) runs through the real process in tests/test_scenarios_lead.py."""
    assert _fails(fns["record_feedback_measures"], lead.id, ["warning_interview"]) == {
        "responsible_unit": ["责任单位为必填项"]}  # not dispatched yet
    fns["record_feedback_measures"](lead.id, ["no_action", "mediation"])  # nothing to record: no unit needed
    lead.responsible_unit = "market"
    # an option the table does not know is recorded only if it is a measure itself
    ids = fns["record_feedback_measures"](lead.id, ["case_filed", "fine_imposed", "suspension", "case_filed"],
                                          note="已立案")
    rows = [session.get(Disposal, i) for i in ids]
    assert [(r.measure, r.subject_id, r.lead_id, r.unit, r.officer, r.note, r.disposed_at) for r in rows] == [
        ("case_filed", subject.id, lead.id, "market", "market.officer", "已立案", clock.now()),
        ("suspension", subject.id, lead.id, "market", "market.officer", "已立案", clock.now())]
    assert {r.measure for r in lead.disposals} == {"case_filed", "suspension"}
    assert _fails(fns["record_feedback_measures"], lead.id, {"a": 1}) == {"handling": ["办理措施必须是列表"]}
    assert _fails(fns["record_feedback_measures"], 9999, []) == {"lead_id": ["关联线索不存在"]}


def test_open_rectification_starts_its_process(session, fns, started, subject, lead):
    item_id = fns["open_rectification"](subject.id, "保健品宣传夸大功效", "market", "2026-03-20",
                                        "下架产品；更正宣传", person="黄某", lead_id=lead.id)
    item = session.get(RectificationItem, item_id)
    assert (item.status, item.responsible_person, item.instance_id) == ("open", "黄某", 101)
    assert item.deadline == datetime(2026, 3, 20, 15, 59, 59, tzinfo=timezone.utc)
    assert started.calls == [("rectification", {
        "item_id": item_id, "subject_id": subject.id, "lead_id": lead.id, "responsible_unit": "market",
        "deadline": "2026-03-20T15:59:59+00:00"})]
    assert item in lead.rectification_items


def test_open_rectification_validates_before_starting(fns, started, subject):
    errors = _fails(fns["open_rectification"], subject.id, "", "market", "2026-02-01", "")
    assert set(errors) == {"problem", "measures", "deadline"}
    assert started.calls == []


def test_a_start_after_commit_leaves_the_instance_id_empty(session, subject):
    fns = make_service_functions(session, "x", FakeEngine(answer=False))
    item_id = fns["open_rectification"](subject.id, "问题", "market", "2026-03-20T18:00", "措施")
    assert session.get(RectificationItem, item_id).instance_id is None


def test_update_rectification(session, fns, subject, clock):
    item_id = fns["open_rectification"](subject.id, "问题", "market", "2026-03-20T18:00", "措施")
    fns["update_rectification"](item_id, "submitted", evidence=[5, 6])
    fns["update_rectification"](item_id, "sent_back")
    fns["update_rectification"](item_id, "submitted", evidence=[6, 7])
    item = session.get(RectificationItem, item_id)
    assert (item.status, item.evidence, item.closed_at) == ("submitted", [5, 6, 7], None)
    fns["update_rectification"](item_id, "closed", lookback_result="回头看：未发现反弹")
    assert (item.status, item.lookback_result, item.closed_at) == ("closed", "回头看：未发现反弹", clock.now())
    fns["update_rectification"](item_id, "reopened")
    assert item.closed_at is None
    assert _fails(fns["update_rectification"], item_id, "forgotten") == {"status": ["状态的取值无效"]}
    assert "item_id" in _fails(fns["update_rectification"], 4242, "closed")


def test_start_supervision(session, fns, started, lead):
    case_id = fns["start_supervision"]("lead", lead.id, "market", "重大线索挂牌督办", level="yellow")
    case = session.get(SupervisionCase, case_id)
    assert (case.number, case.kind, case.target_id, case.level, case.status, case.instance_id) == (
        "DB-2026-000001", "lead", lead.id, "yellow", "open", 101)
    [(process_id, data)] = started.calls
    assert process_id == "supervision"
    assert data["lead_id"] == lead.id and data["case_id"] == case_id and data["responsible_unit"] == "market"
    unit_case = session.get(SupervisionCase, fns["start_supervision"]("unit", "health", "health", "月报连续两月迟报"))
    health = session.scalars(select(Unit).where(Unit.code == "health")).one()
    assert (unit_case.level, unit_case.target_id) == ("ordinary", health.id)  # a unit may be named by its code
    assert "lead_id" not in started.calls[-1][1] and started.calls[-1][1]["unit"] == "health"
    assert _fails(fns["start_supervision"], "lead", None, "market", "x") == {"target_id": ["督办对象为必填项"]}
    assert _fails(fns["start_supervision"], "unit", "ghosts", "market", "x") == {"target_id": ["督办对象不存在"]}
    assert _fails(fns["start_supervision"], "lead", 999, "market", "x") == {"target_id": ["督办对象不存在"]}
    assert set(_fails(fns["start_supervision"], "weather", None, "market", "x", level="purple")) == {"kind", "level"}


def test_update_supervision(session, fns, lead, clock):
    case_id = fns["start_supervision"]("lead", lead.id, "market", "逾期未反馈")
    fns["update_supervision"](case_id, stage="interview", level="red")
    fns["update_supervision"](case_id, status="closed")
    case = session.get(SupervisionCase, case_id)
    assert (case.stage, case.level, case.status, case.closed_at) == ("interview", "red", "closed", clock.now())


def test_open_accountability(session, fns):
    item_id = fns["open_rectification"](None, "问题", "health", "2026-03-20", "措施")
    record_id = fns["open_accountability"]("health", "整改逾期且约谈后仍未落实", target_kind="rectification",
                                           target_id=item_id)
    record = session.get(AccountabilityRecord, record_id)
    assert (record.unit, record.target_kind, record.target_id, record.status, record.opened_by) == (
        "health", "rectification", item_id, "open", "market.officer")
    assert set(_fails(fns["open_accountability"], "nobody", "")) == {"unit", "reason"}
    by_code = session.get(AccountabilityRecord, fns["open_accountability"]("health", "问责", "unit", "health"))
    assert by_code.target_id == session.scalars(select(Unit.id).where(Unit.code == "health")).one()
    assert _fails(fns["open_accountability"], "health", "问责", "lead", 404) == {"target_id": ["督办对象不存在"]}
    assert _fails(fns["open_accountability"], "health", "问责", None, "x") == {"target_id": ["督办对象必须是整数"]}


def test_workdays_after_uses_the_calendar_and_its_local_overrides(session, fns):
    # Now is Monday 2 March 2026, 09:00 in Beijing; a deadline ends at 18:00 Beijing (10:00 UTC).
    assert fns["workdays_after"](5) == "2026-03-09T10:00:00+00:00"
    assert fns["workdays_after"](1, "2026-03-06T10:00:00+08:00") == "2026-03-09T10:00:00+00:00"
    session.add(CalendarOverride(day=date(2026, 3, 3), is_workday=False, note="local day off"))
    session.flush()
    assert fns["workdays_after"](1) == "2026-03-04T10:00:00+00:00"
    assert "n" in _fails(fns["workdays_after"], "soon")


def test_functions_run_inside_the_script_sandbox(session, fns, lead):
    data = {"lead_id": lead.id, "subject_id": lead.subject_id}
    sandbox.execute(
        "update_lead(lead_id, status='dispatched', responsible_unit='market')\n"
        "deadline = workdays_after(3)\n"
        "info = lead_info(lead_id)\n"
        "grade_id = record_risk_grade(subject_id, 'orange', 60, 100000, 'low', 'medium')\n"
        "item_id = open_rectification(subject_id, '问题', info['responsible_unit'], deadline, '措施')\n",
        data, fns)
    assert session.get(Lead, lead.id).status == "dispatched"
    assert data["deadline"] == "2026-03-05T10:00:00+00:00"
    assert session.get(Subject, lead.subject_id).grade == "orange"
    assert session.get(RectificationItem, data["item_id"]).responsible_unit == "market"


def test_the_engine_runs_the_functions_in_its_command(domain_db, session, lead, clock):
    """A real engine, deployed processes, scripts calling the domain and starting a process."""
    from engine.runtime import Engine
    from tests import bpmn_builder as b

    session.commit()
    engine = Engine(domain_db, clock=clock, services=make_service_functions, node_id="domain-test")
    engine.deploy(b.process("rectification", b.start(), b.user_task("fix", groups="${responsible_unit}"), b.end(),
                            *b.chain("start", "fix", "end")), "rectification.bpmn")
    engine.deploy(b.process("lead_handling", b.start(), b.script_task(
        "triage",
        "info = lead_info(lead_id)\n"
        "update_lead(lead_id, status='dispatched', responsible_unit=info['suggested_unit'],"
        " feedback_deadline=workdays_after(15))\n"
        "item_id = open_rectification(info['subject_id'], '问题', info['suggested_unit'], workdays_after(10), '措施',"
        " lead_id=lead_id)\n"), b.end(), *b.chain("start", "triage", "end")), "lead_handling.bpmn")
    instance_id = engine.start("lead_handling", {"lead_id": lead.id}, business_key=lead.number)

    with domain_db() as check:
        stored = check.get(Lead, lead.id)
        assert (stored.status, stored.responsible_unit) == ("dispatched", "market")
        item = check.scalars(select(RectificationItem).where(RectificationItem.lead_id == lead.id)).one()
        assert item.instance_id not in (None, instance_id)
        assert item.deadline == datetime(2026, 3, 16, 10, 0, tzinfo=timezone.utc)  # 18:00 Beijing
        task = check.scalars(select(HumanTask).where(HumanTask.instance_id == item.instance_id)).one()
        assert (task.element_id, task.candidate_groups) == ("fix", "market")
