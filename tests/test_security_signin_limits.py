"""Sign-in limits in the production run mode (`gunicorn -c gunicorn.conf.py`), over real HTTP.

Two gunicorn processes serve one app, counting in one Redis (a key prefix of this run's own,
deleted afterwards): the limit holds whichever process answers. Requests leave from different
loopback addresses (127.0.0.x), as clients at different addresses would. A third gunicorn is
pointed at a Redis that is not there: sign-in still answers, limited per process, and says so
in its log.
"""
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("DUBAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "owner-password-2026"
WRONG = "用户名或密码错误"
TOO_MANY = "尝试次数过多，请稍后再试。"
LOGIN_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gunicorn needs a POSIX system")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as err:
        pytest.skip(f"no Redis at {REDIS_URL}: {err}")
    return client


def _database(directory: Path) -> str:
    """A migrated SQLite database with one user, the owner."""
    from werkzeug.security import generate_password_hash

    from domain.models import User
    from engine.store.database import make_engine, make_session_factory, upgrade
    url = f"sqlite:///{directory / 'limits.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        session.add(User(username="owner", display_name="Owner", active=True,
                         password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")))
        session.commit()
    engine.dispose()
    return url


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py` with one worker, in its own process group."""

    def __init__(self, name: str, directory: Path, database_url: str, storage: str, prefix: str):
        self.port = _free_port()
        self.log_path = directory / f"{name}.log"
        env = {key: value for key, value in os.environ.items()
               if key not in ("DUBAN_MODE", "DUBAN_SECURE_COOKIES", "DUBAN_PROXY_HOPS")}
        env.update(DATABASE_URL=database_url, DUBAN_WORKERS="1", DUBAN_THREADS="2", DUBAN_SCHEDULER="0",
                   DUBAN_BIND=f"127.0.0.1:{self.port}", DUBAN_SECRET_KEY="limits-test-secret",
                   DUBAN_INSTANCE_PATH=str(directory), DUBAN_UPLOAD_DIR=str(directory / "uploads"),
                   DUBAN_RATE_LIMIT_STORAGE=storage, DUBAN_RATE_LIMIT_PREFIX=prefix)
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                   "--control-socket", str(directory / f"{name}.ctl"), "web:create_app()"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            try:
                if _request(self.port, "127.0.0.1", "GET", "/login")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer: {self.log_path.read_text()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # quick shutdown: nothing to finish
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _request(port, source, method, path, form=None, cookie=None):
    """One request from the loopback address `source`: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def _session_cookie(headers) -> str:
    [cookie] = [value for value in headers.get_all("Set-Cookie", []) if value.startswith("session=")]
    return cookie


def _sign_in(server, source, username, password):
    """The sign-in form as a browser posts it: (status, headers, body) of the POST."""
    status, headers, page = _request(server.port, source, "GET", "/login")
    assert status == 200
    # The cookie is Secure in production; this client returns it over http all the same.
    cookie = _session_cookie(headers).split(";")[0]
    token = LOGIN_TOKEN.search(page).group(1)
    return _request(server.port, source, "POST", "/login", cookie=cookie,
                    form={"csrf_token": token, "username": username, "password": password})


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    redis = _redis()
    directory = tmp_path_factory.mktemp("signin-limits")
    database_url = _database(directory)
    prefix = f"duban-test-{uuid.uuid4().hex[:12]}"
    started = []
    try:
        for name, storage in (("a", REDIS_URL), ("b", REDIS_URL), ("no-redis", f"redis://127.0.0.1:{_free_port()}/0")):
            started.append(Gunicorn(name, directory, database_url, storage, prefix))
        for server in started:
            server.wait_ready()
        yield started
    finally:
        for server in started:
            server.stop()
        keys = list(redis.scan_iter(match=f"*{prefix}*"))
        if keys:
            redis.delete(*keys)


def test_the_limit_holds_whichever_process_answers(servers):
    a, b, _ = servers
    for n in range(5):  # wrong passwords, answered by the two processes in turn
        status, _, page = _sign_in((a, b)[n % 2], "127.0.0.2", "owner", f"guess{n}")
        assert status == 400 and WRONG in page
    for server in (a, b):  # a sixth attempt is refused by either, even with the right password
        status, _, page = _sign_in(server, "127.0.0.2", "owner", PASSWORD)
        assert status == 429 and TOO_MANY in page


def test_a_stranger_cannot_lock_the_owner_out(servers):
    a, b, _ = servers
    answers = [_sign_in((a, b)[n % 2], "127.0.0.3", "owner", f"guess{n}")[0] for n in range(8)]
    assert answers == [400] * 5 + [429] * 3  # the stranger is stopped ...
    for server in (a, b):  # ... and the owner, at another address, signs in on either process
        status, headers, _ = _sign_in(server, "127.0.0.4", "owner", PASSWORD)
        assert status == 302 and headers["Location"].endswith("/inbox/")


def test_the_session_cookie_is_secure_in_production_mode(servers):
    a, _, _ = servers
    status, headers, _ = _sign_in(a, "127.0.0.5", "owner", PASSWORD)
    assert status == 302
    attributes = {part.strip().lower() for part in _session_cookie(headers).split(";")[1:]}
    assert {"secure", "httponly"} <= attributes


def test_without_redis_sign_in_still_answers_limited_and_logged(servers):
    *_, alone = servers
    for n in range(5):
        status, _, page = _sign_in(alone, "127.0.0.6", "owner", f"guess{n}")
        assert status == 400 and WRONG in page
    status, _, page = _sign_in(alone, "127.0.0.6", "owner", PASSWORD)
    assert status == 429 and TOO_MANY in page
    assert "Rate limit storage unreachable - falling back to in-memory storage" in alone.log()


# -- the defaults of each run mode --------------------------------------------------------------

@pytest.fixture
def environment(monkeypatch, tmp_path):
    for name in ("DUBAN_MODE", "DUBAN_SECURE_COOKIES", "DUBAN_RATE_LIMIT_STORAGE", "DUBAN_RATE_LIMIT_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    from web.config import from_environment

    def configure(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return from_environment(str(tmp_path))
    return configure


def test_production_mode_counts_in_redis_and_sends_secure_cookies(environment):
    config = environment(DUBAN_MODE="production")
    assert config["RATELIMIT_STORAGE_URI"].startswith("redis://") and config["SESSION_COOKIE_SECURE"] is True
    assert config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True


def test_development_mode_counts_in_memory_over_plain_http(environment):
    config = environment()
    assert config["RATELIMIT_STORAGE_URI"] == "memory://" and config["SESSION_COOKIE_SECURE"] is False


def test_the_mode_defaults_can_be_overridden(environment):
    config = environment(DUBAN_MODE="production", DUBAN_SECURE_COOKIES="0",
                         DUBAN_RATE_LIMIT_STORAGE="redis://10.0.0.9:6380/2")
    assert config["SESSION_COOKIE_SECURE"] is False and config["RATELIMIT_STORAGE_URI"] == "redis://10.0.0.9:6380/2"
    with pytest.raises(ValueError, match="DUBAN_MODE"):
        environment(DUBAN_MODE="prod")
