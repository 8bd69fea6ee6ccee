"""A grid worker records a door-to-door visit (入户走访) from a phone, photo included, and finds it in
their list; the pages fit 390×844 and 360×800. And an office leader reads the publicity figures on the
dashboard and opens the list behind them. Screenshots go to test-artifacts/publicity-*.png."""
import io
import re

from sqlalchemy import select

from domain.models import PublicityActivity
from tests.browser_support import (assert_fits, browser, live_server, open_menu, page, phone,  # noqa: F401
                                   screenshot, sign_in)


def _png() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 140, 90)).save(out, "PNG")
    return out.getvalue()


def test_a_grid_worker_records_a_door_to_door_visit_with_a_photo_from_a_phone(phone, session_factory):
    page = phone
    sign_in(page, "community_shatang.grid", landing="**/grid/**")
    open_menu(page)
    page.click("#nav-publicity")
    page.wait_for_url("**/publicity/mine")
    assert_fits(page)
    page.click("#link-new-visit")
    page.wait_for_url("**/publicity/visits/new")
    assert_fits(page)
    screenshot(page, f"publicity-{page.phone_size}-visit-form")
    # One column: every field starts at the same left edge; the button is big enough to tap.
    lefts = {round(box["x"]) for box in (f.bounding_box() for f in
             page.locator("#visit-form .form-control, #visit-form .form-select").all()) if box}
    assert len(lefts) == 1, lefts
    assert page.locator("#visit-submit").bounding_box()["height"] >= 44
    assert page.locator("#community").input_value() == "community_shatang"  # their community
    assert page.locator("#held_on").input_value()                            # today
    assert page.locator("#photos").get_attribute("capture") == "environment"

    page.fill("#place", "沙塘村五组")
    page.fill("#items", "-1")
    with page.expect_navigation():
        page.click("#visit-submit")
    assert page.locator("#error-items").inner_text().endswith("不能小于0")
    assert_fits(page)
    page.fill("#items", "22")
    page.fill("#audience", "31")
    page.fill("#materials", "25")
    page.fill("#description", "重点走访独居老人，讲解“免费领鸡蛋”骗局。")
    page.set_input_files("#photos", files=[{"name": "入户走访.png", "mimeType": "image/png", "buffer": _png()}])
    with page.expect_navigation():
        page.click("#visit-submit")
    page.wait_for_url("**/publicity/mine")
    card = page.locator("#my-records .publicity-card").first
    assert "沙塘村五组" in card.inner_text() and "22户" in card.inner_text() and "1张照片" in card.inner_text()
    assert_fits(page)
    screenshot(page, f"publicity-{page.phone_size}-mine")

    card.click()
    page.wait_for_url(re.compile(r"/publicity/\d+$"))
    page.wait_for_selector("#activity-photos img")
    assert page.locator("#activity-photos img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert_fits(page)
    screenshot(page, f"publicity-{page.phone_size}-visit")
    with session_factory() as s:
        visit = s.scalars(select(PublicityActivity).where(PublicityActivity.place == "沙塘村五组")).one()
        assert (visit.form, visit.unit, visit.items, visit.audience, visit.materials, visit.recorded_by) == (
            "door_to_door", "community_shatang", 22, 31, 25, "community_shatang.grid")
        assert [photo.filename for photo in visit.photos] == ["入户走访.png"]


def test_the_office_reads_publicity_on_the_dashboard_and_opens_the_list(page):
    sign_in(page, "office.leader")
    page.goto("/dashboard/")
    kpi = page.locator("#kpi-publicity-activities a")
    assert int(kpi.inner_text()) >= 2  # the demo's grid workers' rounds of this month at least
    households = int(page.locator("#kpi-publicity-households .pub-fig").inner_text())
    assert households > 0
    page.locator("#publicity").scroll_into_view_if_needed()
    screenshot(page, "publicity-dashboard")
    shown = int(kpi.inner_text())
    kpi.click()
    page.wait_for_url("**/publicity/**")
    assert page.locator("#publicity-figures [data-figure=activities]").inner_text() == str(shown)
    assert page.locator("#publicity-table tbody tr[data-activity-id]").count() == shown
    screenshot(page, "publicity-list")
