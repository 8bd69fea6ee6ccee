"""Inspection pages through the Flask test client (on the demo): recording with the form (422
naming the field, nothing written), who sees which inspection (404 for others), starting graded
disposal from the page once, the subject page's section, and the dashboard's figures agreeing
with the monthly return's."""
import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import func, select

from domain.demo import credit_code
from domain.inspections import return_figures
from domain.models import Inspection, Subject
from engine.store.models import HumanTask, ProcessInstance
from tests.browser_support import (assert_fits, browser, live_server, page, phone, screenshot,  # noqa: F401
                                   sign_in)
from tests.conftest import csrf_token, login

JINSE = "晋江市金色年华养老服务中心"  # demo subject 8 (illegal fund-raising): civil affairs holds its lead
NEW_CODE = credit_code("52350582MJ0P90L1J")


def _error(resp, field):
    match = re.search(rf'id="error-{re.escape(field)}">([^<]*)<', resp.text)
    return unescape(match.group(1)) if match else None


def _subject_id(session_factory, name):
    with session_factory() as s:
        return s.scalar(select(Subject.id).where(Subject.name == name))


def _count(session_factory, model):
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _form(**overrides):
    form = {"inspected_on": "2026-03-02", "officers": ["civil_affairs.officer"], "subject_mode": "new",
            "subject_name": "晋江市新塘福康养老院", "subject_credit_code": NEW_CODE, "sector": "illegal_fundraising",
            "problem-illegal_fundraising-bed_booking": "1",
            "note-illegal_fundraising-bed_booking": "以预订床位名义收取每人2万元",
            "finding": "risk_found", "note": "资金去向不明"}
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def _post(client, form):
    return client.post("/inspections/new", data={**form, "csrf_token": csrf_token(client, "/inspections/new")})


def _market_inspection(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(Inspection.id).where(Inspection.unit == "market", Inspection.finding == "risk_found"))


def test_an_officer_records_an_inspection_with_a_new_institution(client, session_factory):
    login(client, "civil_affairs.officer")
    page = client.get("/inspections/new")
    assert page.status_code == 200 and "新塘街道社会事务办" in page.text
    assert 'data-checklist-sector="illegal_fundraising"' in page.text and "养老床位" in page.text
    assert "civil_affairs" not in re.sub(r'(value|name|id|data-[a-z-]+)="[^"]*"', "", page.text)  # no unit code shown
    response = _post(client, _form())
    assert response.status_code == 302
    with session_factory() as s:
        inspection = s.scalars(select(Inspection).order_by(Inspection.id.desc())).first()
        assert (inspection.unit, inspection.finding, inspection.inspected_on) == (
            "civil_affairs", "risk_found", date(2026, 3, 2))
        assert inspection.subject.name == "晋江市新塘福康养老院" and inspection.subject.credit_code == NEW_CODE
        [marked] = [a for a in inspection.answers if a["problem"]]
        assert marked["id"] == "bed_booking" and marked["note"] == "以预订床位名义收取每人2万元"
    shown = client.get(response.headers["Location"])
    assert "晋江市新塘福康养老院" in shown.text and "发现风险" in shown.text and "以预订床位名义收取每人2万元" in shown.text
    assert "启动风险研判处置" in shown.text


@pytest.mark.parametrize("overrides, field, words", [
    ({"finding": None}, "finding", "排查结论为必填项"),
    ({"officers": []}, "officers", "排查人员为必填项"),
    ({"officers": ["market.officer"]}, "officers", "排查人员须为排查单位的在岗人员"),
    ({"inspected_on": "2026-03-09"}, "inspected_on", "排查日期不能晚于当前时间"),
    ({"subject_credit_code": "91350582MA8UB3C2Y"}, "subject_credit_code", "不是有效的统一社会信用代码"),
    ({"problem-illegal_fundraising-bed_booking": None, "note": ""}, "finding", "须在排查项目中标出问题"),
])
def test_bad_input_re_renders_the_form_with_the_message_beside_the_field(client, session_factory, overrides, field,
                                                                         words):
    login(client, "civil_affairs.officer")
    before = _count(session_factory, Inspection), _count(session_factory, Subject)
    response = _post(client, _form(**overrides))
    assert response.status_code == 422
    assert words in (_error(response, field) or ""), response.text
    assert 'value="晋江市新塘福康养老院"' in response.text  # what was typed is kept
    assert (_count(session_factory, Inspection), _count(session_factory, Subject)) == before


def test_another_units_institution_cannot_be_named(client, session_factory):
    """Market holds nothing on 金色年华: naming it by id is refused as unknown (domain.leads rules)."""
    login(client, "market.officer")
    response = _post(client, _form(officers=["market.officer"], subject_mode="existing",
                                   subject_id=str(_subject_id(session_factory, JINSE))))
    assert response.status_code == 422 and "涉及机构/企业不存在" in _error(response, "subject_id")
    assert JINSE not in client.get("/inspections/new").text


@pytest.mark.parametrize("username, status", [
    ("market.officer", 200), ("market.supervisor", 200), ("office.officer", 200), ("office.leader", 200),
    ("admin", 200), ("police.officer", 404), ("police.supervisor", 404), ("civil_affairs.officer", 404),
    ("community_tangshi.grid", 404),
])
def test_an_inspection_is_seen_by_its_unit_its_supervisors_and_the_office_only(client, session_factory, username,
                                                                                status):
    inspection_id = _market_inspection(session_factory)
    login(client, username)
    assert client.get(f"/inspections/{inspection_id}").status_code == status
    listed = client.get("/inspections").text
    assert (f'data-inspection-id="{inspection_id}"' in listed) == (status == 200)


@pytest.mark.parametrize("username, status", [
    ("admin", 403), ("community_tangshi.grid", 403), ("community_tangshi.officer", 403), ("market.officer", 200)])
def test_who_records(client, username, status):
    login(client, username)
    assert client.get("/inspections/new").status_code == status


def test_starting_disposal_from_the_page_once(client, session_factory):
    inspection_id = _market_inspection(session_factory)
    login(client, "police.officer")
    assert client.post(f"/inspections/{inspection_id}/disposal",
                       data={"csrf_token": csrf_token(client)}).status_code == 404
    login(client, "market.supervisor")
    token = csrf_token(client, f"/inspections/{inspection_id}")
    started = client.post(f"/inspections/{inspection_id}/disposal", data={"csrf_token": token})
    assert started.status_code == 302
    with session_factory() as s:
        inspection = s.get(Inspection, inspection_id)
        instance = s.get(ProcessInstance, inspection.instance_id)
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                   HumanTask.status == "open")).all()
        assert (instance.process_id, task.element_id, task.candidate_groups) == (
            "risk_disposal", "assess_risk", "market")
        instances = s.scalar(select(func.count()).select_from(ProcessInstance))
    page = client.get(f"/inspections/{inspection_id}")
    assert "已启动风险研判处置" in page.text and 'id="case-link"' in page.text and f"/tasks/{task.id}" in page.text
    assert 'id="start-disposal"' not in page.text
    again = client.post(f"/inspections/{inspection_id}/disposal", data={"csrf_token": token}, follow_redirects=True)
    assert "不能重复启动" in again.text
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ProcessInstance)) == instances
    market = login(client, "market.officer")
    assert f"/tasks/{task.id}" in market.get("/inbox/").text


def test_the_subject_page_lists_its_inspections_for_those_who_see_them(client, session_factory):
    inspection_id = _market_inspection(session_factory)
    with session_factory() as s:
        subject_id = s.get(Inspection, inspection_id).subject_id
    login(client, "market.officer")
    page = client.get(f"/subjects/{subject_id}")
    assert 'id="subject-inspections"' in page.text and f'data-inspection-id="{inspection_id}"' in page.text


def test_the_dashboard_figures_equal_the_monthly_returns(client, session_factory):
    login(client, "office.leader")
    with session_factory() as s:
        days = sorted(s.scalars(select(Inspection.inspected_on)))
        first, last = days[0], days[-1]
        expected = return_figures(s, None, first, last)
        market = return_figures(s, {"market"}, first, last)
    page = client.get(f"/dashboard/?from={first.isoformat()}&to={last.isoformat()}").text
    assert expected == {"institutions_inspected": 13, "inspections": 14, "institutions_at_risk": 4}

    def shown(html, kpi):
        block = html.split(f'id="{kpi}"', 1)[1]
        return int(re.search(r'class="fig[^"]*"[^>]*>(\d+)<', block).group(1))
    assert shown(page, "kpi-inspected") == expected["institutions_inspected"]
    assert shown(page, "kpi-inspections") == expected["inspections"]
    assert shown(page, "kpi-inspection-risks") == expected["institutions_at_risk"]
    narrowed = client.get(f"/dashboard/?from={first.isoformat()}&to={last.isoformat()}&unit=market").text
    assert shown(narrowed, "kpi-inspections") == market["inspections"] == 3
    listed = client.get(f"/inspections?from={first.isoformat()}&to={last.isoformat()}&unit=market").text
    assert listed.count("data-inspection-id=") == 3


# -- in a browser ------------------------------------------------------------------------------------

def test_browser_an_officer_records_a_risk_and_starts_disposal(page, live_server):  # noqa: F811
    sign_in(page, "civil_affairs.officer")
    page.goto("/inspections")
    page.click("#record-inspection")
    page.check("#subject_mode_new")
    page.fill("#subject_name", "晋江市新塘福康养老院")
    page.fill("#subject_credit_code", NEW_CODE)
    page.select_option("#sector", "illegal_fundraising")
    row = page.locator('[data-checklist-sector="illegal_fundraising"] tr[data-point="membership_cards"]')
    assert row.is_visible()
    assert not page.locator('[data-checklist-sector="care_land"]').is_visible()
    row.locator("input[type=checkbox]").check()
    row.locator("input[name^=note-]").fill("推销“终身会员卡”，一次性缴纳10万元")
    page.check("#finding-risk_found")
    page.fill("#note", "资金去向不明，建议启动风险研判")
    screenshot(page, "inspection-form")
    page.click("#save-inspection")
    page.wait_for_selector("#start-disposal")
    assert "推销“终身会员卡”" in page.inner_text("#checklist-answers")
    page.click("#start-disposal button")
    page.wait_for_selector("#disposal-started")
    assert "风险研判评估" in page.inner_text("#holders")
    screenshot(page, "inspection-disposal-started")
    page.click("#holders a.holder-task")
    page.wait_for_url(re.compile(r"/tasks/\d+"))


def test_phone_the_inspection_pages_fit_and_the_list_is_cards(phone, session_factory):  # noqa: F811
    page = phone
    inspection_id = _market_inspection(session_factory)
    sign_in(page, "market.supervisor")
    for path, shot in (("/inspections", "inspections"), ("/inspections/new", "inspection-new"),
                       (f"/inspections/{inspection_id}", "inspection"),
                       ("/dashboard/?from=2026-01-01&to=2026-03-02", "dashboard-inspections")):
        page.goto(path)
        page.wait_for_load_state("load")
        assert_fits(page)
        screenshot(page, f"phone-{page.phone_size}-{shot}")
    page.goto("/inspections")
    assert page.locator("#inspection-table tbody tr").first.evaluate("el => getComputedStyle(el).display") == "block"
    page.goto("/inspections/new")
    lefts = {round(box["x"]) for box in (f.bounding_box() for f in page.locator(
        "#inspection-form > .row > div > .form-control, #inspection-form > .row > div > .form-select").all()) if box}
    assert len(lefts) <= 1, lefts  # one column


def test_a_broken_checklist_file_is_said_as_such_on_the_page(client, tmp_path, monkeypatch):
    from domain import checklists
    for path in checklists.CHECKLISTS.glob("*.json"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "care_land.json").write_text('{"sector": "care_land", "title": {"zh": "x"}}', encoding="utf-8")
    monkeypatch.setattr(checklists, "CHECKLISTS", tmp_path)
    login(client, "land.officer")
    response = client.get("/inspections/new")
    assert response.status_code == 500
    assert "care_land.json: title needs a Chinese and an English text" in unescape(response.text)
    assert "Traceback" not in response.text
