"""Clients for the reliability tests: real HTTP against a served app, each client with its
own signed-in session (the pages, CSRF token from the page) or its own API token.

Every call returns an `Answer` that says what the user saw: the change was made
("won"), it was refused with a reason the user can read ("refused"), the database is
away and the answer says so ("unavailable": a 503 with a message), or something a user
should never get ("broken": a 500, a refusal without a reason, a page that says nothing,
no answer at all).

Also here: `Outage` takes the test's PostgreSQL database away and brings it back, and
`Load` keeps clients reading their inboxes meanwhile.
"""
import collections
import html
import os
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin

import requests

ALERT = re.compile(r'<div class="alert alert-(\w+)[^"]*"[^>]*>(.*?)</div>', re.S)
LOGIN_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
TIMEOUT = 120  # seconds: a request that gets no answer at all is reported as broken (a hang)

# What the pages flash on success (zh, the default language).
CLAIMED = "已签收任务"
COMPLETED = "任务已办理完成"  # then "：<case>「<step>」…"


@dataclass
class Answer:
    who: str
    via: str          # "page" or "api"
    action: str       # "claim" or "complete"
    task_id: int
    kind: str         # "won" | "refused" | "unavailable" (503 with a message) | "broken"
    status: int | None
    message: str

    def __str__(self):
        return f"{self.who} ({self.via}) {self.action} {self.task_id}: {self.kind} {self.status} {self.message!r}"


def alerts(text: str) -> list[tuple[str, str]]:
    return [(kind, html.unescape(re.sub(r"<[^>]+>", "", body)).strip()) for kind, body in ALERT.findall(text)]


class PageClient:
    """A browser-like session on the pages: signs in through the form, posts with the CSRF token."""
    via = "page"

    def __init__(self, base_url: str, username: str, password: str):
        self.base, self.username, self.password = base_url, username, password
        self.http = requests.Session()
        self.csrf = None

    def sign_in(self):
        page = self.http.get(f"{self.base}/login", timeout=TIMEOUT)
        token = LOGIN_TOKEN.search(page.text).group(1)
        response = self.http.post(f"{self.base}/login", data={"username": self.username, "password": self.password,
                                                              "csrf_token": token},
                                  allow_redirects=False, timeout=TIMEOUT)
        assert response.status_code == 302, (self.username, response.status_code, response.text[:500])
        self.csrf = META_TOKEN.search(self.http.get(f"{self.base}/inbox/", timeout=TIMEOUT).text).group(1)
        return self

    def _post(self, action, task_id, path, data, success_text):
        try:
            response = self.http.post(f"{self.base}{path}", data={**data, "csrf_token": self.csrf},
                                      allow_redirects=False, timeout=TIMEOUT)
            status = response.status_code
            if status in (302, 303):  # the result is flashed on the page the redirect leads to
                shown = self.http.get(urljoin(self.base + "/", response.headers["Location"]), timeout=TIMEOUT)
                if shown.status_code != 200:
                    return Answer(self.username, self.via, action, task_id, "broken", shown.status_code,
                                  shown.text[:300])
                messages = alerts(shown.text)
            else:
                messages = alerts(response.text)
        except requests.RequestException as err:
            return Answer(self.username, self.via, action, task_id, "broken", None, repr(err))
        text = " | ".join(message for _, message in messages)
        if status == 503 and text:  # the database is away: said so on a page of its own
            return Answer(self.username, self.via, action, task_id, "unavailable", status, text)
        if status >= 500:
            return Answer(self.username, self.via, action, task_id, "broken", status, text or response.text[:300])
        if status == 302 and any(kind == "success" and message.startswith(success_text) for kind, message in messages):
            return Answer(self.username, self.via, action, task_id, "won", status, text)
        refusals = [message for kind, message in messages if kind in ("warning", "danger") and message]
        if refusals and not any(kind == "success" for kind, _ in messages):
            return Answer(self.username, self.via, action, task_id, "refused", status, " | ".join(refusals))
        return Answer(self.username, self.via, action, task_id, "broken", status, text or "(nothing said)")

    def claim(self, task_id):
        return self._post("claim", task_id, f"/inbox/{task_id}/claim", {}, CLAIMED)

    def look(self):
        """Open the inbox: (status, content type, body) or the exception."""
        return _get(self.http, f"{self.base}/inbox/")

    def complete(self, task_id, data=None):
        return self._post("complete", task_id, f"/tasks/{task_id}/complete", data or {}, COMPLETED)


class ApiClient:
    """Another system on the JSON API with its own token."""
    via = "api"

    def __init__(self, base_url: str, username: str, secret: str):
        self.base, self.username = base_url, username
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {secret}"

    def sign_in(self):
        return self

    def _post(self, action, task_id, path, body=None):
        try:
            response = self.http.post(f"{self.base}{path}", json=body, timeout=TIMEOUT)
        except requests.RequestException as err:
            return Answer(self.username, self.via, action, task_id, "broken", None, repr(err))
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            return Answer(self.username, self.via, action, task_id, "broken", status, response.text[:300])
        if status == 200:
            return Answer(self.username, self.via, action, task_id, "won", status, "")
        message = str(payload.get("message") or "").strip() if isinstance(payload, dict) else ""
        if status == 503 and message:
            return Answer(self.username, self.via, action, task_id, "unavailable", status, message)
        if 400 <= status < 500 and message:
            return Answer(self.username, self.via, action, task_id, "refused", status, message)
        return Answer(self.username, self.via, action, task_id, "broken", status, response.text[:300])

    def claim(self, task_id):
        return self._post("claim", task_id, f"/api/v1/tasks/{task_id}/claim")

    def look(self):
        """List my tasks: (status, content type, body) or the exception."""
        return _get(self.http, f"{self.base}/api/v1/tasks")

    def complete(self, task_id, data=None):
        return self._post("complete", task_id, f"/api/v1/tasks/{task_id}/complete", {"data": data or {}})


def _get(http, url):
    try:
        response = http.get(url, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as err:
        return None, "", repr(err)
    return response.status_code, response.headers.get("Content-Type", ""), response.text


def all_at_once(clients, work):
    """Run `work(client)` for every client in its own thread, released together; their results in order."""
    gate = threading.Barrier(len(clients))

    def run(client):
        gate.wait(timeout=TIMEOUT)
        return work(client)

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(run, clients))


# -- the database going away -------------------------------------------------------------------

def restart_allowed() -> str | None:
    """Why this test run may not stop and start the PostgreSQL server (None: it may)."""
    if os.environ.get("DUBAN_TEST_RESTART_POSTGRES") != "1":
        return ("restarting the PostgreSQL server drops every other session on it (other test runs too); "
                "set DUBAN_TEST_RESTART_POSTGRES=1 on a server of your own")
    if not shutil.which("pg_ctlcluster") or os.geteuid() != 0:
        return "needs pg_ctlcluster (Debian's postgresql-common) and root"
    return None


class Outage:
    """Take the app's PostgreSQL database away, then give it back.

    "terminated": the server terminates every connection to the test database and refuses
        new ones until the end (what an app sees while its server restarts; other databases
        on the server are not touched).
    "restarted": the PostgreSQL server itself is stopped and started again (pg_ctlcluster).
    """

    def __init__(self, database_url: str, mode: str):
        from sqlalchemy.engine import make_url
        self.url, self.mode = make_url(database_url), mode
        self.server_url = os.environ.get("DATABASE_URL") or database_url  # the database the throwaway one lives beside

    def _admin(self, sql: str, **params):
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with admin.connect() as conn:
                conn.execute(text(sql), params)
        finally:
            admin.dispose()

    def _cluster(self) -> tuple[str, str]:
        port = str(self.url.port or 5432)
        for line in subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True,
                                   check=True).stdout.splitlines():
            version, name, cluster_port = line.split()[:3]
            if cluster_port == port:
                return version, name
        raise AssertionError(f"no local PostgreSQL cluster on port {port}")

    def begin(self):
        if self.mode == "terminated":
            name = self.url.database
            self._admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            self._admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name", name=name)
        else:
            version, name = self._cluster()
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "stop", "-m", "fast"],
                           check=True, capture_output=True, timeout=120)

    def end(self):
        if self.mode == "terminated":
            self._admin(f'ALTER DATABASE "{self.url.database}" ALLOW_CONNECTIONS true')
            return
        version, name = self._cluster()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"],
                       check=True, capture_output=True, timeout=120)
        host, port = self.url.host or "127.0.0.1", str(self.url.port or 5432)
        wait_for(lambda: subprocess.run(["pg_isready", "-q", "-h", host, "-p", port]).returncode == 0,
                 "PostgreSQL to accept connections again")


def wait_for(condition, what: str, limit: float = 90.0, step: float = 0.05):
    """Wait until `condition()` holds; fail (naming `what`) if it never does. The limit only
    keeps a broken run from hanging: no test asserts how fast anything happens."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited in vain for {what}")
        time.sleep(step)


@dataclass
class Look:
    who: str
    via: str
    phase: str
    status: int | None
    content_type: str
    body: str

    @property
    def kind(self) -> str:
        if self.status == 200:
            return "ok"
        if self.status == 503:
            if self.via == "api" and self.content_type.startswith("application/json"):
                import json
                if str(json.loads(self.body).get("message") or "").strip():
                    return "unavailable"
            elif self.via == "page" and any(message for _, message in alerts(self.body)):
                return "unavailable"
        return "broken"

    def __str__(self):
        return f"{self.who} ({self.via}) during {self.phase}: {self.status} {self.body[:300]!r}"


class Load:
    """Every client reads its inbox (page or API) over and over in its own thread; `phase`
    labels what is going on when each request starts."""

    def __init__(self, clients):
        self.clients, self.phase, self.looks = clients, "before", []
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(client,), daemon=True) for client in clients]

    def _run(self, client):
        while not self._stop.is_set():
            phase = self.phase
            look = Look(client.username, client.via, phase, *client.look())
            with self._lock:
                self.looks.append(look)
            self._stop.wait(0.02)

    def every_client_saw(self, phase: str, kind: str | None = None, times: int = 1) -> bool:
        """Every client got `times` answers of `kind` (any kind: None) to requests started during `phase`."""
        with self._lock:
            seen = collections.Counter(look.who for look in self.looks
                                       if look.phase == phase and kind in (None, look.kind))
        return all(seen[client.username] >= times for client in self.clients)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT)
