"""The app in headless Chromium: sign-in and the inbox."""
from tests.browser_support import browser, live_server, page, screenshot, sign_in  # noqa: F401


def test_officer_signs_in_and_sees_the_inbox_in_chinese(page):
    sign_in(page, "market.officer")
    assert page.locator("h1").first.inner_text().startswith("待办")
    assert page.locator("#task-table tbody tr[data-task-id]").count() > 0
    assert "剩" in page.locator("#task-table").inner_text()
    path = screenshot(page, "inbox")
    assert path.stat().st_size > 10_000


def test_wrong_password_shows_the_message_beside_the_field(page):
    page.goto("/login")
    page.fill("#username", "market.officer")
    page.fill("#password", "wrong")
    page.click("#sign-in")
    assert page.locator(".field-error").inner_text() == "用户名或密码错误。"
    assert page.input_value("#username") == "market.officer"
