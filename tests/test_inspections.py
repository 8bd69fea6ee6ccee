"""Inspections of institutions (机构排查): the sectors' checklists, recording an inspection with
its validation, graded disposal started once for a risk found, and the figures the dashboard
and the monthly return count (on a hand-computed fixture)."""
import json
from datetime import date

import pytest

from domain import checklists, inspections
from domain.checklists import ChecklistError
from domain.errors import ValidationFailed
from domain.inspections import DisposalRefused, record_inspection, return_figures, start_disposal
from domain.labels import SECTORS
from domain.models import Inspection, Subject
from tests import scenario_support as s

campaign = s.campaign  # the fixture: the processes deployed, demo units and users


# -- checklists ---------------------------------------------------------------------------------

def test_every_sector_has_a_valid_checklist_from_the_seeds():
    assert checklists.check_all() == []
    fundraising = checklists.checklist("illegal_fundraising")
    texts = [point["text"]["zh"] for point in fundraising["points"]]
    assert any("养老床位" in text for text in texts) and any("会员卡" in text for text in texts)
    assert any("无资质" in p["text"]["zh"] or "执业许可证" in p["text"]["zh"]
               for p in checklists.checklist("unlicensed_medical")["points"])
    assert {checklists.checklist(sector)["sector"] for sector in SECTORS} == set(SECTORS)


@pytest.mark.parametrize("content, words", [
    ("{not json", "is not valid JSON (line 1"),
    ('{"sector": "casino", "title": {"zh": "x", "en": "x"}, "points": []}', "sector 'casino' is not one of"),
    ('{"sector": "care_land", "title": {"zh": "x"}, "points": []}', "title needs a Chinese and an English text"),
    ('{"sector": "care_land", "title": {"zh": "x", "en": "x"}, "points": []}', "points must be a non-empty list"),
    ('{"sector": "care_land", "title": {"zh": "x", "en": "x"}, "points": [{"id": "A b", "text": {}}]}',
     "point 1 has no valid id"),
    ('{"sector": "care_land", "title": {"zh": "x", "en": "x"}, "points": ['
     '{"id": "a", "text": {"zh": "x", "en": "x"}}, {"id": "a", "text": {"zh": "y", "en": "y"}}]}',
     "point id 'a' is used twice"),
])
def test_a_bad_checklist_file_is_refused_with_a_message_naming_file_and_fault(tmp_path, content, words):
    path = tmp_path / "care_land.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ChecklistError) as refused:
        checklists.parse_checklist(path, "care_land")
    assert str(refused.value).startswith("care_land.json: ") and words in str(refused.value)
    problems = checklists.check_all(tmp_path)
    assert any(words in problem for problem in problems)  # and the other sectors' files are missing
    assert any("the checklist of sector 'internet_traps' is missing" in problem for problem in problems)


def test_the_cli_checks_the_checklists(app, tmp_path, monkeypatch):
    result = app.test_cli_runner().invoke(args=["check-checklists"])
    assert result.exit_code == 0 and "8" in result.output
    bad = tmp_path / "checklists"
    bad.mkdir()
    for sector in SECTORS:
        (bad / f"{sector}.json").write_text(json.dumps(checklists.checklist(sector)), encoding="utf-8")
    (bad / "tourism_art.json").write_text('{"sector": "tourism_art"', encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["check-checklists", "--directory", str(bad)])
    assert result.exit_code != 0
    assert "tourism_art.json: is not valid JSON" in result.output and "Traceback" not in result.output


# -- recording ----------------------------------------------------------------------------------

def _data(subject_id=None, **overrides):
    data = {"inspected_on": "2026-02-27", "unit": "civil_affairs", "officers": ["civil_affairs.officer"],
            "finding": "no_problem", "answers": {}, "note": ""}
    if subject_id is not None:
        data["subject_id"] = subject_id
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _record(c, data, actor="civil_affairs.officer", allowed=("civil_affairs",), locale="zh"):
    with c.session_factory() as session:
        inspection = record_inspection(session, data, c.actor(actor), locale, allowed_units=set(allowed))
        session.commit()
        return inspection.id


def _refused(c, data, **kwargs) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        _record(c, data, **kwargs)
    return refused.value.messages


def test_an_inspection_of_a_registered_institution_keeps_the_checklist_as_answered(campaign):
    c = campaign
    subject_id = c.create_subject("晋江市金色年华养老服务中心", "52350582MJ0D41A7Y", "illegal_fundraising")
    inspection_id = _record(c, _data(subject_id, finding="risk_found", officers=[
        "civil_affairs.officer", "civil_affairs.supervisor"],
        answers={"membership_cards": {"problem": True, "note": "推销“终身会员卡”，一次性缴纳10万元"}}))
    inspection = c.get(Inspection, inspection_id)
    assert (inspection.number, inspection.inspected_on, inspection.unit, inspection.sector, inspection.finding) == (
        "PC-2026-000001", date(2026, 2, 27), "civil_affairs", "illegal_fundraising", "risk_found")
    assert inspection.officers == ["civil_affairs.officer", "civil_affairs.supervisor"]
    points = checklists.checklist("illegal_fundraising")["points"]
    assert [a["id"] for a in inspection.answers] == [p["id"] for p in points]  # every point, in order
    [marked] = [a for a in inspection.answers if a["problem"]]
    assert marked["note"].startswith("推销") and "会员卡" in marked["text"]["zh"]
    [event] = c.domain_events("inspection.recorded", inspection_id=inspection_id)
    assert event.actor == "civil_affairs.officer" and event.data["finding"] == "risk_found"


def test_a_new_institution_is_registered_with_its_inspection_and_its_sector(campaign):
    c = campaign
    inspection_id = _record(c, _data(subject_name="晋江市安康颐养院", subject_credit_code=s.credit_code(
        "52350582MJ0E77B1X"), sector="unlicensed_medical"))
    inspection = c.get(Inspection, inspection_id)
    subject = c.get(Subject, inspection.subject_id)
    assert (subject.name, subject.sector, inspection.sector) == ("晋江市安康颐养院", "unlicensed_medical",
                                                                 "unlicensed_medical")


@pytest.mark.parametrize("overrides, field, words", [
    ({"inspected_on": "2026-03-03"}, "inspected_on", "排查日期不能晚于当前时间"),
    ({"inspected_on": "昨天"}, "inspected_on", "排查日期不是有效的日期"),
    ({"unit": "police"}, "unit", "排查单位不是有效的单位"),
    ({"unit": "community_tangshi"}, "unit", "排查单位不是有效的单位"),
    ({"officers": []}, "officers", "排查人员为必填项"),
    ({"officers": ["market.officer"]}, "officers", "排查人员须为排查单位的在岗人员"),
    ({"officers": ["community_tangshi.grid"]}, "officers", "排查人员须为排查单位的在岗人员"),
    ({"finding": "maybe"}, "finding", "排查结论的取值无效"),
    ({"finding": "risk_found"}, "finding", "须在排查项目中标出问题或填写排查情况说明"),
    ({"answers": {"bed_booking": {"problem": True}}}, "finding", "不能为“无问题”"),
    ({"answers": {"no_such_point": {"problem": True}}}, "checklist", "排查项目中有不属于该整治领域的项目"),
    ({"answers": {"bed_booking": {"problem": "yes"}}}, "checklist", "排查项目的取值无效"),
    ({"subject_id": None}, "subject_name", "请填写涉及机构/企业名称或选择已登记的机构/企业"),
    ({"subject_id": None, "subject_name": "不存在的养老院"}, "subject_credit_code", "为必填项"),
    ({"subject_id": 999999}, "subject_id", "涉及机构/企业不存在"),
    ({"note": "很长" * 2001}, "note", "不能超过4000个字符"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(campaign, overrides, field, words):
    c = campaign
    subject_id = c.create_subject("晋江市金色年华养老服务中心", "52350582MJ0D41A7Y", "illegal_fundraising")
    before = c.row_counts(), len(c.all(Inspection)), len(c.all(Subject))
    messages = _refused(c, _data(**{"subject_id": subject_id, **overrides}))
    assert field in messages and any(words in text for text in messages[field]), messages
    assert (c.row_counts(), len(c.all(Inspection)), len(c.all(Subject))) == before


def test_messages_are_in_english_for_an_english_user(campaign):
    c = campaign
    subject_id = c.create_subject()
    messages = _refused(c, _data(subject_id, finding="risk_found", officers=[]), locale="en")
    assert messages["officers"] == ["Inspecting officers is required"]
    assert "mark a point of the Checklist or write the Notes on the inspection" in messages["finding"][0]


def test_an_institution_without_a_sector_needs_one(campaign):
    c = campaign
    with c.session_factory() as session:
        subject = Subject(name="某养生馆", created_at=c.clock.now())
        session.add(subject)
        session.commit()
        subject_id = subject.id
    assert "sector" in _refused(c, _data(subject_id))
    assert c.get(Inspection, _record(c, _data(subject_id, sector="food_health_products"))).sector == \
        "food_health_products"


# -- graded disposal for a risk found ---------------------------------------------------------------

def test_starting_disposal_for_a_risk_found_puts_its_assessment_in_the_units_inbox_once(campaign):
    c = campaign
    subject_id = c.create_subject("晋江市金色年华养老服务中心", "52350582MJ0D41A7Y", "illegal_fundraising")
    inspection_id = _record(c, _data(subject_id, finding="risk_found", note="收取大额会员费，资金去向不明"))
    instance_id = start_disposal(c.engine, c.actor("civil_affairs.officer"), inspection_id)

    instance = c.instance(instance_id)
    assert (instance.process_id, instance.business_key) == ("risk_disposal", c.get(Inspection, inspection_id).number)
    assert c.get(Inspection, inspection_id).instance_id == instance_id
    variables = c.variables(instance_id)
    assert (variables["subject_id"], variables["responsible_unit"], variables["inspection_id"]) == (
        subject_id, "civil_affairs", inspection_id)
    assess = c.task("assess_risk", instance_id)
    assert assess.candidate_group_list == ["civil_affairs"]  # in the inspecting unit's inbox
    [event] = c.domain_events("inspection.disposal_started", inspection_id=inspection_id)
    assert event.instance_id == instance_id and event.actor == "civil_affairs.officer"

    with pytest.raises(DisposalRefused) as twice:
        start_disposal(c.engine, c.actor("civil_affairs.officer"), inspection_id)
    assert twice.value.reason == "already_started"
    assert len(c.instances("risk_disposal")) == 1


def test_no_disposal_for_an_inspection_without_a_risk(campaign):
    c = campaign
    inspection_id = _record(c, _data(c.create_subject()))
    with pytest.raises(DisposalRefused) as refused:
        start_disposal(c.engine, c.actor("civil_affairs.officer"), inspection_id)
    assert refused.value.reason == "no_risk" and c.instances("risk_disposal") == []
    assert c.get(Inspection, inspection_id).instance_id is None


# -- figures: the dashboard's and the monthly return's ----------------------------------------------

def _figures_fixture(c):
    """By hand: in February, civil affairs inspects A twice (once a risk) and B; market inspects A
    (no problem) and C (a risk); health inspects D in January (outside the month)."""
    a = c.create_subject("A养老院", "52350582MJ0D41A7Y", "illegal_fundraising")
    b = c.create_subject("B养老院", "52350582MJ0E77B1X", "illegal_fundraising")
    cc = c.create_subject("C保健品店", "91350500MA34B7LN2", "food_health_products")
    d = c.create_subject("D养老公寓", "52350582MJ0C9K3D7", "unlicensed_medical")
    risk = {"finding": "risk_found", "note": "发现风险"}
    _record(c, _data(a, inspected_on="2026-02-02"))
    _record(c, _data(a, inspected_on="2026-02-20", **risk))
    _record(c, _data(b, inspected_on="2026-02-28"))
    _record(c, _data(a, unit="market", officers=["market.officer"], inspected_on="2026-02-10"),
            actor="market.officer", allowed=("market",))
    _record(c, _data(cc, unit="market", officers=["market.officer"], inspected_on="2026-02-01", **risk),
            actor="market.officer", allowed=("market",))
    _record(c, _data(d, unit="health", officers=["health.officer"], inspected_on="2026-01-31", **risk),
            actor="health.officer", allowed=("health",))


def test_figures_by_unit_and_sector_on_a_hand_computed_fixture(campaign):
    c = campaign
    _figures_fixture(c)
    first, last = date(2026, 2, 1), date(2026, 2, 28)
    with c.session_factory() as session:
        assert return_figures(session, None, first, last) == {
            "institutions_inspected": 3, "inspections": 5, "institutions_at_risk": 2}
        assert return_figures(session, {"civil_affairs"}, first, last) == {
            "institutions_inspected": 2, "inspections": 3, "institutions_at_risk": 1}
        assert return_figures(session, {"health"}, first, last) == {
            "institutions_inspected": 0, "inspections": 0, "institutions_at_risk": 0}
        assert return_figures(session, set(), first, last) == {
            "institutions_inspected": 0, "inspections": 0, "institutions_at_risk": 0}
        assert return_figures(session, None, date(2026, 1, 1), date(2026, 1, 31))["institutions_at_risk"] == 1
        f = inspections.figures(session, None, first, last)
    assert f.by_unit["institutions_inspected"] == {"civil_affairs": 2, "market": 2}  # A counts for both units
    assert f.by_unit["inspections"] == {"civil_affairs": 3, "market": 2}
    assert f.by_unit["institutions_at_risk"] == {"civil_affairs": 1, "market": 1}
    assert f.by_sector["institutions_inspected"] == {"illegal_fundraising": 2, "food_health_products": 1}
    assert f.by_sector["institutions_at_risk"] == {"illegal_fundraising": 1, "food_health_products": 1}
    assert f.totals == {"institutions_inspected": 3, "inspections": 5, "institutions_at_risk": 2}
    assert [key for key, _zh, _en in inspections.RETURN_FIGURES] == list(f.totals)
