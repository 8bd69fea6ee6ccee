"""Grading by rule on the 风险研判评估 page in headless Chromium (web/static/tasks.js): as the officer types
the four factors the page shows the grade the table gives and the rule that matched, and the grade field
takes it; choosing another grade shows the reason field, which the server requires (the error is shown
on the field) and then keeps. Screenshots go to test-artifacts/."""
from sqlalchemy import select

from domain.leads import start_risk_disposal
from domain.models import Lead, RiskAssessment, Subject
from engine.identity import SYSTEM
from engine.store.models import HumanTask
from tests.browser_support import browser, live_server, page, screenshot, sign_in, sign_out  # noqa: F401

REASON = "涉及人员多为陪同家属，实际受损老人较少，按较高风险处置。"


def _assess_task(demo, session_factory) -> HumanTask:
    from web import engine_of
    with session_factory() as session:
        subject_id = session.scalar(select(Subject.id).where(Subject.name == "泉州长青健康科技有限公司"))
        lead = session.scalars(select(Lead).where(Lead.subject_id == subject_id).order_by(Lead.id)).first()
    instance_id = start_risk_disposal(engine_of(demo), SYSTEM, lead_id=lead.id, responsible_unit="market")
    with session_factory() as session:
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()


def _hint(page) -> str:
    return page.inner_text("#decision-grade")


def test_the_officer_sees_the_grade_by_rule_and_gives_a_reason_for_another(page, demo, session_factory):
    task = _assess_task(demo, session_factory)
    sign_in(page, "market.officer")
    page.goto(f"/tasks/{task.id}")
    page.wait_for_selector("#decision-grade")
    assert not page.is_visible("#field-grade_override_reason")  # no reason asked for while nothing differs

    page.fill("#input-people_involved", "120")
    page.fill("#input-money_at_risk", "0")
    page.select_option("#input-opinion_heat", "none")
    page.select_option("#input-stability_risk", "none")
    page.wait_for_function("() => document.getElementById('decision-grade').dataset.status === 'computed'")
    page.wait_for_function("() => document.getElementById('input-grade').value === 'red'")
    assert _hint(page) == "按规则评定：红色（高风险） — 规则2：涉众规模大（100人以上）：红色"
    assert not page.is_visible("#field-grade_override_reason")

    page.fill("#input-people_involved", "45")  # the grade follows the factors until the officer picks one
    page.wait_for_function("() => document.getElementById('input-grade').value === 'orange'")
    assert "规则7：涉众规模较大（30至99人）：橙色" in _hint(page)

    page.select_option("#input-grade", "red")  # another grade: the reason field appears
    assert page.is_visible("#field-grade_override_reason")
    page.fill("#input-people_involved", "50")  # an officer's own choice stays as factors change
    page.wait_for_function("() => document.getElementById('decision-grade').textContent.includes('规则7')")
    assert page.input_value("#input-grade") == "red" and page.is_visible("#field-grade_override_reason")
    screenshot(page, "risk-grading-override")

    page.select_option("#input-finding", "no_problem")
    page.fill("#input-facts", "现场检查，会销活动已停止。")
    with page.expect_navigation():
        page.click("#btn-complete")
    assert page.is_visible("#error-grade_override_reason")  # refused: the reason, on its field
    assert "改判理由" in page.inner_text("#error-grade_override_reason")
    assert page.is_visible("#field-grade_override_reason")
    screenshot(page, "risk-grading-reason-required")

    page.fill("#input-grade_override_reason", REASON)
    with page.expect_navigation():
        page.click("#btn-complete")
    assert "/complete" not in page.url  # accepted: on to the inbox or the next step
    with session_factory() as session:
        assessment = session.scalars(select(RiskAssessment).order_by(RiskAssessment.id.desc())).first()
    assert (assessment.grade, assessment.computed_grade, assessment.override_reason) == ("red", "orange", REASON)

    # On the case: the grade history shows the grade by rule, the rule and the reason.
    page.goto(f"/subjects/{assessment.subject_id}")
    newest = page.locator("table.assessments tbody tr").first
    assert newest.get_attribute("data-overridden") == "true"
    detail = page.locator("table.assessments tr.assessment-detail").first.inner_text()
    assert "规则7：涉众规模较大（30至99人）：橙色" in detail and REASON in detail
    screenshot(page, "risk-grading-on-the-case")


def test_a_rule_changed_in_the_editor_grades_the_next_assessment(page, demo, session_factory):
    """The office's new notice lowers the red threshold for people involved from 100 to 50: the
    administrator edits rule 2 in dmn-js, evaluates a sample, deploys; the next assessment of 60 people
    is graded red by the new version (under the old one it was orange, rule 7)."""
    from tests.test_browser_decisions import (PEOPLE, cell_text, deploy, edit_cell, ensure_grading_deployed,
                                              evaluate, open_editor, versions, wait_checked)
    before = ensure_grading_deployed(demo, session_factory)
    errors = open_editor(page)
    assert cell_text(page, 2, PEOPLE) == ">= 100"
    edit_cell(page, 2, PEOPLE, ">= 50")
    wait_checked(page)
    evaluate(page, {"涉众规模（人）": 60, "风险敞口（元）": 0, "舆论热度": "none", "涉稳隐患": "none"})
    assert page.get_attribute("#evaluate-result", "data-matched-rows") == "2"
    assert f"版本 {before + 1}" in deploy(page, "新通知：涉众50人以上定为红色")
    screenshot(page, "risk-grading-rule-changed")
    assert not errors, errors
    assert versions(session_factory)[-1].version == before + 1
    sign_out(page)

    task = _assess_task(demo, session_factory)
    sign_in(page, "market.officer")
    page.goto(f"/tasks/{task.id}")
    page.wait_for_selector("#decision-grade")
    page.fill("#input-people_involved", "60")
    page.fill("#input-money_at_risk", "0")
    page.select_option("#input-opinion_heat", "none")
    page.select_option("#input-stability_risk", "none")
    page.wait_for_function("() => document.getElementById('input-grade').value === 'red'")
    assert "规则2" in _hint(page)  # under v1, 60 people was rule 7: orange
    page.select_option("#input-finding", "no_problem")
    page.fill("#input-facts", "按新标准研判。")
    screenshot(page, "risk-grading-new-rule-applied")
    with page.expect_navigation():
        page.click("#btn-complete")
    with session_factory() as session:
        assessment = session.scalars(select(RiskAssessment).order_by(RiskAssessment.id.desc())).first()
    assert (assessment.grade, assessment.computed_grade, assessment.override_reason) == ("red", "red", None)
    assert assessment.grading_decision.endswith(f"v{before + 1}") and "规则2" in assessment.grading_rule
