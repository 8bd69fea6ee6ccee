"""月报表 figures against a hand-computed fixture: records of two units in April 2026, with records
just outside the month (Beijing dates) and of other units. The return's figures, the dashboard's
for the same unit and month, and the office's sum of the submitted returns all equal the hand count.
A section registered by another module (here a fake one) appears in the return, the sum and the Excel."""
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from domain import returns
from domain.models import Disposal, Lead, MonthlyReturn, RectificationItem, RiskAssessment, Subject
from domain.returns_export import summary_workbook
from engine.workcal import CHINA_TZ
from web import reports

APRIL = ("2026-04", date(2026, 4, 1), date(2026, 4, 30))


def bj(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA_TZ).astimezone(timezone.utc)


@pytest.fixture
def world(session, clock):
    clock.set(bj(5, 10))
    counter = iter(range(1, 1000))
    now = bj(3, 1)

    def subject(name):
        row = Subject(name=name, created_at=now)
        session.add(row)
        session.flush()
        return row

    def lead(unit, received, status="verifying", closed=None, deadline=None, recovered=None, subject_id=None):
        row = Lead(number=f"XS-2026-{next(counter):06d}", channel="hotline_12345", received_at=received,
                   summary="某养生馆以赠送礼品为名诱导老年人购买保健品", sector="food_health_products",
                   responsible_unit=unit, status=status, closed_at=closed, feedback_deadline=deadline,
                   recovered_amount=recovered, subject_id=subject_id, created_at=received, updated_at=received)
        session.add(row)

    def disposal(unit, measure, when, subject_id=None):
        session.add(Disposal(unit=unit, measure=measure, disposed_at=when, subject_id=subject_id, note=""))

    def item(unit, created, status="open", closed=None, subject_id=None):
        session.add(RectificationItem(number=f"ZG-2026-{next(counter):06d}", problem="未取得医疗机构执业许可",
                                      responsible_unit=unit, measures="责令停止违规诊疗", deadline=bj(6, 30),
                                      status=status, created_at=created, updated_at=created, closed_at=closed,
                                      subject_id=subject_id))

    def grade(subject_id, value, when):
        session.add(RiskAssessment(subject_id=subject_id, grade=value, assessed_at=when))

    s1, s2, s3, s4 = (subject(n) for n in ("福寿康养老服务公司", "夕阳红旅游公司", "长青健康科技公司", "康寿源健康管理公司"))
    # leads of the market station
    lead("market", bj(4, 1, 0, 30), "closed", bj(4, 10), bj(4, 15, 18), 5000, s1.id)  # first minutes of April
    lead("market", bj(4, 30, 23, 30))                                                  # last minutes of April
    lead("market", bj(3, 31, 23, 30), "closed", bj(4, 2), bj(4, 1, 18), 1000)         # received in March; late
    lead("market", bj(4, 11), "withdrawn", bj(4, 12))                                  # withdrawn is not closed
    # leads of the health office
    lead("health", bj(4, 5), "closed", bj(4, 20))                                      # no deadline: on time
    lead("health", bj(4, 6), "closed", bj(5, 1, 0, 10), None, 300)                     # closed in May
    # others
    lead("police", bj(4, 7), "closed", bj(4, 8), None, 800)
    lead(None, bj(4, 9), "registered")
    # disposals
    disposal("market", "risk_warning", bj(4, 3), s2.id)
    disposal("market", "order_rectify", bj(4, 28))
    disposal("market", "warning_interview", bj(3, 30))                                 # March
    disposal("health", "suspension", bj(4, 15))
    disposal("police", "transfer_police", bj(4, 15), s4.id)
    # rectification items
    item("market", bj(4, 2), "closed", bj(4, 25))
    item("market", bj(3, 20), "closed", bj(4, 5))                                      # opened in March
    item("market", bj(4, 29))
    item("health", bj(5, 2), subject_id=s3.id)                                         # opened in May
    # grades: at the end of April s1 red (market), s2 green again (market), s3 yellow (health), s4 police
    grade(s1.id, "red", bj(4, 4))
    grade(s2.id, "orange", bj(3, 15))
    grade(s2.id, "green", bj(4, 20))
    grade(s3.id, "yellow", bj(4, 10))
    grade(s4.id, "red", bj(4, 10))
    grade(s3.id, "red", bj(5, 3))                                                      # after April
    session.commit()
    return session


# Counted by hand from the fixture above.
EXPECTED = {
    "market": {"leads.received": 3, "leads.dispatched": 3, "leads.closed": 2, "leads.closed_on_time": 1,
               "leads.recovered": 6000, "disposals.total": 2, "disposals.risk_warning": 1,
               "disposals.order_rectify": 1, "disposals.warning_interview": 0, "rectification.opened": 2,
               "rectification.closed": 2, "risk.at_risk": 1, "risk.red": 1, "risk.orange": 0, "risk.yellow": 0},
    "health": {"leads.received": 2, "leads.dispatched": 2, "leads.closed": 1, "leads.closed_on_time": 1,
               "leads.recovered": 0, "disposals.total": 1, "disposals.suspension": 1,
               "rectification.opened": 0, "rectification.closed": 0, "risk.at_risk": 1, "risk.red": 0,
               "risk.yellow": 1},
}


def _expected(unit, key):
    return EXPECTED[unit].get(key, 0)


@pytest.mark.parametrize("unit", ["market", "health"])
def test_the_returns_figures_equal_the_hand_count_and_the_dashboards(world, unit):
    _month, first, last = APRIL
    figures = returns.computed_figures(world, {unit}, first, last)
    assert set(EXPECTED[unit]) <= set(figures)
    for key in figures:  # every other figure is 0
        assert figures[key] == _expected(unit, key), key

    f = reports.compute(world, reports.Scope(frozenset({unit})), reports.Period(first, last), bj(5, 10))
    dashboard = {
        "leads.received": f.received_by_unit.get(unit, 0), "leads.dispatched": f.dispatched_by_unit.get(unit, 0),
        "leads.closed": f.closed_by_unit.get(unit, 0), "leads.closed_on_time": f.closed_on_time_by_unit.get(unit, 0),
        "leads.recovered": f.recovered_by_unit.get(unit, 0), "disposals.total": f.disposals,
        **{f"disposals.{m}": f.disposals_by_measure.get(m, 0) for m in reports.MEASURES},
        "rectification.opened": f.rectification_opened_by_unit.get(unit, 0),
        "rectification.closed": f.rectification_closed_by_unit.get(unit, 0),
        "risk.at_risk": f.at_risk, "risk.red": f.grades.get("red", 0), "risk.orange": f.grades.get("orange", 0),
        "risk.yellow": f.grades.get("yellow", 0)}
    # (publicity, inspections and strike figures equal the dashboard's in their own tests)
    assert dashboard == {key: value for key, value in figures.items() if key.split(".")[0] in returns.BUILT_IN}


def _submit(session, unit, month="2026-04", **form):
    record = returns.new_return(session, unit, month, f"{unit}.officer")
    values = returns.validate(session, record, {"progress": "已完成", "measures": "约谈", "next_steps": "回头看",
                                                **form}, submit=True)
    returns.apply(session, record, values, f"{unit}.officer", submit=True)
    session.commit()
    return record


def test_the_offices_sum_equals_the_hand_count_of_both_units(world):
    _submit(world, "market", **{"value.other.meetings": "2"})
    _submit(world, "health", **{"value.other.meetings": "1", "fix.leads.closed": "2",
                                "note.leads.closed": "线下办结1条未录入"})
    s = returns.summary(world, "2026-04")
    for key in EXPECTED["market"] | EXPECTED["health"]:
        corrected = 1 if (key == "leads.closed") else 0  # the health office reported 2, not 1
        assert s.total[key] == _expected("market", key) + _expected("health", key) + corrected, key
    assert s.total["other.meetings"] == 3
    assert s.by_unit["health"]["leads.closed"] == 2
    assert "market" not in {u.code for u in s.missing} and "police" in {u.code for u in s.missing}
    # the submitted figures stay as they were when records change afterwards
    world.add(Disposal(unit="market", measure="risk_warning", disposed_at=bj(4, 29), note=""))
    world.commit()
    assert returns.summary(world, "2026-04").by_unit["market"]["disposals.total"] == 2
    assert returns.computed_figures(world, {"market"}, *APRIL[1:])["disposals.total"] == 3


def test_a_registered_section_appears_in_the_return_the_sum_and_the_excel(world, monkeypatch):
    def strike_figures(session, unit_codes, first, last):
        assert (first, last) == APRIL[1:]
        return {"cases": {"market": 3, "health": 4}.get(next(iter(unit_codes)), 0) if unit_codes else 7}

    section = returns.Section("strike", "依法打击", "Strike results", strike_figures,
                              [("cases", "破获案件（起）", "Cases solved"), ("gangs", "打掉团伙（个）", "Gangs")])
    monkeypatch.setattr(returns, "SECTIONS", [*returns.SECTIONS[:-1], section, returns.SECTIONS[-1]])
    record = _submit(world, "market")
    _submit(world, "health")
    table = dict((s.key, rows) for s, rows in returns.table(world, world.get(MonthlyReturn, record.id)))
    assert [(r.key, r.value) for r in table["strike"]] == [("strike.cases", 3), ("strike.gangs", 0)]
    s = returns.summary(world, "2026-04")
    assert s.total["strike.cases"] == 7
    sheet = load_workbook(io.BytesIO(summary_workbook(world, s, bj(5, 10)))).active
    rows = {sheet.cell(r, 2).value: r for r in range(1, sheet.max_row + 1)}
    assert sheet.cell(rows["破获案件（起）"], sheet.max_column).value == 7
    section_names = [sheet.cell(r, 1).value for r in range(4, sheet.max_row) if sheet.cell(r, 1).value]
    assert "依法打击" in section_names


def test_the_excel_is_laid_out_to_forward_upward(world):
    _submit(world, "market")
    s = returns.summary(world, "2026-04")
    sheet = load_workbook(io.BytesIO(summary_workbook(world, s, bj(5, 21)))).active
    assert sheet["A1"].value == "新塘街道打击整治养老诈骗专项行动工作情况统计表（2026年4月）"
    assert sheet["A2"].value == "填报单位：新塘街道专项办"
    assert any(str(cell.value or "").startswith("填报日期：2026年5月21日") for cell in sheet[2])
    headers = [cell.value for cell in sheet[3]]
    assert headers[0] == "项目" and headers[-1] == "合计" and "新塘市场监督管理所" in headers[2:-1]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert f"A1:{get_column_letter(sheet.max_column)}1" in merged
    assert "A3:B3" in merged
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet["C4"].border.left.style == "thin"
    market = headers.index("新塘市场监督管理所") + 1
    police = headers.index(next(h for h in headers if h and "派出所" in h)) + 1
    rows = {sheet.cell(r, 2).value: r for r in range(4, sheet.max_row + 1)}
    assert sheet.cell(rows["受理线索（条）"], market).value == 3
    assert sheet.cell(rows["受理线索（条）"], police).value == "未报"
    assert sheet.cell(rows["受理线索（条）"], sheet.max_column).value == 3
    assert "未报单位：" in sheet.cell(sheet.max_row, 1).value


def test_returns_are_due_on_the_20th_of_the_following_month(monkeypatch):
    assert returns.due_at("2026-04") == datetime(2026, 5, 20, 18, tzinfo=CHINA_TZ)
    assert returns.due_at("2026-12") == datetime(2027, 1, 20, 18, tzinfo=CHINA_TZ)
    monkeypatch.setenv("DUBAN_RETURN_DUE_DAY", "22")
    assert returns.due_at("2026-04").day == 22
    assert returns.previous_month(bj(1, 1, 0, 30)) == "2025-12"
    assert timedelta(0) < returns.due_at("2026-04") - bj(4, 30)
