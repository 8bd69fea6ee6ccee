"""A lead's whole life in the browser: registered by the office, verified by the unit,
overdue and escalated when the clock moves, reassigned by the supervisor, completed,
closed and reported upward; another unit's officer cannot open it. Screenshots go to test-artifacts/."""
import re
from datetime import timedelta

from sqlalchemy import select

from domain.models import Lead
from domain.report_worker import ReportWorker
from engine.store.models import HumanTask
from tests import scenario_support as forms
from tests.browser_support import (browser, complete, live_server, open_task, page,  # noqa: F401
                                   screenshot, sign_in, sign_out)


def test_a_lead_from_registration_to_closure(page, demo, clock, session_factory):
    runtime = demo.extensions["duban"]

    # The special office registers a 12345 hotline call.
    sign_in(page, "office.officer")
    page.goto("/leads/new")
    page.select_option("#channel", "hotline_12345")
    page.fill("#summary", "12345热线：某健康咨询公司以免费讲座引流，向老人高价推销保健品。")
    page.fill("#subject_name", "康乐源健康咨询有限公司")
    page.select_option("#sector", "food_health_products")
    page.click("#register-submit")
    page.wait_for_url(re.compile(r"/leads/\d+$"))
    lead_id = int(page.url.rsplit("/", 1)[1])
    with session_factory() as s:
        number = s.get(Lead, lead_id).number

    # It triages and dispatches the lead to market regulation.
    open_task(page, "研判分流", number)
    screenshot(page, "task-form")
    complete(page, forms.triage_dispatch(unit="market", workdays=15))
    sign_out(page)

    # The market officer accepts it; verification waits in the unit's inbox.
    sign_in(page, "market.officer")
    screenshot(page, "inbox-officer")
    open_task(page, "签收线索", number)
    complete(page, forms.accept())
    page.goto(f"/inbox/?q={number}")
    assert page.locator("#task-table a.task-link:text-is('核实线索')").count() == 1
    sign_out(page)

    # Sixteen working days later nothing has been fed back: the ladder escalates.
    clock.advance(timedelta(days=24))
    runtime.engine.fire_due_timers()
    runtime.escalator.run_due()

    while runtime.notifier.deliver_due().claimed:
        pass
    sign_in(page, "market.supervisor")
    # The escalation notice names the case and its institution, not just the step.
    page.goto("/notifications/")
    assert f"{number} 康乐源健康咨询有限公司" in page.locator("main").inner_text()
    screenshot(page, "notification-names-the-case")
    page.goto("/supervise/escalations")
    row = page.locator("tr", has_text="核实线索").first
    assert row.is_visible() and "逾期" in row.inner_text()
    screenshot(page, "supervisor-escalations")
    page.goto("/supervise/board")
    screenshot(page, "supervisor-board")

    # The supervisor reassigns the verification to themself, with a reason.
    with session_factory() as s:
        verify_id = s.scalar(select(HumanTask.id).where(HumanTask.element_id == "verify_lead",
                                                         HumanTask.status == "open",
                                                         HumanTask.instance_id == s.get(Lead, lead_id).instance_id))
    page.goto(f"/supervise/tasks/{verify_id}")
    panel = page.locator(".supervise-panel").first
    panel.wait_for()
    reassign = panel.locator("form", has=page.locator('select[name="assignee"]'))
    reassign.locator('select[name="assignee"]').select_option("market.supervisor")
    reassign.locator('textarea[name="reason"]').fill("承办人外出培训，由所长亲自核实")
    reassign.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".alert").first.is_visible()

    # The supervisor verifies and feeds back; the office reviews and closes.
    open_task(page, "核实线索", number)
    complete(page, forms.verify())
    open_task(page, "查办反馈", number)
    complete(page, forms.feedback())
    sign_out(page)

    sign_in(page, "office.officer")
    open_task(page, "审核反馈", number)
    complete(page, forms.review("accept"))
    # Closed: the completion report goes upward through the report worker, nobody's task.
    assert ReportWorker(runtime.engine).run_once().recorded
    page.goto(f"/leads/{lead_id}")
    page.wait_for_selector('#case-diagram[data-loaded="true"]')
    assert "报送办结情况" in page.locator("#timeline").inner_text()
    screenshot(page, "case-closed")
    with session_factory() as s:
        assert s.get(Lead, lead_id).status == "closed"
    sign_out(page)

    # An officer of another unit cannot open the case.
    sign_in(page, "police.officer")
    response = page.goto(f"/leads/{lead_id}")
    assert response.status in (403, 404)
    page.goto(f"/inbox/?q={number}")
    assert page.locator("#task-table tr[data-task-id]").count() == 0
