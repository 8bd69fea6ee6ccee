"""What a first visitor sees before signing in: the sign-in page and the error pages read in
Chinese throughout (no library's English), a favicon instead of a 404, and a way back to sign-in
from the too-many-attempts page."""
import re

import pytest

from tests.conftest import _fast_hash


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def english_words(html: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", visible_text(html))


def _token(client):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)


def test_a_signed_out_visitor_is_asked_to_sign_in_in_chinese(app):
    client = app.test_client()
    page = client.get("/inbox/", follow_redirects=True)
    assert page.request.path == "/login"
    assert "请先登录，再打开此页面。" in page.text and "Please log in" not in page.text
    assert english_words(page.text) == []
    wrong = client.post("/login", data={"csrf_token": _token(client), "username": "nobody", "password": ""})
    assert "该字段是必填字段。" in wrong.text and english_words(wrong.text) == []


def test_the_sign_in_request_reads_in_english_when_english_is_chosen(app):
    client = app.test_client()
    client.get("/lang/en")
    page = client.get("/inbox/", follow_redirects=True)
    assert "Please sign in to open this page." in page.text


def test_error_pages_are_chinese_and_lead_back(app):
    client = app.test_client()
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "页面不存在。" in missing.text and english_words(missing.text) == []
    assert re.search(r'<a [^>]*id="error-back" href="/login">返回登录页</a>', missing.text)


def test_the_favicon_is_served_and_linked(app):
    client = app.test_client()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    link = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', client.get("/login").text)
    assert link and client.get(link.group(1)).status_code == 200


@pytest.fixture
def limited(database_url, session_factory, field_key, clock, tmp_path):
    """The app with the sign-in rate limit on, as in production."""
    from web import create_app
    from web.extensions import db, limiter
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "x",
                      "DUBAN_HASH_PASSWORD": _fast_hash, "DUBAN_UPLOAD_DIR": str(tmp_path / "uploads"),
                      "RATELIMIT_ENABLED": True})
    limiter.reset()
    yield app
    limiter.reset()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_too_many_attempts_links_back_to_sign_in(limited):
    client = limited.test_client()
    for _ in range(5):
        assert client.post("/login", data={"csrf_token": _token(client), "username": "first.visitor",
                                           "password": "guess"}).status_code == 400
    refused = client.post("/login", data={"csrf_token": _token(client), "username": "first.visitor",
                                          "password": "guess"})
    assert refused.status_code == 429 and "尝试次数过多，请稍后再试。" in refused.text
    assert re.search(r'<a [^>]*id="error-back" href="/login">返回登录页</a>', refused.text)
    assert english_words(refused.text) == []
