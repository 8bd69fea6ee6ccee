"""依法打击: criminal cases recorded by the law-enforcement units (domain.strike, web/strike.py).

- validation names the field, and the stages go 立案 -> 移送审查起诉 -> 审结 in order, with dates
  not before the previous stage's (422, nothing written);
- only law-enforcement units and the special office see a case's details; the unit whose lead or
  institution a case is linked to sees that a case exists and its stage, never its number or money;
- the dashboard's strike figures are the monthly return's (`return_figures`), checked against a
  hand-computed fixture.
"""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from domain import strike
from domain.errors import ValidationFailed
from domain.models import Lead, StrikeCase, Subject, Unit
from engine.store.models import AuditEvent
from tests.conftest import _fast_hash, csrf_token, login

# The demo's day is Monday 2 March 2026 (tests/conftest.py START); Beijing dates.
TODAY = date(2026, 3, 2)


def _case(**overrides) -> dict:
    data = {"case_number": "晋新公（刑）立字〔2026〕0101号", "unit": "police", "charge": "fraud",
            "filed_on": "2026-02-20", "gangs": "1", "suspects": "3", "frozen_amount": "50000",
            "recovered_amount": "20000", "returned_amount": "15000", "summary": "冒充社保局工作人员诈骗老人。"}
    data.update(overrides)
    return data


# -- the record and its stages (domain) ---------------------------------------------------------------

def test_the_law_enforcement_units_are_marked_in_data(session):
    marked = set(session.scalars(select(Unit.code).where(Unit.law_enforcement.is_(True))))
    assert marked == {"police", "court", "procuratorate"}
    assert [unit.code for unit in strike.law_enforcement_units(session)] == ["police", "court", "procuratorate"]


def test_a_case_is_recorded_with_every_wrong_field_named_and_nothing_written(session):
    with pytest.raises(ValidationFailed) as failed:
        strike.record_case(session, _case(case_number="", unit="market", charge="theft", filed_on="2026-03-09",
                                          suspects="-1", frozen_amount="many", lead_numbers="XS-2099-000001"),
                           "police.officer")
    errors = failed.value.messages
    assert set(errors) == {"case_number", "unit", "charge", "filed_on", "suspects", "frozen_amount", "lead_numbers"}
    assert "案件编号为必填项" in errors["case_number"]
    assert "办案单位" in errors["unit"][0]  # market regulation is not a law-enforcement unit
    assert "立案日期不能晚于当前时间" in errors["filed_on"]
    assert "XS-2099-000001" in errors["lead_numbers"][0]

    with pytest.raises(ValidationFailed) as failed:
        strike.record_case(session, _case(recovered_amount="1000", returned_amount="5000"), "police.officer")
    assert failed.value.messages == {"returned_amount": ["返还受害人（元）不能大于追赃挽损（元）"]}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(StrikeCase)) == 0

    record = strike.record_case(session, _case(), "police.officer")
    session.commit()
    assert (record.stage, record.filed_on, record.frozen_amount) == ("filed", date(2026, 2, 20), 50000)
    with pytest.raises(ValidationFailed) as failed:
        strike.record_case(session, _case(), "court.officer", "en")
    assert failed.value.messages == {"case_number": ["Case number is already used by another case"]}


def test_the_stages_go_in_order_with_dates_not_before_the_previous_one(session):
    record = strike.record_case(session, _case(filed_on="2026-02-10"), "police.officer")
    session.commit()

    def refused(stage, on, judgment=None):
        with pytest.raises(ValidationFailed) as failed:
            strike.advance_stage(session, record, stage, on, judgment, "court.officer")
        return failed.value.messages

    assert refused("judged", "2026-02-20", "判处有期徒刑一年") == {"stage": ["案件阶段：案件须先移送审查起诉"]}
    assert refused("prosecuted", "2026-02-09") == {"prosecuted_on": ["移送审查起诉日期不能早于立案日期"]}
    assert refused("prosecuted", "2026-03-03") == {"prosecuted_on": ["移送审查起诉日期不能晚于当前时间"]}
    assert refused("prosecuted", "") == {"prosecuted_on": ["移送审查起诉日期为必填项"]}
    assert record.stage == "filed" and record.prosecuted_on is None

    strike.advance_stage(session, record, "prosecuted", "2026-02-10", None, "procuratorate.officer")
    session.commit()
    assert (record.stage, record.prosecuted_on, record.prosecuted_by) == (
        "prosecuted", date(2026, 2, 10), "procuratorate.officer")
    assert refused("prosecuted", "2026-02-12") == {"stage": ["案件阶段：案件已移送审查起诉"]}
    assert refused("judged", "2026-02-09", "x") == {"judged_on": ["审结日期不能早于移送审查起诉日期"]}
    assert refused("judged", "2026-02-27") == {"judgment": ["判决结果为必填项"]}

    strike.advance_stage(session, record, "judged", "2026-02-27", "以诈骗罪判处有期徒刑一年。", "court.officer")
    session.commit()
    assert (record.stage, record.judged_on, record.judged_by) == ("judged", date(2026, 2, 27), "court.officer")
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("strike_case.%"))
                              .order_by(AuditEvent.id)).all()
    assert actions == ["strike_case.recorded", "strike_case.stage_moved", "strike_case.stage_moved"]


def test_return_figures_on_a_hand_computed_fixture(session):
    # police: two cases filed in February (one sent for prosecution in February, judged in March);
    # court: one filed in January and judged in February; procuratorate: one filed in March.
    a = strike.record_case(session, _case(case_number="A", filed_on="2026-02-03", gangs="1", suspects="4",
                                          frozen_amount="100000", recovered_amount="60000",
                                          returned_amount="50000"), "police.officer")
    strike.record_case(session, _case(case_number="B", filed_on="2026-02-28", gangs="0", suspects="1",
                                      frozen_amount="0", recovered_amount="3000", returned_amount="3000"),
                       "police.officer")
    c = strike.record_case(session, _case(case_number="C", unit="court", filed_on="2026-01-15", gangs="2",
                                          suspects="9", frozen_amount="900000", recovered_amount="0",
                                          returned_amount="0"), "court.officer")
    strike.record_case(session, _case(case_number="D", unit="procuratorate", filed_on="2026-03-01"),
                       "procuratorate.officer")
    strike.advance_stage(session, a, "prosecuted", "2026-02-20", None, "police.officer")
    strike.advance_stage(session, a, "judged", "2026-03-02", "判处有期徒刑二年。", "court.officer")
    strike.advance_stage(session, c, "prosecuted", "2026-01-30", None, "police.officer")
    strike.advance_stage(session, c, "judged", "2026-02-25", "判处有期徒刑三年。", "court.officer")
    session.commit()

    february = strike.return_figures(session, None, date(2026, 2, 1), date(2026, 2, 28))
    assert february == {"strike_cases_filed": 2, "strike_gangs": 1, "strike_suspects": 5, "strike_frozen": 100000,
                        "strike_recovered": 63000, "strike_returned": 53000, "strike_prosecuted": 1,
                        "strike_judged": 1}
    assert strike.return_figures(session, {"court"}, date(2026, 2, 1), date(2026, 2, 28)) == {
        key: 0 for key, _zh, _en in strike.RETURN_FIGURES} | {"strike_judged": 1}
    assert strike.return_figures(session, set(), date(2026, 1, 1), date(2026, 3, 31))["strike_cases_filed"] == 0
    assert list(strike.return_figures(session, {"market"}, date(2026, 1, 1), date(2026, 3, 31))) == [
        key for key, _zh, _en in strike.RETURN_FIGURES]
    assert strike.return_figures(session, None, date(2026, 1, 1), date(2026, 3, 31))["strike_cases_filed"] == 4


# -- pages -----------------------------------------------------------------------------------------------

def _form(client, path):
    return {"csrf_token": csrf_token(client, path)}


def test_who_sees_the_details_and_who_only_that_a_case_exists(client):
    with client.application.app_context():
        from web.extensions import db
        case = db.session.scalars(select(StrikeCase).where(StrikeCase.charge == "false_advertising")).one()
        lead = case.leads[0]
        case_id, number, lead_id, subject_id = case.id, case.case_number, lead.id, lead.subject_id
        assert lead.responsible_unit == "market"

    # the market regulation station handled the lead: it learns only that a case exists, and its stage
    login(client, "market.officer")
    for path in (f"/leads/{lead_id}", f"/subjects/{subject_id}"):
        page = client.get(path)
        assert page.status_code == 200
        assert "已有刑事案件" in page.text and "已立案侦查" in page.text, path
        assert number not in page.text and "150,000" not in page.text and "虚假广告罪" not in page.text, path
    for path in ("/strike-cases", f"/strike-cases/{case_id}", "/strike-cases/new", f"/strike-cases/{case_id}/edit",
                 "/strike-cases.xlsx"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/strike-cases/{case_id}/stage", data={
        **_form(client, f"/leads/{lead_id}"), "stage": "prosecuted", "on": "2026-03-02"}).status_code == 403
    assert 'id="nav-strike"' not in client.get("/inbox/").text
    client.post("/logout", data=_form(client, "/inbox/"))

    # the police, the court, the procuratorate and the special office see everything
    for username in ("police.officer", "court.supervisor", "procuratorate.officer", "office.officer"):
        login(client, username)
        listing = client.get("/strike-cases")
        assert listing.status_code == 200 and number in listing.text and 'id="nav-strike"' in listing.text
        shown = client.get(f"/strike-cases/{case_id}").text
        assert number in shown and "虚假广告罪" in shown and "150,000" in shown, username
        if username == "office.officer":  # the office sees every lead, and its case in full
            for path in (f"/leads/{lead_id}", f"/subjects/{subject_id}"):
                page = client.get(path).text
                assert number in page and "虚假广告罪" in page and "150,000" in page and "已有刑事案件" not in page
        client.post("/logout", data=_form(client, "/inbox/"))
    assert client.get("/strike-cases/999999").status_code in (302, 401)  # signed out


def test_recording_a_case_and_moving_it_a_stage_through_the_pages(client):
    login(client, "police.officer")
    with client.application.app_context():
        from web.extensions import db
        lead = db.session.scalars(select(Lead).where(Lead.responsible_unit == "police")
                                  .order_by(Lead.id.desc())).first()
        lead_number = lead.number
    page = client.get(f"/strike-cases/new?lead={lead_number}")
    assert page.status_code == 200 and lead_number in page.text
    token = _form(client, "/strike-cases/new")
    refused = client.post("/strike-cases/new", data={**token, **_case(filed_on="", lead_numbers=lead_number)})
    assert refused.status_code == 422
    assert 'id="error-filed_on"' in refused.text and "立案日期为必填项" in refused.text

    done = client.post("/strike-cases/new", data={**token, **_case(lead_numbers=lead_number)})
    assert done.status_code == 302
    case_id = int(re.search(r"/strike-cases/(\d+)$", done.headers["Location"]).group(1))
    shown = client.get(f"/strike-cases/{case_id}").text
    assert "晋新公（刑）立字〔2026〕0101号" in shown and lead_number in shown and "已立案侦查" in shown

    late = client.post(f"/strike-cases/{case_id}/stage", data={**token, "stage": "prosecuted", "on": "2026-02-19"})
    assert late.status_code == 422 and "移送审查起诉日期不能早于立案日期" in late.text
    moved = client.post(f"/strike-cases/{case_id}/stage", data={**token, "stage": "prosecuted", "on": "2026-02-27"})
    assert moved.status_code == 302
    assert "已移送审查起诉" in client.get(f"/strike-cases/{case_id}").text

    listing = client.get("/strike-cases?stage=prosecuted&charge=fraud&unit=police&from=2026-02-01&to=2026-02-28")
    assert "晋新公（刑）立字〔2026〕0101号" in listing.text
    assert "晋新公（刑）立字〔2026〕0101号" not in client.get("/strike-cases?stage=judged").text
    export = client.get("/strike-cases.xlsx?stage=prosecuted")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    from io import BytesIO

    from openpyxl import load_workbook
    sheet = load_workbook(BytesIO(export.data)).active
    assert sheet["B1"].value == "案件编号"
    assert "晋新公（刑）立字〔2026〕0101号" in [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_dashboard_shows_the_returns_figures(app, clock):
    """A hand-computed fixture on the demo's cast (no story): the dashboard's figures for February are
    return_figures' and the hand's."""
    from domain.demo import load_demo
    from web.extensions import db
    with app.app_context():
        load_demo(db.session, hash_password=_fast_hash)
        strike.record_case(db.session, _case(case_number="A", filed_on="2026-02-03", gangs="2", suspects="7",
                                             frozen_amount="1200000", recovered_amount="300000",
                                             returned_amount="250000"), "police.officer")
        b = strike.record_case(db.session, _case(case_number="B", filed_on="2026-01-20", unit="court"),
                               "court.officer")
        strike.advance_stage(db.session, b, "prosecuted", "2026-02-10", None, "procuratorate.officer")
        db.session.commit()
        expected = strike.return_figures(db.session, None, date(2026, 2, 1), date(2026, 2, 28))
    assert expected == {"strike_cases_filed": 1, "strike_gangs": 2, "strike_suspects": 7, "strike_frozen": 1200000,
                        "strike_recovered": 300000, "strike_returned": 250000, "strike_prosecuted": 1,
                        "strike_judged": 0}
    client = app.test_client()
    login(client, "office.leader")
    page = client.get("/dashboard/?from=2026-02-01&to=2026-02-28").text
    shown = {key: int(value.replace(",", "")) for key, value in re.findall(
        r'data-figure="(strike_[a-z_]+)">([\d,]+)<', page)}
    assert shown == expected
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "market.supervisor")  # supervises market regulation only: no strike figures
    page = client.get("/dashboard/?unit=market").text
    assert "strike-figures" not in page and "data-figure=\"strike_" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subject)) == 10


def test_correcting_a_case_keeps_it_whole_and_is_audited(client):
    login(client, "court.officer")
    with client.application.app_context():
        from web.extensions import db
        case = db.session.scalars(select(StrikeCase).where(StrikeCase.charge == "illegal_deposits")).one()
        case_id, number = case.id, case.case_number
        leads = " ".join(lead.number for lead in case.leads)
    page = client.get(f"/strike-cases/{case_id}/edit")
    assert page.status_code == 200 and number in page.text and leads.split()[0] in page.text
    token = _form(client, f"/strike-cases/{case_id}/edit")
    form = {**token, "case_number": number, "unit": "police", "charge": "fundraising_fraud", "filed_on": "2026-02-13",
            "lead_numbers": leads, "gangs": "1", "suspects": "6", "frozen_amount": "1300000",
            "recovered_amount": "350000", "returned_amount": "400000"}
    refused = client.post(f"/strike-cases/{case_id}/edit", data=form)
    assert refused.status_code == 422 and 'id="error-returned_amount"' in refused.text
    # filed after it was sent for prosecution: refused too
    late = client.post(f"/strike-cases/{case_id}/edit", data={**form, "returned_amount": "0", "filed_on": "2026-03-02"})
    assert late.status_code == 422 and "立案日期不能晚于移送审查起诉日期" in late.text
    with client.application.app_context():
        kept = db.session.get(StrikeCase, case_id)
        assert (kept.charge, kept.suspects) == ("illegal_deposits", 5)
    assert client.post(f"/strike-cases/{case_id}/edit", data={**form, "returned_amount": "100000"}).status_code == 302
    with client.application.app_context():
        fixed = db.session.get(StrikeCase, case_id)
        assert (fixed.charge, fixed.suspects, fixed.returned_amount, fixed.stage) == (
            "fundraising_fraud", 6, 100000, "prosecuted")
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "strike_case.updated")).one()
        assert event.actor == "court.officer" and "charge" in event.data["fields"]


def test_the_lead_api_tells_nothing_of_the_case(client):
    """The JSON API of leads has no strike details for anyone (the pages are where they are shown)."""
    login(client, "office.officer")
    with client.application.app_context():
        from web.extensions import db
        case = db.session.scalars(select(StrikeCase).where(StrikeCase.charge == "false_advertising")).one()
        lead_id, number = case.leads[0].id, case.case_number
    answer = client.get(f"/api/v1/leads/{lead_id}")
    assert answer.status_code == 200 and number not in answer.text and "false_advertising" not in answer.text
