"""Every page works on a phone (issue 17, item 1): at 390×844 and 360×800 the navigation folds, lists
are cards, forms are one column, tap targets are at least 44 px and no page scrolls sideways.
Screenshots go to test-artifacts/phone-*.png."""
import re

from sqlalchemy import select

from domain.models import Lead
from tests import scenario_support as forms
from tests.browser_support import (assert_fits, browser, complete, fill_form, live_server, open_menu,  # noqa: F401
                                   open_task, phone, screenshot, sign_in, sign_out)


def visit(page, path, shot):
    response = page.goto(path)
    assert response is not None and response.status < 400, f"{path}: {response and response.status}"
    page.wait_for_load_state("load")
    assert_fits(page)
    screenshot(page, f"phone-{page.phone_size}-{shot}")


def heading_top(page):
    return page.locator("main h1").first.bounding_box()["y"]


def test_navigation_folds_and_its_items_are_big_enough_to_tap(phone):
    page = phone
    for username in ("market.officer", "office.leader"):
        sign_in(page, username)
        assert page.locator("#nav-toggle").is_visible()
        assert page.locator("#nav-inbox").is_hidden()
        assert heading_top(page) < 120, f"{username}: heading {heading_top(page)} px down"
        assert_fits(page)
        open_menu(page)
        screenshot(page, f"phone-{page.phone_size}-menu-{username.replace('.', '-')}")
        for link in page.locator("#nav-menu .nav-link").all():
            box = link.bounding_box()
            assert box["height"] >= 44, f"{link.inner_text()!r} is {box['height']} px high"
        toggle = page.locator("#nav-toggle").bounding_box()
        assert toggle["height"] >= 44 and toggle["width"] >= 44
        assert_fits(page)
        sign_out(page)


def test_inbox_is_cards_with_filters_behind_a_button(phone):
    page = phone
    sign_in(page, "market.officer")
    assert page.locator("#inbox-filters").is_hidden()
    button = page.locator("#inbox-filters-toggle")
    assert button.inner_text() == "筛选" and button.bounding_box()["height"] >= 44
    # A card: the whole row one block, the case and the countdown inside it, the heading row hidden.
    row = page.locator("#task-table tbody tr[data-task-id]").first
    assert row.evaluate("el => getComputedStyle(el).display") == "block"
    assert page.locator("#task-table thead").is_hidden()
    card = row.bounding_box()
    assert card["width"] > page.viewport_size["width"] * 0.85
    assert row.locator(".countdown").is_visible()
    assert row.locator("td").nth(1).get_attribute("data-label") == "案件"
    claim = row.locator("button")
    if claim.count():
        assert claim.bounding_box()["height"] >= 44
    assert_fits(page)
    screenshot(page, f"phone-{page.phone_size}-inbox")
    button.click()
    assert page.locator("#inbox-filters").is_visible()
    assert_fits(page)
    screenshot(page, f"phone-{page.phone_size}-inbox-filters")


def test_officer_walk_through_on_a_phone(phone, session_factory):
    page = phone
    sign_in(page, "office.officer")
    visit(page, "/leads/new", "register")
    page.select_option("#channel", "hotline_12345")
    page.fill("#summary", "12345热线：某养老机构以投资养老项目为名向老人集资。")
    page.fill("#subject_name", "福寿康养老服务有限公司")
    page.select_option("#sector", "food_health_products")
    page.click("#register-submit")
    page.wait_for_url(re.compile(r"/leads/\d+$"))
    lead_id = int(page.url.rsplit("/", 1)[1])
    with session_factory() as s:
        number = s.get(Lead, lead_id).number
    assert_fits(page)
    screenshot(page, f"phone-{page.phone_size}-case")
    open_task(page, "研判分流", number)
    assert_fits(page)
    screenshot(page, f"phone-{page.phone_size}-task-triage")
    complete(page, forms.triage_dispatch(unit="market", workdays=15))
    assert_fits(page)
    sign_out(page)

    sign_in(page, "market.officer")
    assert_fits(page)
    open_task(page, "签收线索", number)
    # The step records above the form start folded, one tap opens them.
    records = page.locator("#step-records details")
    assert records.get_attribute("open") is None
    assert page.locator("#step-records .step-record").first.is_hidden()
    summary = page.locator("#step-records summary")
    assert summary.bounding_box()["height"] >= 44
    summary.click()
    assert page.locator("#step-records .step-record").first.is_visible()
    assert_fits(page)
    # One column: every field of the form starts at the same left edge.
    lefts = {round(box["x"]) for box in (f.bounding_box() for f in
             page.locator("#task-form .form-control, #task-form .form-select").all()) if box}
    assert len(lefts) <= 1, lefts
    assert page.locator("#btn-complete").bounding_box()["height"] >= 44
    assert_fits(page)
    screenshot(page, f"phone-{page.phone_size}-task-accept")
    complete(page, forms.accept())
    assert_fits(page)
    for path, shot in (("/inbox/", "inbox-officer"), ("/inbox/done", "done"), ("/inbox/cc", "cc"),
                       ("/leads", "leads"), ("/notifications/", "notifications"), (f"/leads/{lead_id}", "case-officer")):
        visit(page, path, shot)
    assert page.locator("#lead-table tbody tr").count() == 0 or \
        page.locator("#lead-table tbody tr").first.evaluate("el => getComputedStyle(el).display") == "block"


def test_supervisor_on_a_phone(phone, session_factory):
    page = phone
    sign_in(page, "market.supervisor")
    for path, shot in (("/supervise/", "supervise"), ("/supervise/escalations", "escalations"),
                       ("/supervise/board", "board"), ("/dashboard/", "dashboard"), ("/leads", "leads-supervisor")):
        visit(page, path, shot)
    with session_factory() as s:
        lead_id = s.scalar(select(Lead.id).where(Lead.responsible_unit == "market").order_by(Lead.id))
    if lead_id:
        visit(page, f"/leads/{lead_id}", "case-supervisor")


def test_the_overflow_check_names_what_is_too_wide(phone):
    page = phone
    sign_in(page, "market.officer")
    page.evaluate("""() => { const wide = document.createElement('div'); wide.id = 'too-wide';
                             wide.style.width = '900px'; wide.textContent = 'x';
                             document.querySelector('main').appendChild(wide); }""")
    try:
        assert_fits(page)
    except AssertionError as error:
        assert "div#too-wide" in str(error) and "scrolls sideways" in str(error)
    else:
        raise AssertionError("a 900 px element did not fail the check")


def test_the_diagram_zooms_and_pans_on_a_phone(phone, session_factory):
    page = phone
    sign_in(page, "market.supervisor")
    with session_factory() as s:
        lead_id = s.scalar(select(Lead.id).where(Lead.responsible_unit == "market").order_by(Lead.id))
    page.goto(f"/leads/{lead_id}")
    page.wait_for_selector("#case-diagram[data-loaded='true']")
    diagram = page.locator("#case-diagram")
    assert diagram.bounding_box()["height"] >= 0.5 * page.viewport_size["height"]
    scale = "() => document.querySelector('#case-diagram .viewport').transform.baseVal.consolidate().matrix.a"
    start = page.evaluate(scale)
    assert start >= 0.6, "the diagram starts readable, not fitted into a thin strip"
    zoom_in = page.locator("#diagram-zoom-in")
    assert zoom_in.bounding_box()["height"] >= 44
    zoom_in.click()
    assert page.evaluate(scale) > start
    page.locator("#diagram-zoom-fit").click()
    assert page.evaluate(scale) < start
    assert_fits(page)
    diagram.scroll_into_view_if_needed()
    screenshot(page, f"phone-{page.phone_size}-diagram")


def test_a_grid_worker_reports_a_lead_from_a_phone_and_the_office_dispatches_it(phone, session_factory, tmp_path):
    """Issue 17, item 3: the grid worker's whole walk on a phone; the office's triage dispatches the
    report like any lead, and the grid worker sees it dispatched."""
    from PIL import Image
    from domain.models import GridReport

    picture = tmp_path / "现场.jpg"
    Image.new("RGB", (800, 600), (200, 80, 40)).save(picture, "JPEG")
    page = phone
    sign_in(page, "community_shatang.grid", landing="**/grid/**")
    assert page.locator("#nav-toggle").is_visible() and heading_top(page) < 120
    visit(page, "/grid/", "grid-reports")
    page.click("#grid-new-report")
    page.wait_for_url("**/grid/report")
    assert page.locator("#photos-camera").get_attribute("capture") == "environment"
    page.fill("#summary", "沙塘社区老年活动中心门口有人发传单邀老人参加“免费旅游”，现场收取500元“押金”。")
    page.fill("#address", "沙塘社区老年活动中心门口")
    page.select_option("#sector", "tourism_art")
    page.set_input_files("#photos", str(picture))
    assert page.locator("#grid-report-submit").bounding_box()["height"] >= 44
    assert_fits(page)
    screenshot(page, f"phone-{page.phone_size}-grid-report")
    page.click("#grid-report-submit")
    page.wait_for_url(re.compile(r"/grid/reports/\d+$"))
    assert page.locator("#grid-current-stage").inner_text() == "已受理"
    assert page.locator("#grid-photos").inner_text() == "1"
    assert_fits(page)
    screenshot(page, f"phone-{page.phone_size}-grid-status-received")
    status_url = page.url
    with session_factory() as s:
        lead = s.scalars(select(GridReport).order_by(GridReport.id.desc())).first().lead
        number, lead_id = lead.number, lead.id
    sign_out(page)

    sign_in(page, "office.officer")
    open_task(page, "研判分流", number)
    assert page.locator("#case-address").inner_text() == "沙塘社区老年活动中心门口"
    complete(page, forms.triage_dispatch(unit="market", workdays=15))
    visit(page, f"/leads/{lead_id}", "grid-lead-office")
    assert page.locator("#lead-intake-files img").count() == 1
    sign_out(page)

    sign_in(page, "community_shatang.grid", landing="**/grid/**")
    page.goto(status_url)
    assert page.locator("#grid-current-stage").inner_text() == "已分派办理"
    assert_fits(page)
    screenshot(page, f"phone-{page.phone_size}-grid-status-dispatched")
    visit(page, "/grid/", "grid-reports-after")
    row = page.locator(f"#grid-reports tbody tr:has-text('{number}')")
    assert row.evaluate("el => getComputedStyle(el).display") == "block"


def test_the_campaign_records_fit_a_phone(phone, session_factory):
    """Issue 18's pages on a phone: the office leader's campaign, publicity, inspections, criminal
    cases and the summed monthly return; the police officer's cases and the unit's own return."""
    from domain.models import Inspection, PublicityActivity, StrikeCase
    with session_factory() as s:
        strike_id = s.scalar(select(StrikeCase.id).order_by(StrikeCase.id))
        activity_id = s.scalar(select(PublicityActivity.id).order_by(PublicityActivity.id))
        inspection_id = s.scalar(select(Inspection.id).order_by(Inspection.id))
    page = phone
    sign_in(page, "office.leader")
    for path, shot in (("/admin/campaign/", "campaign"), ("/publicity/", "publicity"),
                       (f"/publicity/{activity_id}", "publicity-activity"), ("/inspections", "inspections"),
                       (f"/inspections/{inspection_id}", "inspection"), ("/strike-cases", "strike-cases"),
                       (f"/strike-cases/{strike_id}", "strike-case"), ("/returns/", "returns-office"),
                       ("/returns/summary/2026-02", "returns-summary")):
        visit(page, path, shot)
    sign_out(page)
    sign_in(page, "police.officer")
    for path, shot in (("/strike-cases/new", "strike-case-new"), ("/returns/police/2026-02", "return-police"),
                       ("/returns/police/2026-03", "return-police-open")):
        visit(page, path, shot)
