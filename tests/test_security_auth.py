"""Signing in: passwords stored hashed (scrypt in production; the tests' fixtures use a fast
PBKDF2 on purpose, tests/conftest.py `_fast_hash`), attempts rate-limited per address and per
username, the session cookie's flags, and no redirect to another site after signing in."""
import re

import pytest
from sqlalchemy import select, text, update
from werkzeug.security import check_password_hash

from domain.models import User
from tests.conftest import DEMO_PASSWORD, _fast_hash, csrf_token, login


def _login_form(client, username, password, **kwargs):
    page = client.get("/login", **kwargs)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token}, **kwargs)


# -- passwords ----------------------------------------------------------------------------------

def test_no_password_is_stored_in_plain_text(client, session_factory):
    with session_factory() as s:
        rows = s.execute(text("SELECT username, password_hash FROM app_user")).all()
    assert len(rows) >= 20
    for username, stored in rows:
        assert stored and DEMO_PASSWORD not in stored, username
        assert stored.split("$")[0].split(":")[0] in ("pbkdf2", "scrypt"), username
        assert check_password_hash(stored, DEMO_PASSWORD) and not check_password_hash(stored, "duban-demo-2027")


def test_production_hashes_passwords_with_scrypt(database_url, session_factory, field_key, clock, tmp_path):
    """Without the tests' fast hasher (DUBAN_HASH_PASSWORD), `flask demo` stores scrypt hashes
    with a work factor of at least 2**15, and signing in with them works."""
    from web import create_app
    from web.config import from_environment
    assert "DUBAN_HASH_PASSWORD" not in from_environment(str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "x",
                      "DUBAN_UPLOAD_DIR": str(tmp_path / "uploads"), "RATELIMIT_ENABLED": False})
    try:
        assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
        with session_factory() as s:
            stored = s.scalar(select(User.password_hash).where(User.username == "market.officer"))
        method, _salt, _digest = stored.split("$")
        name, cost, *_ = method.split(":")
        assert name == "scrypt" and int(cost) >= 2 ** 15
        client = app.test_client()
        assert _login_form(client, "market.officer", DEMO_PASSWORD).status_code == 302
    finally:
        from web.extensions import db
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_user_without_a_password_cannot_sign_in_with_any(client, session_factory):
    """An account created without a password (e.g. one that only signs in elsewhere) was let in
    with the password of the dummy hash used to time unknown usernames ("no such user")."""
    with session_factory() as s:
        s.execute(update(User).where(User.username == "police.officer").values(password_hash=None))
        s.commit()
    for password in ("no such user", "", DEMO_PASSWORD, "None"):
        response = _login_form(client, "police.officer", password)
        assert response.status_code == 400, password
    assert client.get("/inbox/").status_code == 302  # still nobody signed in


def test_wrong_password_unknown_user_and_inactive_user_get_the_same_answer(client, session_factory):
    with session_factory() as s:
        s.execute(update(User).where(User.username == "land.officer").values(active=False))
        s.commit()
    answers = {_login_form(client, username, password).text.count("用户名或密码错误")
               for username, password in (("market.officer", "wrong"), ("nobody.here", DEMO_PASSWORD),
                                          ("land.officer", DEMO_PASSWORD))}
    assert answers == {1}


# -- rate limits ----------------------------------------------------------------------------------

@pytest.fixture(params=[0])
def limited(request, database_url, session_factory, field_key, clock, tmp_path):
    """The demo app with sign-in rate limiting on, as in production (behind `param` proxies)."""
    from web import create_app
    from web.extensions import db, limiter
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "x",
                      "DUBAN_HASH_PASSWORD": _fast_hash, "DUBAN_UPLOAD_DIR": str(tmp_path / "uploads"),
                      "RATELIMIT_ENABLED": True, "DUBAN_PROXY_HOPS": request.param})
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    limiter.reset()
    yield app
    limiter.reset()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _from(address):
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_five_wrong_passwords_for_a_user_then_429_even_with_the_right_one(limited):
    client = limited.test_client()
    for _ in range(5):
        assert _login_form(client, "market.officer", "guess", **_from("10.1.0.1")).status_code == 400
    refused = _login_form(client, "market.officer", DEMO_PASSWORD, **_from("10.1.0.1"))
    assert refused.status_code == 429 and "尝试次数过多，请稍后再试。" in refused.text
    assert refused.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in refused.headers
    assert client.get("/inbox/", **_from("10.1.0.1")).status_code == 302  # not signed in
    # Other users are not locked out by it.
    assert _login_form(client, "police.officer", DEMO_PASSWORD, **_from("10.1.0.1")).status_code == 302


def test_guesses_from_other_addresses_do_not_lock_the_user_out(limited):
    """Limits count per account and address, never per account alone: anyone could lock a named
    user out otherwise (issue 14). The name counts however it is written."""
    client = limited.test_client()
    for n in range(5):
        assert _login_form(client, "office.leader", f"guess{n}", **_from("10.2.0.1")).status_code == 400
    assert _login_form(client, "OFFICE.LEADER ", "guess", **_from("10.2.0.1")).status_code == 429
    assert _login_form(client, "office.leader", DEMO_PASSWORD, **_from("10.2.0.99")).status_code == 302


def test_ten_attempts_per_address_whatever_the_usernames(limited):
    client = limited.test_client()
    for n in range(10):
        assert _login_form(client, f"nobody{n}", "guess", **_from("10.3.0.1")).status_code == 400
    assert _login_form(client, "market.officer", DEMO_PASSWORD, **_from("10.3.0.1")).status_code == 429
    assert _login_form(client, "market.officer", DEMO_PASSWORD, **_from("10.3.0.2")).status_code == 302


def _via_proxy(client_address):
    return {"environ_base": {"REMOTE_ADDR": "127.0.0.1"}, "headers": {"X-Forwarded-For": client_address}}


@pytest.mark.parametrize("limited", [1], indirect=True)
def test_behind_a_proxy_the_address_limit_counts_each_client_not_the_proxy(limited):
    client = limited.test_client()
    for n in range(10):
        assert _login_form(client, f"nobody{n}", "guess", **_via_proxy("203.0.113.7")).status_code == 400
    assert _login_form(client, "market.officer", DEMO_PASSWORD, **_via_proxy("203.0.113.7")).status_code == 429
    # Another citizen behind the same proxy is not locked out.
    assert _login_form(client, "market.officer", DEMO_PASSWORD, **_via_proxy("198.51.100.4")).status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_address_changes_nothing(limited):
    client = limited.test_client()
    for n in range(10):
        assert _login_form(client, f"nobody{n}", "guess", **_via_proxy(f"192.0.2.{n + 1}")).status_code == 400
    assert _login_form(client, "market.officer", DEMO_PASSWORD, **_via_proxy("192.0.2.99")).status_code == 429


def test_opening_the_sign_in_page_is_not_limited(limited):
    client = limited.test_client()
    assert {client.get("/login", **_from("10.4.0.1")).status_code for _ in range(15)} == {200}


# -- the session cookie ---------------------------------------------------------------------------

def _session_cookie(response):
    [cookie] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    return {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}


def test_the_session_cookie_is_httponly_and_samesite(client):
    cookie = _session_cookie(_login_form(client, "market.officer", DEMO_PASSWORD))
    assert "httponly" in cookie and cookie["samesite"].lower() == "samesite=lax"
    assert "secure" not in cookie  # plain http in development; see below for production


def test_the_session_cookie_is_secure_when_configured(client, monkeypatch, tmp_path):
    from web.config import from_environment
    monkeypatch.setenv("DUBAN_SECURE_COOKIES", "1")
    assert from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is True
    monkeypatch.delenv("DUBAN_SECURE_COOKIES")
    assert from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is False
    client.application.config["SESSION_COOKIE_SECURE"] = True
    cookie = _session_cookie(_login_form(client, "market.officer", DEMO_PASSWORD))
    assert "secure" in cookie and "httponly" in cookie


def test_signing_in_starts_a_new_session(client):
    """No session fixation: the cookie issued before signing in is not the one after."""
    client.get("/login")
    before = client.get_cookie("session").value
    login(client, "market.officer")
    assert client.get_cookie("session").value != before


def test_signing_out_clears_the_session(client):
    login(client, "market.officer")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get("/inbox/").status_code == 302


def test_a_copy_of_the_cookie_stops_working_after_sign_out(client):
    login(client, "market.officer")
    copied = client.get_cookie("session").value
    replay = client.application.test_client()
    replay.set_cookie("session", copied)
    assert replay.get("/inbox/").status_code == 200  # the copy works while the session lasts ...
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert replay.get("/inbox/").status_code == 302  # ... and not after signing out
    login(client, "market.officer")  # signing in again starts a new session
    assert client.get("/inbox/").status_code == 200


# -- redirects after signing in -------------------------------------------------------------------

@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example/x", "/\t/evil.example/x",
                                    "https://evil.example/x", "javascript:alert(1)", "/%0a/evil.example"])
def test_signing_in_never_redirects_to_another_site(client, target):
    page = client.get("/login", query_string={"next": target})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", query_string={"next": target},
                           data={"username": "market.officer", "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location in ("/inbox/", target) and location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "\t" not in location


def test_a_local_next_is_kept(client):
    page = client.get("/login?next=/leads%3Fstatus%3Dopen")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post("/login?next=/leads%3Fstatus%3Dopen",
                           data={"username": "market.officer", "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/leads?status=open"


@pytest.mark.parametrize("path", ["/inbox/{task}/claim", "/notifications/read-all"])
def test_form_redirects_stay_on_the_site(client, session_factory, path):
    from engine.store.models import HumanTask
    with session_factory() as s:
        task = s.scalar(select(HumanTask.id).where(HumanTask.candidate_groups == "market"))
    login(client, "market.officer")
    response = client.post(path.format(task=task), data={"csrf_token": csrf_token(client),
                                                         "next": "/\\evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] in ("/inbox/", "/notifications/")
