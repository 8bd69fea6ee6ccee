"""The dashboard, its drill-down lists, the monthly report and the risk ledger, checked
against a small world whose figures are counted by hand below (no demo data).

Now is Friday 20 March 2026, 10:00 Beijing time; "March" is 2026-03-01..2026-03-31.

Leads (channel, received, unit, status, closed, recovered yuan):
    L1 hotline_12345  03-02 10:00  market  closed     03-10   120,000
    L2 hotline_12345  03-05        market  verifying
    L3 platform_12337 03-06        health  closed     03-15   (none)   reporter 举报人张三
    L4 police_110     03-08        police  closed     03-18   500,000
    L5 mass_report    03-19 23:30  (none)  registered
    L6 grid_patrol    03-01 00:00  market  withdrawn  03-03            (withdrawn: not closed)
    L7 hotline_12345  02-20        market  closed     03-02    30,000
    L8 platform_12337 02-28 23:59  health  closed     02-28     7,000
    L9 financial_reg. 03-20 00:10  police  dispatched
  March: received 7 (L1-L6, L9): hotline 2, 12337 1, 110 1, mass 1, grid 1, financial 1;
         market 3, health 1, police 2, none 1. Closed 4 (L1, L3, L4, L7): hotline 2, 12337 1,
         110 1; market 2, health 1, police 1. Recovered 650,000 from 3 leads: market 150,000,
         police 500,000.  Feb: received 2, closed 1, recovered 7,000.
  03-01..03-19: received 6 (L9 falls on the 20th).

Tasks (groups, due, completed / status). An open task belongs to the units among its
candidate groups (else its assignee's unit); a completed one to whoever completed it.
    T1 market          due 03-06      completed 03-05   on time
    T2 market          due 03-10      completed 03-12   late
    T3 health          due 03-15 10h  completed 03-15 10h (equal: on time)
    T4 market,health   due 03-14      completed 03-16 by health.officer: unit health, late
    T5 office_leader   due 03-20      completed 03-17 by police.officer: unit police, on time
    T6 market          no due         completed 03-10   (not counted)
    T7 market          due 02-20      completed 02-25   (February, late)
    T8 market          due 03-18      open  -> overdue now
    T9 police          due 03-25      open
    T10 health         due 03-01      open  -> overdue now
    T11 market,police  due 03-19      open  -> overdue now
    T12 civil_affairs  due 03-02      cancelled
    T13 market         no due         open
    T14 community_tangshi,community due 03-20 09:00 open -> overdue now
    T15 office_leader  due 03-19      open, assigned to land.officer: unit land -> overdue now
  March on time: 3 of 5 (60%); market 1 of 2, health 1 of 2, police 1 of 1.
  Overdue now: 5 (T8, T10, T11, T14, T15): market 2, health 1, police 1, community_tangshi 1,
  land 1.  Overdue during March: 7 (T2, T4, T8, T10, T11, T14, T15): market 3 (T2, T8, T11),
  health 2 (T4, T10), police 1, tangshi 1, land 1.

Institutions (assessments) and their grade at the end of March / of February:
    S1 甲 yellow 02-10, red 03-05 -> red / yellow      S2 乙 orange 03-08 -> orange / -
    S3 丙 green 02-15 -> green / green                 S4 丁 yellow 03-12 -> yellow / -
    S5 戊 not assessed                                 S6 己 orange 03-01 (lead L3) -> orange / -
  March: red 1, orange 2, yellow 1, green 1 (at risk 4).  February: yellow 1, green 1.

Disposals: D1 S1 warning_interview market 03-03, D2 S1 order_rectify market 03-12,
  D3 S2 order_rectify health 03-09, D4 S4 transfer_police police 03-14,
  D5 S1 risk_warning market 02-27, D6 S6 urge_refunds health 03-16.
  March: 5: warning_interview 1, order_rectify 2, transfer_police 1, urge_refunds 1;
  market 2, health 2, police 1.

Rectification items (unit, created, deadline, status, closed):
    R1 S1 market 03-04 dl 03-25 open                -> open
    R2 S2 health 03-09 dl 03-15 submitted           -> overdue
    R3 S3 police 02-10 dl 03-01 accepted            -> accepted
    R4 S1 market 02-05 dl 02-28 closed 02-27        (not in play in March)
    R5 S2 health 03-10 dl 04-10 overdue (process)   -> overdue
    R6 S4 police 02-01 dl 02-20 closed 03-05        -> accepted
  March: 5 in play: open 1, accepted 2, overdue 2; market 1, health 2, police 2.
  February: R3, R4, R6, all accepted now.
"""
import re
import uuid
from datetime import datetime, timedelta, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.conftest import _fast_hash, login

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=BEIJING)
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
REPORTER_NAME = "举报人张三"
REPORTER_PHONE = "13912345678"


def bj(month, day, hour=10, minute=0, second=0):
    return datetime(2026, month, day, hour, minute, second, tzinfo=BEIJING).astimezone(timezone.utc)


class World:
    """Ids of the records above, by their names (L1, T1, S1 ...)."""

    def __init__(self):
        self.ids = {}

    def __getitem__(self, name):
        return self.ids[name]


@pytest.fixture
def world(app, clock):
    from domain.demo import create_units, create_users
    from domain.models import Disposal, Lead, RectificationItem, Reporter, RiskAssessment, Subject
    from engine.store.models import HumanTask, ProcessDefinition, ProcessInstance, TaskCandidate
    from web.extensions import db

    clock.set(NOW)
    w = World()
    with app.app_context():
        s = db.session
        create_units(s)
        create_users(s, _fast_hash, "duban-demo-2026")

        subjects = {}
        for name, title, code in (("S1", "甲养老服务有限公司", "91350582MA31RK6T12"), ("S2", "乙健康科技有限公司", None),
                                  ("S3", "丙旅游有限公司", None), ("S4", "丁投资管理有限公司", None),
                                  ("S5", "戊文化传播有限公司", None), ("S6", "己养老服务中心", None)):
            subjects[name] = Subject(name=title, credit_code=code, created_at=bj(1, 5))
        s.add_all(subjects.values())
        s.flush()
        w.ids.update({name: subject.id for name, subject in subjects.items()})

        def lead(name, channel, received, unit, status, closed=None, recovered=None, subject=None):
            record = Lead(number=f"XS-2026-{int(name[1:]):06d}", channel=channel, received_at=received,
                          summary=f"{name}：某公司以养老为名收取老人费用。", sector="illegal_fundraising",
                          responsible_unit=unit, status=status, closed_at=closed, recovered_amount=recovered,
                          subject=subjects.get(subject), created_at=received, updated_at=received)
            s.add(record)
            s.flush()
            w.ids[name] = record.id
            return record

        lead("L1", "hotline_12345", bj(3, 2), "market", "closed", bj(3, 10), 120_000, subject="S1")
        lead("L2", "hotline_12345", bj(3, 5), "market", "verifying", subject="S5")
        l3 = lead("L3", "platform_12337", bj(3, 6), "health", "closed", bj(3, 15), subject="S6")
        s.add(Reporter(lead=l3, anonymous=False, name=REPORTER_NAME, phone=REPORTER_PHONE))
        lead("L4", "police_110", bj(3, 8), "police", "closed", bj(3, 18), 500_000, subject="S4")
        lead("L5", "mass_report", bj(3, 19, 23, 30), None, "registered")
        lead("L6", "grid_patrol", bj(3, 1, 0, 0), "market", "withdrawn", bj(3, 3))
        lead("L7", "hotline_12345", bj(2, 20), "market", "closed", bj(3, 2), 30_000)
        lead("L8", "platform_12337", bj(2, 28, 23, 59), "health", "closed", bj(2, 28, 12), 7_000)
        lead("L9", "financial_regulation", bj(3, 20, 0, 10), "police", "dispatched")

        for subject, grade, when, people, money, heat, stability, about in (
                ("S1", "yellow", bj(2, 10), 40, 800_000, "low", "low", None),
                ("S1", "red", bj(3, 5), 156, 4_800_000, "high", "high", "L1"),
                ("S2", "orange", bj(3, 8), 60, 2_600_000, "medium", "medium", None),
                ("S3", "green", bj(2, 15), 0, 0, "none", "none", None),
                ("S4", "yellow", bj(3, 12), 35, 380_000, "medium", "low", "L4"),
                ("S6", "orange", bj(3, 1, 9), 80, 1_000_000, "medium", "high", "L3")):
            s.add(RiskAssessment(subject=subjects[subject], grade=grade, assessed_at=when, people_involved=people,
                                 money_at_risk=money, opinion_heat=heat, stability_risk=stability,
                                 lead_id=w.ids.get(about), assessed_by="office.officer"))
            subjects[subject].grade, subjects[subject].graded_at = grade, when

        for name, subject, measure, unit, when in (
                ("D1", "S1", "warning_interview", "market", bj(3, 3)), ("D2", "S1", "order_rectify", "market", bj(3, 12)),
                ("D3", "S2", "order_rectify", "health", bj(3, 9)), ("D4", "S4", "transfer_police", "police", bj(3, 14)),
                ("D5", "S1", "risk_warning", "market", bj(2, 27)), ("D6", "S6", "urge_refunds", "health", bj(3, 16))):
            record = Disposal(subject=subjects[subject], measure=measure, unit=unit, disposed_at=when,
                              officer=f"{unit}.officer", note=f"{name}处置", documents=[], recorded_by="test")
            s.add(record)
            s.flush()
            w.ids[name] = record.id

        for name, subject, unit, created, deadline, status, closed in (
                ("R1", "S1", "market", bj(3, 4), bj(3, 25, 18), "open", None),
                ("R2", "S2", "health", bj(3, 9), bj(3, 15, 18), "submitted", None),
                ("R3", "S3", "police", bj(2, 10), bj(3, 1, 18), "accepted", None),
                ("R4", "S1", "market", bj(2, 5), bj(2, 28, 18), "closed", bj(2, 27)),
                ("R5", "S2", "health", bj(3, 10), bj(4, 10, 18), "overdue", None),
                ("R6", "S4", "police", bj(2, 1), bj(2, 20, 18), "closed", bj(3, 5))):
            record = RectificationItem(
                number=f"ZG-2026-{name}", subject=subjects[subject], problem=f"{name}：违规收取会员费。",
                responsible_unit=unit, responsible_person=f"{name}负责人", measures=f"{name}：清退会员费。",
                deadline=deadline, status=status, evidence=[], created_at=created, updated_at=created,
                closed_at=closed)
            s.add(record)
            s.flush()
            w.ids[name] = record.id

        definition = ProcessDefinition(process_id="lead_handling", version=1, name="线索办理", checksum="0" * 64,
                                       filename="lead_handling.bpmn", source_xml=b"", spec_json="{}",
                                       deployed_at=bj(1, 1))
        s.add(definition)
        s.flush()
        instance = ProcessInstance(definition_id=definition.id, process_id="lead_handling",
                                   business_key="XS-2026-000001", status="running", state_json="{}",
                                   started_at=bj(3, 1), updated_at=bj(3, 1))
        s.add(instance)
        s.flush()
        for name, groups, due, status, completed, person in (
                ("T1", "market", bj(3, 6), "completed", bj(3, 5), "market.officer"),
                ("T2", "market", bj(3, 10), "completed", bj(3, 12), "market.officer"),
                ("T3", "health", bj(3, 15), "completed", bj(3, 15), "health.officer"),
                ("T4", "market,health", bj(3, 14), "completed", bj(3, 16), "health.officer"),
                ("T5", "office_leader", bj(3, 20), "completed", bj(3, 17), "police.officer"),
                ("T6", "market", None, "completed", bj(3, 10), "market.officer"),
                ("T7", "market", bj(2, 20), "completed", bj(2, 25), "market.officer"),
                ("T8", "market", bj(3, 18), "open", None, None),
                ("T9", "police", bj(3, 25), "open", None, None),
                ("T10", "health", bj(3, 1), "open", None, "health.officer"),
                ("T11", "market,police", bj(3, 19), "open", None, None),
                ("T12", "civil_affairs", bj(3, 2), "cancelled", None, None),
                ("T13", "market", None, "open", None, None),
                ("T14", "community_tangshi,community", bj(3, 20, 9), "open", None, None),
                ("T15", "office_leader", bj(3, 19), "open", None, "land.officer")):
            task = HumanTask(instance_id=instance.id, spiff_task_id=str(uuid.uuid4()), process_id="lead_handling",
                             element_id=f"task_{name}", name=f"任务{name}", candidate_users="",
                             candidate_groups=groups, priority=50, created_at=bj(2, 15), due_at=due, status=status,
                             assignee=person, completed_by=person if status == "completed" else None,
                             completed_at=completed)
            s.add(task)
            s.flush()
            if status == "open":   # the engine keeps candidate rows for open tasks only
                s.add_all([TaskCandidate(task_id=task.id, kind="group", name=group) for group in groups.split(",")])
            w.ids[name] = task.id
        s.commit()
    return w


@pytest.fixture
def web(app, world):
    return app.test_client()


FIG = re.compile(r'<a class="fig[^"]*" href="([^"]+)" data-figure="([^"]+)" data-key="([^"]*)">([^<]*)</a>')


def figures_on(page: str) -> dict:
    """{(figure, key): text} of every drill-down link on a page; a figure shown twice shows the same."""
    found = {}
    for href, figure, key, text in FIG.findall(page):
        text = text.strip()
        assert found.setdefault((figure, key), text) == text, (figure, key)
    return found


def rate_on(page: str) -> str:
    return re.search(r'<a id="kpi-rate" href="[^"]+">([^<]+)</a>', page).group(1)


def hrefs_on(page: str) -> dict:
    return {(figure, key): href.replace("&amp;", "&") for href, figure, key, _text in FIG.findall(page)}


def listed_ids(page: str) -> list[int]:
    table = page[page.index('id="drill-table"'):]
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', table)]


def ids(world, *names):
    return sorted(world[name] for name in names)


# -- access -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/list?figure=received_channel", "/dashboard/reports",
                                  "/dashboard/reports.xlsx", "/dashboard/ledger.xlsx"])
def test_officers_get_403(web, path):
    login(web, "market.officer")
    assert web.get(path).status_code == 403


def test_signed_out_users_are_sent_to_sign_in(web):
    response = web.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_supervisor_may_not_pick_another_unit(web):
    login(web, "market.supervisor")
    assert web.get("/dashboard/?unit=health").status_code == 403
    assert web.get("/dashboard/list?figure=received_unit&unit=health").status_code == 403
    assert web.get("/dashboard/reports?unit=health").status_code == 403
    assert web.get("/dashboard/ledger.xlsx?unit=health").status_code == 403
    assert web.get("/dashboard/?unit=nosuchunit").status_code == 404
    assert web.get("/dashboard/list?figure=nosuchfigure").status_code == 404


# -- the figures -----------------------------------------------------------------------

def test_march_figures_for_the_whole_campaign(web):
    login(web, "office.leader")
    page = web.get("/dashboard/", query_string=MARCH)
    assert page.status_code == 200
    html = page.text
    assert 'src="/vendor/echarts/echarts.min.js"' in html and "/static/dashboard.js" in html
    fig = figures_on(html)

    assert fig[("received_channel", "")] == "7"
    assert {key: fig[("received_channel", key)] for key in ("hotline_12345", "platform_12337", "police_110",
                                                            "mass_report", "grid_patrol", "financial_regulation",
                                                            "superior_transfer")} == {
        "hotline_12345": "2", "platform_12337": "1", "police_110": "1", "mass_report": "1", "grid_patrol": "1",
        "financial_regulation": "1", "superior_transfer": "0"}
    assert [fig[("received_unit", u)] for u in ("market", "health", "police", "none", "land")] == ["3", "1", "2", "1", "0"]

    assert fig[("closed_channel", "")] == "4"
    assert [fig[("closed_channel", c)] for c in ("hotline_12345", "platform_12337", "police_110", "grid_patrol")] \
        == ["2", "1", "1", "0"]
    assert [fig[("closed_unit", u)] for u in ("market", "health", "police")] == ["2", "1", "1"]

    assert rate_on(html) == "60.0%"
    assert fig[("on_time", "")] == "5" and fig[("on_time", "on_time")] == "3"
    assert [fig[("on_time_unit", u)] for u in ("market", "health", "police")] == ["50.0%", "50.0%", "100.0%"]

    assert fig[("overdue_unit", "")] == "5"
    assert [fig[("overdue_unit", u)] for u in ("market", "health", "police", "community_tangshi", "land", "bank")] \
        == ["2", "1", "1", "1", "1", "0"]

    assert [fig[("grade", g)] for g in ("red", "orange", "yellow", "green")] == ["1", "2", "1", "1"]
    assert re.search(r'id="kpi-risk">.*?<div class="kpi-value">4</div>', html, re.S)

    assert fig[("disposal_measure", "")] == "5"
    assert [fig[("disposal_measure", m)] for m in ("warning_interview", "order_rectify", "transfer_police",
                                                    "urge_refunds", "risk_warning", "suspension")] \
        == ["1", "2", "1", "1", "0", "0"]

    assert fig[("rectification_status", "")] == "5"
    assert [fig[("rectification_status", b)] for b in ("open", "accepted", "overdue")] == ["1", "2", "2"]

    assert fig[("recovered_unit", "")] == "650,000"
    assert [fig[("recovered_unit", u)] for u in ("market", "police", "health")] == ["150,000", "500,000", "0"]
    assert "涉及办结线索 3 条" in html


def test_the_figures_in_python_match_the_hand_count(app, world):
    from web import reports
    from web.extensions import db
    with app.app_context():
        f = reports.compute(db.session, reports.Scope(), reports.Period.month(2026, 3), NOW)
    assert (f.received, f.closed, f.completed, f.on_time, f.overdue, f.late) == (7, 4, 5, 3, 5, 7)
    assert f.on_time_rate == pytest.approx(0.6)
    assert f.on_time_by_unit == {"market": (2, 1), "health": (2, 1), "police": (1, 1)}
    assert f.overdue_by_unit == {"market": 2, "health": 1, "police": 1, "community_tangshi": 1, "land": 1}
    assert f.late_by_unit == {"market": 3, "health": 2, "police": 1, "community_tangshi": 1, "land": 1}
    assert f.grades == {"red": 1, "orange": 2, "yellow": 1, "green": 1} and f.at_risk == 4
    assert f.disposals_by_unit == {"market": 2, "health": 2, "police": 1}
    assert f.rectification == {"open": 1, "accepted": 2, "overdue": 2}
    assert f.rectification_by_unit == {"market": 1, "health": 2, "police": 2}
    assert (f.recovered, f.recovered_leads, f.recovered_by_unit) == (650_000, 3, {"market": 150_000, "police": 500_000})


def test_the_date_range_moves_every_dated_figure(web):
    login(web, "office.leader")
    page = web.get("/dashboard/?from=2026-02-01&to=2026-02-28").text
    feb = figures_on(page)
    assert rate_on(page) == "0.0%"
    assert feb[("received_channel", "")] == "2"
    assert feb[("closed_channel", "")] == "1"
    assert feb[("recovered_unit", "")] == "7,000"
    assert feb[("on_time", "")] == "1" and feb[("on_time", "on_time")] == "0"   # T7 only, late
    assert [feb[("grade", g)] for g in ("red", "orange", "yellow", "green")] == ["0", "0", "1", "1"]
    assert feb[("disposal_measure", "")] == "1" and feb[("disposal_measure", "risk_warning")] == "1"
    assert [feb[("rectification_status", b)] for b in ("open", "accepted", "overdue")] == ["0", "3", "0"]
    assert feb[("overdue_unit", "")] == "5"    # "now" does not depend on the range

    # The last day counts to midnight: L5 (19th 23:30) in, L9 (20th 00:10) out.
    part = figures_on(web.get("/dashboard/?from=2026-03-01&to=2026-03-19").text)
    assert part[("received_channel", "")] == "6"
    assert part[("received_channel", "mass_report")] == "1"
    assert part[("received_channel", "financial_regulation")] == "0"
    # from/to given the wrong way round are swapped
    assert figures_on(web.get("/dashboard/?from=2026-03-19&to=2026-03-01").text)[("received_channel", "")] == "6"


def test_the_default_range_is_this_campaign_month_to_today(web):
    login(web, "office.leader")
    html = web.get("/dashboard/").text
    assert 'name="from" id="filter-from" value="2026-03-01"' in html
    assert 'name="to" id="filter-to" value="2026-03-20"' in html
    assert figures_on(html)[("received_channel", "")] == "7"
    href = hrefs_on(html)[("received_channel", "hotline_12345")]
    assert "from=2026-03-01" in href and "to=2026-03-20" in href


def test_a_supervisor_sees_the_units_they_supervise(web):
    login(web, "market.supervisor")
    html = web.get("/dashboard/", query_string=MARCH).text
    fig = figures_on(html)
    assert fig[("received_channel", "")] == "3"                    # L1, L2, L6
    assert fig[("closed_channel", "")] == "2"                      # L1, L7
    assert fig[("on_time", "on_time")] == "1" and fig[("on_time", "")] == "2"   # T1 of T1, T2
    assert rate_on(html) == "50.0%"
    assert fig[("overdue_unit", "")] == "2"                        # T8, T11
    assert ("overdue_unit", "health") not in fig and ("received_unit", "none") not in fig
    assert [fig[("grade", g)] for g in ("red", "orange", "yellow", "green")] == ["1", "0", "0", "0"]
    assert fig[("disposal_measure", "")] == "2"
    assert [fig[("rectification_status", b)] for b in ("open", "accepted", "overdue")] == ["1", "0", "0"]
    assert fig[("recovered_unit", "")] == "150,000"
    # The list behind a figure keeps to the same units.
    assert listed_ids(web.get("/dashboard/list", query_string={"figure": "received_channel", **MARCH}).text) \
        == [web_id for web_id in listed_ids(web.get("/dashboard/list", query_string={
            "figure": "received_unit", "key": "market", **MARCH}).text)]


def test_a_leader_can_narrow_to_one_unit(web):
    login(web, "office.leader")
    html = web.get("/dashboard/", query_string={**MARCH, "unit": "health"}).text
    fig = figures_on(html)
    assert fig[("received_channel", "")] == "1" and fig[("closed_channel", "")] == "1"
    assert fig[("on_time", "on_time")] == "1" and fig[("on_time", "")] == "2" and rate_on(html) == "50.0%"
    assert fig[("overdue_unit", "")] == "1"
    assert [fig[("grade", g)] for g in ("red", "orange", "yellow", "green")] == ["0", "2", "0", "0"]
    assert fig[("disposal_measure", "")] == "2"
    assert [fig[("rectification_status", b)] for b in ("open", "accepted", "overdue")] == ["0", "0", "2"]
    href = hrefs_on(web.get("/dashboard/", query_string={**MARCH, "unit": "health"}).text)[("received_channel", "")]
    assert "unit=health" in href


# -- drill-down ------------------------------------------------------------------------------

DRILLS = [
    ("received_channel", "", ["L1", "L2", "L3", "L4", "L5", "L6", "L9"]),
    ("received_channel", "hotline_12345", ["L1", "L2"]),
    ("received_unit", "market", ["L1", "L2", "L6"]),
    ("received_unit", "none", ["L5"]),
    ("closed_channel", "", ["L1", "L3", "L4", "L7"]),
    ("closed_unit", "market", ["L1", "L7"]),
    ("recovered_unit", "", ["L1", "L4", "L7"]),
    ("on_time", "", ["T1", "T2", "T3", "T4", "T5"]),
    ("on_time", "on_time", ["T1", "T3", "T5"]),
    ("on_time", "late", ["T2", "T4"]),
    ("on_time_unit", "health", ["T3", "T4"]),
    ("overdue_unit", "", ["T8", "T10", "T11", "T14", "T15"]),
    ("overdue_unit", "market", ["T8", "T11"]),
    ("overdue_unit", "land", ["T15"]),
    ("late_unit", "", ["T2", "T4", "T8", "T10", "T11", "T14", "T15"]),
    ("late_unit", "market", ["T2", "T8", "T11"]),
    ("grade", "orange", ["S2", "S6"]),
    ("grade", "red", ["S1"]),
    ("disposal_measure", "order_rectify", ["D2", "D3"]),
    ("disposal_unit", "health", ["D3", "D6"]),
    ("rectification_status", "overdue", ["R2", "R5"]),
    ("rectification_status", "accepted", ["R3", "R6"]),
    ("rectification_unit", "police", ["R3", "R6"]),
]


@pytest.mark.parametrize("figure,key,expected", DRILLS)
def test_each_list_holds_the_records_behind_its_figure(web, world, figure, key, expected):
    login(web, "office.leader")
    page = web.get("/dashboard/list", query_string={"figure": figure, "key": key, **MARCH})
    assert page.status_code == 200
    assert sorted(listed_ids(page.text)) == ids(world, *expected)
    assert f'<span id="drill-count">{len(expected)}</span>' in page.text


def test_every_number_on_the_dashboard_links_to_a_list_of_as_many_rows(web):
    login(web, "office.leader")
    html = web.get("/dashboard/", query_string=MARCH).text
    links = hrefs_on(html)
    shown = figures_on(html)
    checked = 0
    for (figure, key), href in sorted(links.items()):
        text = shown[(figure, key)]
        if not text.isdigit():          # rates and amounts: checked in the tests above
            continue
        page = web.get(href)
        assert page.status_code == 200, href
        assert len(listed_ids(page.text)) == int(text), (figure, key)
        checked += 1
    assert checked > 40


def test_the_recovered_list_shows_the_amount(web):
    login(web, "office.leader")
    page = web.get("/dashboard/list", query_string={"figure": "recovered_unit", "key": "market", **MARCH}).text
    assert '<strong id="drill-amount">150,000</strong>' in page
    assert REPORTER_NAME not in page


# -- the monthly report ------------------------------------------------------------------------

def test_the_monthly_report_page_of_a_unit(web, world):
    login(web, "office.leader")
    page = web.get("/dashboard/reports?month=2026-03&unit=market")
    assert page.status_code == 200
    html = page.text
    assert "2026-03 月报 · 新塘市场监督管理所" in html
    fig = figures_on(html)
    assert (fig[("received_channel", "")], fig[("closed_channel", "")], fig[("late_unit", "")]) == ("3", "2", "3")
    assert fig[("recovered_unit", "")] == "150,000"

    def rows(table_id):
        table = html[html.index(f'id="{table_id}"'):]
        table = table[:table.index("</table>")]
        return sorted(int(i) for i in re.findall(r'<tr data-id="(\d+)"', table))

    assert rows("list-received") == ids(world, "L1", "L2", "L6")
    assert rows("list-closed") == ids(world, "L1", "L7")
    assert rows("list-disposals") == ids(world, "D1", "D2")
    assert rows("list-rectification") == ids(world, "R1")
    assert rows("list-late") == ids(world, "T2", "T8", "T11")
    assert 'href="/dashboard/reports.xlsx?month=2026-03&amp;unit=market"' in html


def test_the_monthly_report_workbook_for_the_whole_campaign(web, world):
    from web.reports import (DISPOSAL_HEADERS, LATE_TASK_HEADERS, LEADS_CLOSED_HEADERS, LEADS_RECEIVED_HEADERS,
                             RECTIFICATION_HEADERS)
    from web.extensions import db
    from web.reports import display_names
    with web.application.app_context():
        people = display_names(db.session, ["land.officer"])
    login(web, "office.leader")
    response = web.get("/dashboard/reports.xlsx?month=2026-03")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "monthly-report-2026-03-all.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["统计数据", "受理线索", "办结线索", "处置措施", "整改事项", "逾期事项"]

    figures = {row[0]: row[1] for row in book["统计数据"].iter_rows(values_only=True) if row and row[0]}
    assert figures["受理线索（条）"] == 7
    assert figures["办结线索（条）"] == 4
    assert figures["有期限任务办结（件）"] == 5 and figures["其中按期办结（件）"] == 3
    assert figures["按期办结率"] == "60.0%"
    assert figures["本期逾期事项（件）"] == 7 and figures["当前逾期任务（件）"] == 5
    assert figures["有风险隐患机构（家，红橙黄）"] == 4 and figures["其中红色"] == 1 and figures["其中橙色"] == 2
    assert figures["处置措施（次）"] == 5
    assert (figures["整改事项（项）"], figures["其中整改中"], figures["其中已验收"], figures["其中已逾期"]) == (5, 1, 2, 2)
    assert figures["追赃挽损金额（元）"] == 650_000
    assert figures["12345政务服务热线"] == 2          # the by-channel block: received
    assert figures["新塘市场监督管理所"] == 3          # the by-unit block: received

    def sheet(name):
        rows = list(book[name].iter_rows(values_only=True))
        return rows[0], rows[1:]

    header, rows = sheet("受理线索")
    assert list(header) == LEADS_RECEIVED_HEADERS
    assert len(rows) == 7 and [r[0] for r in rows] == list(range(1, 8))
    by_number = {r[1]: r for r in rows}
    l5 = by_number["XS-2026-000005"]
    assert l5[2] == datetime(2026, 3, 19, 23, 30)
    assert (l5[3], l5[7], l5[8], l5[9]) == ("群众举报", None, "已登记", "否")
    header, rows = sheet("办结线索")
    assert list(header) == LEADS_CLOSED_HEADERS
    assert sorted((r[1], r[6], r[8]) for r in rows) == [
        ("XS-2026-000001", "新塘市场监督管理所", 120_000), ("XS-2026-000003", "新塘街道卫健办", 0),
        ("XS-2026-000004", "新塘派出所", 500_000), ("XS-2026-000007", "新塘市场监督管理所", 30_000)]
    header, rows = sheet("处置措施")
    assert list(header) == DISPOSAL_HEADERS
    assert sorted(r[3] for r in rows) == ["督促清退资金", "移送公安/司法机关", "警示约谈", "责令整改", "责令整改"]
    header, rows = sheet("整改事项")
    assert list(header) == RECTIFICATION_HEADERS
    assert sorted((r[1], r[9]) for r in rows) == [("ZG-2026-R1", "整改中"), ("ZG-2026-R2", "已逾期"),
                                                  ("ZG-2026-R3", "已验收"), ("ZG-2026-R5", "已逾期"),
                                                  ("ZG-2026-R6", "已验收")]
    header, rows = sheet("逾期事项")
    assert list(header) == LATE_TASK_HEADERS
    late = {r[1]: r for r in rows}
    assert sorted(late) == ["任务T10", "任务T11", "任务T14", "任务T15", "任务T2", "任务T4", "任务T8"]
    assert late["任务T15"][3:5] == ("新塘国土所", people["land.officer"])
    assert late["任务T11"][3] == "新塘市场监督管理所、新塘派出所"
    assert late["任务T2"][5:] == (datetime(2026, 3, 10, 10), datetime(2026, 3, 12, 10), "超期办结")
    assert late["任务T8"][6:] == (None, "办理中（已逾期）")
    _assert_no_reporter(book)


def test_the_monthly_report_workbook_of_a_unit_and_a_past_month(web, world):
    login(web, "market.supervisor")
    book = load_workbook(BytesIO(web.get("/dashboard/reports.xlsx?month=2026-02&unit=market").data))
    figures = {row[0]: row[1] for row in book["统计数据"].iter_rows(values_only=True) if row and row[0]}
    assert (figures["受理线索（条）"], figures["办结线索（条）"], figures["处置措施（次）"]) == (1, 0, 1)
    assert figures["有期限任务办结（件）"] == 1 and figures["按期办结率"] == "0.0%"   # T7
    assert figures["本期逾期事项（件）"] == 1                                        # T7, late in February
    assert figures["其中已验收"] == 1                                                 # R4
    assert figures["报告期"] == "2026-02-01 至 2026-02-28"
    assert [r[1] for r in list(book["受理线索"].iter_rows(values_only=True))[1:]] == ["XS-2026-000007"]
    assert web.get("/dashboard/reports?month=2026-13").status_code == 400


# -- the risk ledger ---------------------------------------------------------------------------------

def test_the_risk_ledger_workbook(web, world):
    from web.reports import LEDGER_HEADERS
    login(web, "office.leader")
    response = web.get("/dashboard/ledger.xlsx")
    assert response.status_code == 200
    assert "risk-ledger-20260320.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["风险台账"]
    rows = list(book["风险台账"].iter_rows(values_only=True))
    assert list(rows[0]) == LEDGER_HEADERS == [
        "序号", "机构/企业名称", "统一社会信用代码", "风险问题", "风险等级", "按规则评定等级", "适用规则", "改判理由",
        "涉众人数", "风险敞口（元）", "舆论热度", "涉稳隐患", "责任单位", "责任人", "整改措施", "整改期限", "状态", "关联线索"]
    data = rows[1:]
    assert [r[0] for r in data] == list(range(1, 8))
    # Red first, then orange, yellow, green; within a grade by institution name.
    assert [(r[1], r[3]) for r in data] == [
        ("甲养老服务有限公司", "R1：违规收取会员费。"), ("甲养老服务有限公司", "R4：违规收取会员费。"),
        ("乙健康科技有限公司", "R2：违规收取会员费。"), ("乙健康科技有限公司", "R5：违规收取会员费。"),
        ("己养老服务中心", "L3：某公司以养老为名收取老人费用。"),
        ("丁投资管理有限公司", "R6：违规收取会员费。"), ("丙旅游有限公司", "R3：违规收取会员费。")]
    first = data[0]
    assert first[1:] == ("甲养老服务有限公司", "91350582MA31RK6T12", "R1：违规收取会员费。", "红色",
                         None, None, None, 156, 4_800_000,   # graded by hand: no grade by rule, rule or reason
                         "高", "高", "新塘市场监督管理所", "R1负责人", "R1：清退会员费。", datetime(2026, 3, 25, 18),
                         "整改中", None)    # blank cells read back as None
    bare = data[4]   # an institution graded without any rectification item: its lead and disposals
    assert bare[4:] == ("橙色", None, None, None, 80, 1_000_000, "中", "高", "新塘街道卫健办", None, "督促清退资金", None, "已办结",
                        "XS-2026-000003")
    _assert_no_reporter(book)


def test_the_risk_ledger_of_a_supervisor_keeps_to_their_units(web, world):
    login(web, "market.supervisor")
    book = load_workbook(BytesIO(web.get("/dashboard/ledger.xlsx").data))
    rows = list(book["风险台账"].iter_rows(values_only=True))[1:]
    assert [(r[3], r[12]) for r in rows] == [("R1：违规收取会员费。", "新塘市场监督管理所"),
                                             ("R4：违规收取会员费。", "新塘市场监督管理所")]


def _assert_no_reporter(book):
    for sheet in book:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert REPORTER_NAME not in str(value) and REPORTER_PHONE not in str(value)


# -- language ------------------------------------------------------------------------------------

def test_every_dashboard_string_has_a_chinese_translation():
    from pathlib import Path

    import runpy
    root = Path(__file__).resolve().parents[1] / "web"
    ZH = runpy.run_path(str(root / "translations" / "dashboard" / "strings_zh.py"))["ZH"]
    sources = [root / "dashboard.py", *(root / "templates" / "dashboard").glob("*.html")]
    used = set()
    for path in sources:
        used |= {m[1] for m in re.findall(r"\bt\((['\"])(.+?)\1", path.read_text(encoding="utf-8"))}
    from web.reports import FIGURES
    used |= {figure.title for figure in FIGURES.values()}
    assert sorted(used - set(ZH)) == []


def test_the_dashboard_speaks_english_when_asked(web):
    login(web, "office.leader")
    web.get("/lang/en")
    html = web.get("/dashboard/", query_string=MARCH).text
    assert "Leads received" in html and "受理线索" not in html
    assert figures_on(html)[("received_channel", "")] == "7"


def test_reports_period_helpers():
    from web.reports import Period
    december = Period.month(2026, 12)
    assert (december.first.isoformat(), december.last.isoformat()) == ("2026-12-01", "2026-12-31")
    assert Period.parse_month("2026-02").last.isoformat() == "2026-02-28"
    assert Period.parse_month("2026-2x") is None and Period.parse_month("") is None
    march = Period.month(2026, 3)
    assert march.start == datetime(2026, 2, 28, 16, tzinfo=timezone.utc)
    assert march.end - march.start == timedelta(days=31)
