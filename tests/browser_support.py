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


PHONES = {  # CSS pixels, as the issue measured them
    "390x844": {"width": 390, "height": 844},
    "360x800": {"width": 360, "height": 800},
}
PHONE_USER_AGENT = ("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "Chrome/120.0.0.0 Mobile Safari/537.36 wxwork/4.1.0")


@pytest.fixture(params=list(PHONES))
def phone(request, browser, live_server):
    """A page in a phone-sized browser: 390×844 and 360×800, mobile user agent, touch."""
    context = browser.new_context(base_url=live_server.url, viewport=PHONES[request.param], locale="zh-CN",
                                  user_agent=PHONE_USER_AGENT, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.phone_size = request.param
    yield page
    context.close()


_OVERFLOW_JS = """(width) => {
  // A mobile browser zooms out to show a page wider than the screen, which widens innerWidth: take the
  // narrowest of innerWidth, the layout viewport and the screen the test asked for.
  const limit = Math.min(window.innerWidth, document.documentElement.clientWidth, width || Infinity);
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > limit + 0.5 || box.left < -0.5) {
      let inside = false;  // inside a box that scrolls or clips on its own: not the page's overflow
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (style.overflowX !== 'visible' && up.getBoundingClientRect().right <= limit + 0.5) { inside = true; break; }
      }
      if (inside) continue;
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.classList.length ? '.' + Array.from(el.classList).slice(0, 3).join('.') : '');
      wide.push({name, right: Math.round(box.right), width: Math.round(box.width)});
    }
  }
  wide.sort((a, b) => b.right - a.right);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: limit, wide: wide.slice(0, 8)};
}"""


def assert_fits(page):
    """Fail when the page scrolls sideways (scrollWidth > innerWidth, or wider than the screen), naming
    the widest elements."""
    found = page.evaluate(_OVERFLOW_JS, (page.viewport_size or {}).get("width"))
    if found["scrollWidth"] > found["innerWidth"]:
        names = ", ".join(f"{w['name']} (right {w['right']}px, width {w['width']}px)" for w in found["wide"])
        raise AssertionError(f"{page.url} scrolls sideways: scrollWidth {found['scrollWidth']} > innerWidth "
                             f"{found['innerWidth']}; widest: {names or 'none found'}")


def open_menu(page):
    """On a phone the navigation is folded behind its toggler: unfold it."""
    toggle = page.locator("#nav-toggle")
    if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
        page.wait_for_selector("#nav-menu.show")


def sign_in(page, username, password="duban-demo-2026", landing="**/inbox/**"):
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url(landing)


def sign_out(page):
    open_menu(page)
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
