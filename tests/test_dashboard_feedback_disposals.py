"""The measures chosen at a lead's 查办反馈 reach the case page, the dashboard, the monthly
report (page and workbook) and the risk ledger as disposals (处置记录).

Two leads run through the real lead_handling process (register, triage, accept, verify,
feedback, review) in March 2026, on the same database the web app reads:

    A  晋江市康寿源健康管理有限公司 (registered, never graded), market:
       feedback 警示约谈 + 责令整改 + 调解处理 (not a disposal) -> 2 disposals; closed.
    B  institution unknown, police: feedback 移送公安机关 + 立案侦查, sent back, fed back
       again with 立案侦查 only -> 1 disposal (the transfer is withdrawn).

March: 3 disposals: warning_interview 1, order_rectify 1, case_filed 1; market 2, police 1.
"""
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from domain.models import Disposal, Lead, User
from tests import scenario_support as s
from tests.conftest import DEMO_PASSWORD, _fast_hash, login
from tests.test_dashboard import figures_on, listed_ids

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
DETAILS_A = "已约谈负责人黄某，责令停止会销并限期整改；经调解退还部分老人货款。"
DETAILS_B = "经查涉嫌以投资养老项目为名诈骗，已立案侦查。"


class Handled:
    """The two leads after their feedback: ids, numbers and their disposals."""

    def __init__(self, campaign, a, b):
        self.campaign = campaign
        self.lead_a, self.lead_b = a, b
        with campaign.session_factory() as session:
            self.number_a = session.get(Lead, a).number
            self.number_b = session.get(Lead, b).number
            self.disposals = {row.id: (row.lead_id, row.measure) for row in session.scalars(select(Disposal))}
            self.names = dict(session.execute(select(User.username, User.display_name)).all())


@pytest.fixture
def handled(app, session_factory, clock, field_key):
    c = s.Campaign(session_factory, clock)
    with session_factory() as session:  # the campaign's demo users, able to sign in
        password_hash = _fast_hash(DEMO_PASSWORD)
        for user in session.scalars(select(User)):
            user.password_hash = password_hash
        session.commit()

    instance_a, lead_a = c.dispatched_lead(unit="market")
    c.complete("verify_lead", s.verify(), instance_a)
    c.clock.advance(days=1)
    c.complete("feedback_lead", s.feedback(handling=["warning_interview", "order_rectify", "mediation"],
                                           handling_details=DETAILS_A), instance_a)
    c.complete("review_feedback", s.review("accept"), instance_a)
    c.report_completions()  # the completion report goes upward (recorded: no platform here)

    instance_b, lead_b = c.dispatched_lead(unit="police", subject_name=None, subject_credit_code=None,
                                           channel="police_110", sector="elderly_projects")
    c.complete("verify_lead", s.verify(), instance_b)
    c.complete("feedback_lead", s.feedback(handling=["transfer_police", "case_filed"],
                                           handling_details="已移送并立案。"), instance_b)
    c.complete("review_feedback", s.review("send_back"), instance_b)
    c.complete("verify_lead", s.verify(), instance_b)
    c.clock.advance(days=1)
    c.complete("feedback_lead", s.feedback(handling=["case_filed"], handling_details=DETAILS_B), instance_b)
    c.complete("review_feedback", s.review("accept"), instance_b)
    assert c.incidents() == []
    return Handled(c, lead_a, lead_b)


@pytest.fixture
def web(app, handled):
    return app.test_client()


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start:page.index("</section>", start)]


def test_the_fixture_records_what_the_leads_fed_back(handled):
    assert sorted(handled.disposals.values()) == sorted([
        (handled.lead_a, "warning_interview"), (handled.lead_a, "order_rectify"), (handled.lead_b, "case_filed")])


def test_the_leads_case_page_lists_the_measures_fed_back(web, handled):
    login(web, "office.leader")
    page = web.get(f"/leads/{handled.lead_a}").text
    disposals = _section(page, "disposals")
    assert "警示约谈" in disposals and "责令整改" in disposals and "调解处理" not in disposals
    assert DETAILS_A in disposals and handled.names["market.officer"] in disposals
    assert "market.officer" not in disposals
    assert disposals.count("<tr>") == 3  # header and two measures, not the empty row

    page = web.get(f"/leads/{handled.lead_b}").text   # no institution: the lead still shows its measure
    disposals = _section(page, "disposals")
    assert "立案侦查" in disposals and "移送公安" not in disposals and DETAILS_B in disposals
    assert handled.names["police.officer"] in disposals

    # the officer of the unit sees them on their own case too
    login(web, "market.officer")
    assert "责令整改" in _section(web.get(f"/leads/{handled.lead_a}").text, "disposals")


def test_the_dashboard_counts_the_measures_fed_back(web, handled):
    login(web, "office.leader")
    figures = figures_on(web.get("/dashboard/", query_string=MARCH).text)
    assert figures[("disposal_measure", "")] == "3"
    assert (figures[("disposal_measure", "warning_interview")], figures[("disposal_measure", "order_rectify")],
            figures[("disposal_measure", "case_filed")]) == ("1", "1", "1")
    assert figures[("disposal_measure", "transfer_police")] == "0"  # withdrawn by the second feedback
    listed = web.get("/dashboard/list", query_string={**MARCH, "figure": "disposal_measure"}).text
    assert sorted(listed_ids(listed)) == sorted(handled.disposals)
    assert handled.number_a in listed and handled.number_b in listed

    login(web, "market.supervisor")  # a unit's supervisor counts their unit's
    figures = figures_on(web.get("/dashboard/", query_string=MARCH).text)
    assert figures[("disposal_measure", "")] == "2"


def test_the_monthly_report_counts_and_lists_the_measures_fed_back(web, handled):
    login(web, "office.leader")
    page = web.get("/dashboard/reports?month=2026-03").text
    figures = figures_on(page)
    assert figures[("disposal_measure", "")] == "3"
    assert (figures[("disposal_unit", "market")], figures[("disposal_unit", "police")]) == ("2", "1")
    listed = page[page.index('id="list-disposals"'):]
    listed = listed[:listed.index("</table>")]
    assert sorted(int(i) for i in re.findall(r'<tr data-id="(\d+)"', listed)) == sorted(handled.disposals)
    assert handled.number_a in listed and handled.number_b in listed and "立案侦查" in listed

    book = load_workbook(BytesIO(web.get("/dashboard/reports.xlsx?month=2026-03").data))
    figures = {row[0]: row[1] for row in book["统计数据"].iter_rows(values_only=True) if row and row[0]}
    assert figures["处置措施（次）"] == 3
    assert (figures["警示约谈"], figures["责令整改"], figures["立案侦查"], figures["移送公安/司法机关"]) == (1, 1, 1, 0)
    rows = {(r[2], r[3], r[4], r[5], r[6]) for r in list(book["处置措施"].iter_rows(values_only=True))[1:]}
    assert {(r[1], r[4]) for r in rows} == {
        ("警示约谈", handled.number_a), ("责令整改", handled.number_a), ("立案侦查", handled.number_b)}
    for institution, measure, _unit, officer, number in rows:  # the officer by name, never the username
        username = "market.officer" if number == handled.number_a else "police.officer"
        assert officer.startswith(handled.names[username]) and username not in officer
        assert institution == (s.SUBJECT_NAME if number == handled.number_a else None)  # B: unknown


def test_the_risk_ledger_lists_an_institution_with_measures_fed_back_though_never_graded(web, handled):
    login(web, "office.leader")
    book = load_workbook(BytesIO(web.get("/dashboard/ledger.xlsx").data))
    rows = list(book["风险台账"].iter_rows(values_only=True))[1:]
    [row] = rows  # lead B's institution is unknown: no row
    assert row[1] == s.SUBJECT_NAME and row[17] == handled.number_a
    assert row[4] is None  # never graded
    assert set(row[14].split("；")) == {"警示约谈", "责令整改"}
    assert row[16] == "已办结"

    login(web, "police.supervisor")  # not the police's institution
    book = load_workbook(BytesIO(web.get("/dashboard/ledger.xlsx").data))
    assert list(book["风险台账"].iter_rows(values_only=True))[1:] == []
