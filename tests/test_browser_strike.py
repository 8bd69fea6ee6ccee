"""依法打击 in headless Chromium: the police officer records a criminal case on a lead and moves it to
移送审查起诉; the list fits a phone's screen."""
from tests.browser_support import (  # noqa: F401 (fixtures)
    assert_fits, browser, live_server, page, phone, screenshot, sign_in)


def test_the_police_record_a_case_and_move_it_a_stage(page):
    sign_in(page, "police.officer")
    page.click("#nav-strike")
    page.wait_for_url("**/strike-cases")
    assert page.locator("h1").first.inner_text().startswith("刑事案件")
    demo_cases = page.locator("#strike-table tbody tr[data-case-id]").count()
    assert demo_cases >= 4

    page.click("#strike-new")
    page.wait_for_url("**/strike-cases/new")
    page.fill("#case_number", "晋新公（刑）立字〔2026〕0099号")
    assert page.locator("#unit").input_value() == "police"  # the officer's own unit
    page.select_option("#charge", "fundraising_fraud")
    page.fill("#filed_on", "2026-02-26")
    page.fill("#lead_numbers", "XS-2026-000999")  # no such lead: refused, naming the field
    page.fill("#gangs", "1")
    page.fill("#suspects", "6")
    page.fill("#frozen_amount", "880000")
    page.fill("#recovered_amount", "120000")
    page.fill("#returned_amount", "100000")
    page.click("#strike-save")
    assert "XS-2026-000999" in page.locator("#error-lead_numbers").inner_text()
    page.fill("#lead_numbers", "")
    page.select_option("#subject_ids", label="福建康乐颐养投资管理有限公司")
    page.click("#strike-save")
    page.wait_for_url("**/strike-cases/*")
    assert page.locator("#case-number").inner_text() == "晋新公（刑）立字〔2026〕0099号"
    assert page.locator("#case-stage").inner_text() == "已立案侦查"
    assert page.locator("#case-frozen").inner_text() == "880,000"
    assert "福建康乐颐养投资管理有限公司" in page.locator("#case-subjects").inner_text()

    page.fill("#stage-on", "2026-02-25")  # before the filing date
    page.click("#stage-submit")
    assert "不能早于立案日期" in page.locator("#error-prosecuted_on").inner_text()
    page.fill("#stage-on", "2026-02-27")
    page.click("#stage-submit")
    page.wait_for_url("**/strike-cases/*")
    assert page.locator("#case-stage").inner_text() == "已移送审查起诉"
    assert "2026-02-27" in page.locator("#stage-prosecuted").inner_text()
    assert "审结日期" in page.locator("#stage-form").inner_text()  # next: 审结, with its result
    screenshot(page, "strike-case")

    page.click("text=全部刑事案件")
    page.wait_for_url("**/strike-cases")
    assert page.locator("#strike-table tbody tr[data-case-id]").count() == demo_cases + 1


def test_the_list_fits_a_phone(phone):
    sign_in(phone, "office.officer")
    phone.goto("/strike-cases")
    assert phone.locator("#strike-table tbody tr[data-case-id]").count() >= 4
    assert_fits(phone)
    phone.goto(phone.locator("#strike-table tbody tr[data-case-id] a").first.get_attribute("href"))
    assert_fits(phone)
    screenshot(phone, f"strike-phone-{phone.viewport_size['width']}")
