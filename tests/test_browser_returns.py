"""月报表 in headless Chromium: the bank's officer submits its late February return from the page,
and the office leader opens the summed return, where the bank now counts and one unit is missing.
On a phone the return and the summed table fit (the wide table scrolls inside its box)."""
from tests.browser_support import (  # noqa: F401
    assert_fits,
    browser,
    live_server,
    open_menu,
    page,
    phone,
    screenshot,
    sign_in,
    sign_out,
)


def test_a_unit_submits_its_return_and_the_office_opens_the_sum(page):
    sign_in(page, "bank.officer")
    page.click("#nav-returns")
    page.wait_for_url("**/returns/")
    page.click('#returns-list tr[data-unit="bank"][data-month="2026-02"] a')
    page.wait_for_url("**/returns/bank/2026-02")
    assert page.locator("#return-status").inner_text() == "待报送"
    received = int(page.locator('tr[data-key="leads.received"] td.computed').inner_text())

    page.fill("#value-other-meetings", "2")
    page.fill("#progress", "完成辖区内老年人理财产品销售排查。")
    page.fill("#measures", "在营业网点张贴防范养老诈骗提示。")
    page.click("#submit-return")
    page.wait_for_selector("#form-errors")  # the next steps are missing
    assert page.locator("#error-next_steps").is_visible()
    assert page.locator("#value-other-meetings").input_value() == "2"  # what was typed is kept
    page.fill("#next_steps", "继续开展反诈宣传进网点活动。")
    page.click("#submit-return")
    page.wait_for_selector("#return-status:has-text('已报送')")
    assert page.locator("#text-next_steps").inner_text() == "继续开展反诈宣传进网点活动。"
    screenshot(page, "returns-unit-submitted")
    sign_out(page)

    sign_in(page, "office.leader")
    page.click("#nav-returns")
    page.click("#summary-links a:has-text('2026年2月')")
    page.wait_for_url("**/returns/summary/2026-02")
    assert page.locator("#summary-title").inner_text() == "新塘街道打击整治养老诈骗专项行动工作情况统计表（2026年2月）"
    missing = page.locator("#missing-units .missing-unit")
    assert [missing.nth(i).get_attribute("data-unit") for i in range(missing.count())] == ["community_shatang"]
    row = page.locator('#summary-table tr[data-key="leads.received"]')
    assert row.locator('td[data-unit="bank"]').inner_text() == str(received)
    meetings = page.locator('#summary-table tr[data-key="other.meetings"]')
    assert meetings.locator("td.total").inner_text() == "24"  # eleven units reported 2 each, and now the bank
    with page.expect_download() as download:
        page.click("#download-xlsx")
    assert download.value.suggested_filename == "monthly-return-2026-02.xlsx"
    screenshot(page, "returns-office-summary")


def test_the_return_and_the_sum_fit_a_phone(phone):
    sign_in(phone, "market.officer")
    phone.goto("/returns/market/2026-03")
    assert phone.locator("#save-return").is_visible()
    assert_fits(phone)
    sign_out(phone)
    sign_in(phone, "office.leader")
    phone.goto("/returns/summary/2026-02")
    assert phone.locator("#summary-table").count() == 1
    assert_fits(phone)
    screenshot(phone, f"returns-summary-phone-{phone.phone_size}")
