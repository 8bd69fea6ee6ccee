"""The campaign (专项行动): phases inside the period that do not overlap, working groups as BPMN candidate
groups (a task for `group_strike` reaches the strike group's members), the campaign page (leaders edit,
others read) and the phase filter of the dashboard, the monthly report and the leads list."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from domain import campaign as campaigns
from domain.errors import ValidationFailed
from domain.models import Campaign, CampaignPhase, Lead, User, WorkingGroup
from engine.identity import Actor
from engine.store.models import AuditEvent, HumanTask
from tests import bpmn_builder as b
from tests.conftest import csrf_token, login

BEIJING = timezone(timedelta(hours=8))
ADMIN = Actor("admin", roles={"administrator"})
PERIOD = {"name_zh": "打击整治养老诈骗专项行动", "level": "district", "first_day": "2026-04-20",
          "last_day": "2026-12-31"}


def _campaign(session, **changes) -> Campaign:
    found = campaigns.save_campaign(session, {**PERIOD, **changes}, ADMIN)
    session.flush()
    return found


def _phase(session, found, kind, first, last, name=""):
    return campaigns.save_phase(session, found, {"kind": kind, "name": name, "first_day": first, "last_day": last},
                                ADMIN)


def _fields(error: ValidationFailed) -> dict:
    return error.value.messages


# -- the domain ----------------------------------------------------------------------------

def test_phases_lie_inside_the_period_and_do_not_overlap(session):
    found = _campaign(session)
    publicity = _phase(session, found, "publicity", "2026-04-20", "2026-04-30")
    _phase(session, found, "strike", "2026-05-01", "2026-11-30")
    with pytest.raises(ValidationFailed) as error:
        _phase(session, found, "summary", "2026-11-15", "2026-12-31")
    assert list(_fields(error)) == ["first_day"]
    assert "与“打击整治”阶段（2026-05-01至2026-11-30）重叠" in _fields(error)["first_day"][0]
    with pytest.raises(ValidationFailed) as error:
        _phase(session, found, "summary", "2026-12-01", "2027-01-15")
    assert list(_fields(error)) == ["last_day"] and "2026-04-20至2026-12-31" in _fields(error)["last_day"][0]
    with pytest.raises(ValidationFailed) as error:
        _phase(session, found, "summary", "2026-12-20", "2026-12-10")
    assert list(_fields(error)) == ["last_day"] and "结束日期不能早于开始日期" in _fields(error)["last_day"][0]
    with pytest.raises(ValidationFailed) as error:
        _phase(session, found, "rest", "2026-12-01", "2026-12-31")
    assert list(_fields(error)) == ["kind"]
    summary = _phase(session, found, "summary", "2026-12-01", "2026-12-31")
    # a phase may be moved over its own dates, not onto another's
    _phase_moved = campaigns.save_phase(session, found, {"kind": "publicity", "first_day": "2026-04-21",
                                                         "last_day": "2026-04-30"}, ADMIN, publicity)
    assert _phase_moved.first_day == date(2026, 4, 21)
    assert [p.kind for p in campaigns.phases(session)] == ["publicity", "strike", "summary"]
    assert campaigns.current_phase(session, date(2026, 6, 1)).kind == "strike"
    assert campaigns.current_phase(session, date(2026, 4, 20)) is None  # between the period's start and the first phase
    assert campaigns.current_phase(session, date(2026, 12, 31)).id == summary.id


def test_the_period_cannot_shrink_past_a_phase_and_its_dates_are_checked(session):
    found = _campaign(session)
    _phase(session, found, "strike", "2026-05-01", "2026-11-30")
    with pytest.raises(ValidationFailed) as error:
        campaigns.save_campaign(session, {**PERIOD, "last_day": "2026-10-31"}, ADMIN, found)
    assert list(_fields(error)) == ["last_day"] and "打击整治" in _fields(error)["last_day"][0]
    with pytest.raises(ValidationFailed) as error:
        campaigns.save_campaign(session, {**PERIOD, "first_day": "2026-13-01", "level": "galaxy"}, ADMIN)
    assert set(_fields(error)) == {"first_day", "level"}
    with pytest.raises(ValidationFailed) as error:
        campaigns.save_campaign(session, {"level": "town", "first_day": "2026-05-01", "last_day": "2026-05-02"},
                                ADMIN)
    assert list(_fields(error)) == ["name_zh"]


def test_a_working_group_needs_a_new_group_code(session):
    with pytest.raises(ValidationFailed) as error:
        campaigns.save_group(session, {"code": "strike", "name_zh": "打击组"}, ADMIN)
    assert list(_fields(error)) == ["code"] and "group_" in _fields(error)["code"][0]
    campaigns.save_group(session, {"code": "group_strike", "name_zh": "打击组", "name_en": "Strike group"}, ADMIN)
    with pytest.raises(ValidationFailed) as error:
        campaigns.save_group(session, {"code": "group_strike", "name_zh": "又一个打击组"}, ADMIN)
    assert list(_fields(error)) == ["code"]
    assert campaigns.group_names(session, "en") == {"group_strike": "Strike group"}


def test_members_hold_the_group_code_among_their_candidate_groups(session):
    from domain.demo import create_users
    create_users(session)
    group = campaigns.save_group(session, {"code": "group_strike", "name_zh": "打击组"}, ADMIN)
    police = session.scalar(select(User).where(User.username == "police.officer"))
    grid = session.scalar(select(User).where(User.username == "community_tangshi.grid"))
    assert "group_strike" not in police.groups
    campaigns.add_member(session, group, police.id, ADMIN)
    assert {"police", "officer", "group_strike"} <= police.groups
    with pytest.raises(ValidationFailed) as error:  # grid workers hold no tasks
        campaigns.add_member(session, group, grid.id, ADMIN)
    assert list(_fields(error)) == ["member"]
    campaigns.remove_member(session, group, police.id, ADMIN)
    assert "group_strike" not in police.groups
    session.commit()
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-3:] == ["working_group.saved", "working_group.member_added", "working_group.member_removed"]


# -- through the engine and the inbox ------------------------------------------------------------

def test_a_task_for_a_working_group_reaches_its_members_by_the_groups_name(client, demo, session_factory):
    from web import engine_of
    xml = b.process("strike_check", b.start(), b.user_task("verify", "核查涉案资金", groups="group_strike"), b.end(),
                    *b.chain("start", "verify", "end"), name="打击组核查")
    with demo.app_context():
        engine_of(demo).deploy(xml, "strike_check.bpmn")
        instance_id = engine_of(demo).start("strike_check", {})
    with session_factory() as s:
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
    login(client, "court.officer")  # the tribunal is in the strike group (demo)
    inbox = client.get("/inbox/")
    row = inbox.text.split(f'data-task-id="{task.id}"', 1)
    assert len(row) == 2 and "打击组" in row[1].split("</tr>", 1)[0] and "group_strike" not in inbox.text
    assert client.get(f"/tasks/{task.id}").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "market.officer")  # not a member
    assert f'data-task-id="{task.id}"' not in client.get("/inbox/").text
    with demo.app_context():
        from domain.directory import CampaignDirectory
        from web.extensions import db
        holders = CampaignDirectory().holders(db.session, db.session.get(HumanTask, task.id))
    assert {"police.officer", "police.supervisor", "court.officer"} <= set(holders)
    assert "market.officer" not in holders


def test_the_modeler_offers_the_working_groups_by_name(client):
    login(client, "admin")
    groups = client.get("/admin/api/known-groups").json
    assert {"code": "group_strike", "name": "打击组"} in groups["groups"]
    assert "group_strike" not in {u["code"] for u in groups["units"]}


# -- the campaign page -------------------------------------------------------------------------

def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/admin/campaign/")})


def _ids(session_factory):
    with session_factory() as s:
        found = s.scalars(select(Campaign)).one()
        return found.id, {p.kind: p.id for p in found.phases}, {g.code: g.id for g in s.scalars(select(WorkingGroup))}


def test_everyone_reads_the_campaign_page_and_only_leaders_and_administrators_edit(client, session_factory):
    campaign_id, phases, groups = _ids(session_factory)
    login(client, "market.officer")
    page = client.get("/admin/campaign/")
    assert page.status_code == 200
    for text in ("新塘街道打击整治养老诈骗专项行动", "镇（街道）级", "2026-04-20", "宣传发动", "打击整治", "总结提升",
                 "综合组", "打击组", "整治组", "宣传组", "（新塘派出所）", "（青阳法庭）"):
        assert text in page.text, text
    visible = re.sub(r"<[^>]+>", " ", page.text)
    assert "group_" not in visible and 'id="phase-new"' not in page.text
    assert _post(client, f"/admin/campaign/{campaign_id}/phases/{phases['summary']}/delete", {}).status_code == 403
    assert _post(client, f"/admin/campaign/groups/{groups['group_strike']}/members",
                 {"user_id": "1"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "office.leader")
    page = client.get("/admin/campaign/")
    assert 'id="phase-new"' in page.text and 'id="group-new"' in page.text
    assert client.get("/admin/campaign/?campaign=999999").status_code == 404


def test_a_leader_edits_phases_and_bad_dates_answer_422_beside_the_field(client, session_factory):
    campaign_id, phases, _groups = _ids(session_factory)
    login(client, "office.leader")
    response = _post(client, f"/admin/campaign/{campaign_id}/phases/{phases['summary']}",
                     {"kind": "summary", "name": "总结提升", "first_day": "2026-11-20", "last_day": "2026-12-31"})
    assert response.status_code == 422
    error = re.search(r'<div class="invalid-feedback d-block field-error" data-field="first_day">([^<]+)</div>',
                      response.text)
    assert error and "与“打击整治”阶段" in error.group(1)
    response = _post(client, f"/admin/campaign/{campaign_id}/phases/{phases['summary']}",
                     {"kind": "summary", "name": "总结提升", "first_day": "2026-12-01", "last_day": "2026-12-20"})
    assert response.status_code == 302
    with session_factory() as s:
        assert s.get(CampaignPhase, phases["summary"]).last_day == date(2026, 12, 20)
    response = _post(client, f"/admin/campaign/{campaign_id}",
                     {**PERIOD, "first_day": "2026-05-10", "name_zh": "新塘街道打击整治养老诈骗专项行动"})
    assert response.status_code == 422 and 'data-field="first_day"' in response.text
    with session_factory() as s:
        assert s.get(Campaign, campaign_id).first_day == date(2026, 4, 20)  # nothing half-written
    assert _post(client, f"/admin/campaign/{campaign_id}/phases/{phases['summary']}/delete", {}).status_code == 302
    with session_factory() as s:
        assert s.get(CampaignPhase, phases["summary"]) is None


def test_an_administrator_sets_up_a_group_and_adds_a_member_by_name(client, session_factory):
    login(client, "admin")
    response = _post(client, "/admin/campaign/groups", {"code": "leads", "name_zh": "线索组"})
    assert response.status_code == 422 and 'data-field="code"' in response.text
    assert _post(client, "/admin/campaign/groups", {"code": "group_leads", "name_zh": "线索组",
                                                    "name_en": "Leads group"}).status_code == 302
    with session_factory() as s:
        group = s.scalar(select(WorkingGroup).where(WorkingGroup.code == "group_leads"))
        officer = s.scalar(select(User).where(User.username == "health.officer"))
        group_id, officer_id = group.id, officer.id
    page = client.get("/admin/campaign/")
    option = re.search(rf'<option value="{officer_id}">([^<]+)</option>', page.text)
    assert option and "（新塘街道卫健办）" in option.group(1)
    assert _post(client, f"/admin/campaign/groups/{group_id}/members", {"user_id": "x"}).status_code == 422
    assert _post(client, f"/admin/campaign/groups/{group_id}/members",
                 {"user_id": str(officer_id)}).status_code == 302
    with session_factory() as s:
        assert "group_leads" in s.get(User, officer_id).groups
    assert _post(client, f"/admin/campaign/groups/{group_id}/members/{officer_id}/delete", {}).status_code == 302
    with session_factory() as s:
        assert "group_leads" not in s.get(User, officer_id).groups


# -- the phase filter -----------------------------------------------------------------------------

def _leads_in_phases(session_factory):
    """Two leads received in the strike phase, one in the summary phase (the demo's are in February)."""
    with session_factory() as s:
        leads = s.scalars(select(Lead).order_by(Lead.id).limit(3)).all()
        for lead, day in zip(leads, (date(2026, 6, 3), date(2026, 9, 9), date(2026, 12, 2))):
            lead.received_at = datetime(day.year, day.month, day.day, 10, 0, tzinfo=BEIJING)
        s.commit()
        return [lead.number for lead in leads]


def _kpi(page, name):
    block = page.text.split(f'id="kpi-{name}"', 1)[1]
    return int(re.search(r'data-figure="[a-z_]+" data-key="">(\d+)</a>', block).group(1))


def test_choosing_a_phase_sets_the_dashboards_period_and_its_figures(client, session_factory):
    campaign_id, phases, _groups = _ids(session_factory)
    numbers = _leads_in_phases(session_factory)
    login(client, "office.leader")
    strike = client.get(f"/dashboard/?phase={phases['strike']}")
    assert strike.status_code == 200
    assert 'value="2026-05-01"' in strike.text and 'value="2026-11-30"' in strike.text
    assert re.search(rf'<option value="{phases["strike"]}" selected>打击整治（2026-05-01 – 2026-11-30）', strike.text)
    assert _kpi(strike, "received") == 2
    summary = client.get(f"/dashboard/?phase={phases['summary']}")
    assert _kpi(summary, "received") == 1
    assert _kpi(client.get(f"/dashboard/?phase={phases['publicity']}"), "received") == 0
    # the same figure as the report and the date range of the phase
    assert _kpi(client.get("/dashboard/?from=2026-05-01&to=2026-11-30"), "received") == 2
    report = client.get(f"/dashboard/reports?phase={phases['strike']}")
    assert report.status_code == 200 and "阶段报表 打击整治（2026-05-01 – 2026-11-30）" in report.text
    assert re.search(r'data-figure="received_channel" data-key="">2</a>', report.text)
    xlsx = client.get(f"/dashboard/reports.xlsx?phase={phases['strike']}")
    assert xlsx.status_code == 200 and "phase-2026-05-01-2026-11-30" in xlsx.headers["Content-Disposition"]
    leads = client.get(f"/leads?phase={phases['strike']}")
    shown = re.findall(r'<tr data-lead-id="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', leads.text)
    assert sorted(shown) == sorted(numbers[:2])


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/reports", "/dashboard/reports.xlsx", "/leads"])
@pytest.mark.parametrize("phase", ["999999", "abc", "-1", "1e9", "99999999999999999999999"])
def test_an_unknown_phase_is_a_clear_422(client, path, phase):
    login(client, "office.leader")
    response = client.get(f"{path}?phase={phase}")
    assert response.status_code == 422 and "没有这个行动阶段" in response.text


def test_the_dashboard_header_shows_todays_phase(client, clock):
    login(client, "office.leader")
    assert "今日不在专项行动阶段内" in client.get("/dashboard/").text  # the demo fixture's day is 2 March 2026
    clock.set(datetime(2026, 6, 15, 9, 0, tzinfo=BEIJING))
    header = client.get("/dashboard/").text.split('id="current-phase"', 1)[1].split("</span>", 1)[0]
    assert "当前阶段：打击整治（2026-05-01至2026-11-30）" in header


def test_the_campaign_page_and_phase_selector_read_in_english(client, session_factory):
    _campaign_id, phases, _groups = _ids(session_factory)
    login(client, "office.leader")
    client.get("/lang/en")
    page = client.get("/admin/campaign/").text
    for text in ("Xintang Sub-district Campaign against Elder-care Fraud", "Town/sub-district", "Strike group",
                 "Strike and rectification", "Summary and improvement", "Working groups of the special office"):
        assert text in page, text
    dashboard = client.get(f"/dashboard/?phase={phases['strike']}").text
    assert "Strike and rectification (2026-05-01 – 2026-11-30)" in dashboard
    assert "No campaign phase today" in dashboard
