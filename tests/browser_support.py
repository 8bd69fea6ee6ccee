"""Real pages in a real browser: the app served on a local port, driven by
Playwright with Debian's Chromium (headless)."""
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = os.environ.get("DUBAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(demo):
    with LiveServer(demo) as server:
        yield server


_SHARED = {"users": 0}


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test process. Every test module that imports this fixture gets its own
    session fixture, and Playwright's sync API starts only once per thread: they share it."""
    if not _SHARED["users"]:
        if not os.path.exists(CHROMIUM):
            pytest.fail(f"Chromium not found at {CHROMIUM}: `./dev test` installs Debian's chromium package")
        from playwright.sync_api import sync_playwright
        _SHARED["playwright"] = sync_playwright().start()
        _SHARED["browser"] = _SHARED["playwright"].chromium.launch(executable_path=CHROMIUM, headless=True,
                                                                   args=CHROMIUM_ARGS)
    _SHARED["users"] += 1
    yield _SHARED["browser"]
    _SHARED["users"] -= 1
    if not _SHARED["users"]:
        _SHARED.pop("browser").close()
        _SHARED.pop("playwright").stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900},
                                  locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page, username, password="duban-demo-2026"):
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url("**/inbox/**")


def sign_out(page):
    page.click("text=退出")
    page.wait_for_url("**/login**")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fill_form(page, data: dict):
    """Type a task form's values the way an officer would."""
    for name, value in data.items():
        if value is None:
            continue
        if isinstance(value, list):
            for item in value:
                page.check(f'#task-form input[name="{name}"][value="{item}"]')
            continue
        field = page.locator(f"#input-{name}")
        if not field.count() or not field.is_visible():
            continue
        kind = field.evaluate("el => el.tagName.toLowerCase() + ':' + (el.type || '')")
        if kind.startswith("select"):
            field.select_option(str(value))
        elif kind == "input:checkbox":
            field.set_checked(value == "true")
        else:
            field.fill(str(value))


def open_task(page, name, number=""):
    page.goto(f"/inbox/?q={number}")  # searched by lead number: the demo's tasks fill the first pages
    page.click(f"#task-table a.task-link:text-is('{name}')")
    page.wait_for_selector("#task-form")


def complete(page, data):
    """Submit the task; the page goes on to the officer's next step of the case, or to the inbox."""
    fill_form(page, data)
    with page.expect_navigation():
        page.click("#btn-complete")
    assert "/complete" not in page.url, "the form was refused"
