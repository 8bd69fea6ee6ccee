"""HTTP load through gunicorn: GET /inbox/ and the task-complete endpoint with 2 and 4 workers.

Seeds a database in-process: the demo data (`flask demo`: units, users, the four
processes), office officers for the bench's clients, background open tasks so
the inbox has a city's weight (bulk-loaded as bench/web_bench.py does), and real
lead_handling cases waiting at their triage task (研判分流, started through the
engine). Then, for each worker count, it starts
`gunicorn -c gunicorn.conf.py "web:create_app({'RATELIMIT_ENABLED': False})"`
(the production run mode; sign-in rate limits off so every client may sign in),
signs each client in through the real login form (CSRF token included) and drives:

  inbox     every client GETs /inbox/ in a loop, as a demo officer or supervisor;
  complete  every client takes the next triage task, claims it (POST /inbox/<id>/claim)
            and completes it (POST /tasks/<id>/complete) with valid form data, as
            tests/scenario_support.triage_dispatch fills it. Only the complete is
            timed. A refused complete because someone else changed the case first
            (409, or the app's 303 back to the inbox) counts as a conflict, not an error.

Clients are threads of this process (requests.Session each), on the same machine as
gunicorn: they share its cores. Redirects are not followed.

    python bench/http_bench.py             # 2 and 4 workers, 16 clients, 30 s per phase, 100,000 background tasks
    python bench/http_bench.py --quick     # 2 and 4 workers, 4 clients, 3 s per phase, 2,000 background tasks
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/http_bench.py

On SQLite the workers share one database file (WAL, one writer at a time): allowed,
but the deployment the figures are for is PostgreSQL. DATABASE_URL's database is
emptied (DROP SCHEMA public): point it at a database of its own. gunicorn is
stopped on exit, Ctrl-C included. Prints requests/s, median and p95 per endpoint
and worker count; the inbox p95 with the most workers last, as `inbox p95 (4 workers) 45 ms`.
"""
import argparse
import os
import queue
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402

from bench_support import percentile  # noqa: E402

SECRET = "http-bench-secret-key-not-for-production"
PASSWORD = "duban-demo-2026"
APP = "web:create_app({'RATELIMIT_ENABLED': False})"
LOGIN_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CONFLICT = (303, 409)


def fast_hash(password: str) -> str:
    # A cheap hash for the bench's users (the app checks any werkzeug hash); real installs use scrypt.
    from werkzeug.security import generate_password_hash
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


# -- seeding -----------------------------------------------------------------------------

def seed(url: str, instance_path: str, clients: int, background: int, leads: int) -> tuple[list[str], list[int]]:
    """The database the workers will serve: returns (inbox users, triage task ids to complete)."""
    from sqlalchemy import func, select

    from domain.leads import register_lead
    from domain.models import Lead, Unit, User
    from engine.identity import SYSTEM
    from engine.store.models import HumanTask, ProcessDefinition, ProcessInstance, TaskCandidate
    from web import create_app, engine_of
    from web.extensions import db
    from web_bench import load_tasks, settle

    if url.startswith("postgresql"):
        from bench_support import reset_postgres
        reset_postgres(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "TESTING": True,
                      "DUBAN_HASH_PASSWORD": fast_hash, "DUBAN_UPLOAD_DIR": os.path.join(instance_path, "uploads")})
    began = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["demo"])
    if result.exit_code != 0:
        raise SystemExit(f"flask demo failed:\n{result.output}")
    with app.app_context():
        office = db.session.scalar(select(Unit).where(Unit.code == "office"))
        for n in range(clients):
            user = User(username=f"bench.office{n:03d}", display_name=f"压测{n}", password_hash=fast_hash(PASSWORD),
                        unit=office, locale="zh", active=True, created_at=datetime.now(timezone.utc))
            user.set_roles(["officer"])
            db.session.add(user)
        db.session.commit()
        inbox_users = sorted(u for u in db.session.scalars(select(User.username))
                             if u.endswith((".officer", ".supervisor", ".leader")))
        units = list(db.session.scalars(select(Unit.code).order_by(Unit.id)))
        definition_id = db.session.scalar(select(func.max(ProcessDefinition.id)).where(
            ProcessDefinition.process_id == "lead_handling"))
        first = {model: (db.session.scalar(select(func.max(model.id))) or 0) + 1
                 for model in (ProcessInstance, HumanTask, TaskCandidate)}
        db.session.rollback()
        print(f"seeded             demo data in {time.perf_counter() - began:.1f} s")

        began = time.perf_counter()
        with db.engine.begin() as connection:
            load_tasks(connection, 0, background, random.Random(7), datetime.now(timezone.utc), groups=units,
                       users_of={code: [f"{code}.officer"] for code in units}, definition_id=definition_id,
                       first_instance=first[ProcessInstance], first_task=first[HumanTask],
                       first_candidate=first[TaskCandidate])
        settle(db.engine, ("process_instance", "human_task", "task_candidate", "app_user", "unit", "user_role"))
        print(f"loaded             {background} background open tasks over {len(units)} units "
              f"in {time.perf_counter() - began:.1f} s")

        began = time.perf_counter()
        engine = engine_of(app)
        received = (datetime.now(timezone.utc) - timedelta(hours=3)).isoformat()
        for n in range(leads):
            data = {"channel": "hotline_12345", "received_at": received, "sector": "food_health_products",
                    "summary": f"压测线索{n}：来电反映某公司以免费体检为名向老人推销高价保健品。",
                    "subject_name": f"压测健康科技有限公司{n % 50}"}
            registered = {}

            def prepare(session, data=data, registered=registered):
                lead = register_lead(session, data, "bench", "zh")
                registered["id"], registered["number"] = lead.id, lead.number
                return {"lead_id": lead.id}

            def started(session, instance, registered=registered):
                session.get(Lead, registered["id"]).instance_id = instance.id
                instance.business_key = registered["number"]

            engine.start("lead_handling", actor=SYSTEM, prepare=prepare, started=started)
        task_ids = list(db.session.scalars(select(HumanTask.id).where(
            HumanTask.element_id == "triage_lead", HumanTask.status == "open", HumanTask.assignee.is_(None))
            .order_by(HumanTask.id)))
        db.session.remove()
        print(f"started            {leads} lead cases waiting at triage in {time.perf_counter() - began:.1f} s")
    with app.app_context():
        db.engine.dispose()
    return inbox_users, task_ids


# -- gunicorn ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn in its own process group, stopped (the whole group) on exit."""

    def __init__(self, url: str, workers: int, instance_path: str, log_path: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": url, "DUBAN_WORKERS": str(workers), "DUBAN_BIND": f"127.0.0.1:{self.port}",
               "DUBAN_SECRET_KEY": SECRET, "DUBAN_INSTANCE_PATH": instance_path, "DUBAN_SCHEDULER": "0",
               "DUBAN_UPLOAD_DIR": os.path.join(instance_path, "uploads"),
               "DUBAN_SECURE_COOKIES": "0"}  # plain http here: the clients must get the session cookie back
        self.log = open(log_path, "ab")
        # Its own control socket: the default ($HOME/.gunicorn/gunicorn.ctl) is shared by every gunicorn of the user.
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                   "--control-socket", os.path.join(instance_path, f"gunicorn-{workers}.ctl"), APP]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                if requests.get(f"{self.base}/login", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


# -- clients -------------------------------------------------------------------------------

class Client:
    def __init__(self, base: str, username: str):
        self.base = base
        self.username = username
        self.http = requests.Session()
        page = self.http.get(f"{base}/login", timeout=60)
        token = LOGIN_TOKEN.search(page.text).group(1)
        response = self.http.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                                         "csrf_token": token}, allow_redirects=False, timeout=60)
        if response.status_code != 302:
            raise RuntimeError(f"sign-in as {username} answered {response.status_code}")
        self.token = META_TOKEN.search(self.http.get(f"{base}/inbox/", timeout=60).text).group(1)

    def get(self, path):
        return self.http.get(f"{self.base}{path}", allow_redirects=False, timeout=60)

    def post(self, path, data):
        return self.http.post(f"{self.base}{path}", data={**data, "csrf_token": self.token},
                              allow_redirects=False, timeout=60)


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.timings: list[float] = []
        self.claims: list[float] = []
        self.conflicts = 0
        self.errors: dict[str, int] = {}

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


def timed(call):
    started = time.perf_counter()
    try:
        response = call()
    except requests.RequestException as err:
        return None, (time.perf_counter() - started) * 1000, type(err).__name__
    return response, (time.perf_counter() - started) * 1000, None


def run_clients(clients: list[Client], work, duration: float) -> float:
    """Run work(client, stop_at) in a thread per client; returns the wall time taken.
    Each client starts on a fresh connection: one left idle since the last phase may
    have been closed by gunicorn's keep-alive timeout just as it is reused."""
    for client in clients:
        client.http.close()
    started = time.perf_counter()
    stop_at = time.monotonic() + duration
    threads = [threading.Thread(target=work, args=(client, stop_at), daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def inbox_phase(clients: list[Client], duration: float) -> tuple[Tally, float]:
    tally = Tally()

    def work(client, stop_at):
        while time.monotonic() < stop_at:
            response, ms, failure = timed(lambda: client.get("/inbox/"))
            if failure or response.status_code != 200:
                tally.error(failure or f"inbox {response.status_code}")
                continue
            with tally.lock:
                tally.timings.append(ms)

    return tally, run_clients(clients, work, duration)


def triage_form() -> dict:
    from tests.scenario_support import triage_dispatch
    return triage_dispatch(unit="market", workdays=15)


def complete_phase(clients: list[Client], tasks: "queue.SimpleQueue[int]", duration: float) -> tuple[Tally, float]:
    tally = Tally()
    form = triage_form()

    def work(client, stop_at):
        done = 0
        while time.monotonic() < stop_at:
            try:
                task_id = tasks.get_nowait()
            except queue.Empty:
                return
            response, ms, failure = timed(lambda: client.post(f"/inbox/{task_id}/claim", {"next": "/inbox/"}))
            if failure or response.status_code != 302:
                tally.error(failure or f"claim {response.status_code}")
                continue
            with tally.lock:
                tally.claims.append(ms)
            response, ms, failure = timed(lambda: client.post(f"/tasks/{task_id}/complete", form))
            if failure:
                tally.error(failure)
            elif response.status_code in CONFLICT:
                with tally.lock:
                    tally.conflicts += 1
            elif response.status_code != 302:
                tally.error(f"complete {response.status_code}")
            else:
                with tally.lock:
                    tally.timings.append(ms)
            done += 1
            if done % 8 == 0:
                client.get("/login")  # any page shows (and so drops) the flashed messages the cookie carries

    return tally, run_clients(clients, work, duration)


def describe(tally: Tally, elapsed: float) -> dict:
    t = tally.timings
    return {"count": len(t), "rps": len(t) / elapsed if elapsed else 0.0,
            "median": statistics.median(t) if t else float("nan"), "p95": percentile(t, 0.95) if t else float("nan"),
            "conflicts": tally.conflicts, "errors": sum(tally.errors.values()), "error_kinds": dict(tally.errors),
            "claim_p95": percentile(tally.claims, 0.95) if tally.claims else None}


def warm_up(client, _stop_at) -> None:
    """A few untimed requests, so every worker has loaded its caches."""
    for _ in range(3):
        try:
            client.get("/inbox/")
        except requests.RequestException:
            pass


def measure(url: str, workers: int, instance_path: str, inbox_users: list[str], tasks, args) -> dict:
    server = Gunicorn(url, workers, instance_path, os.path.join(instance_path, f"gunicorn-{workers}.log"))
    try:
        server.wait_ready()
        inbox_clients = [Client(server.base, inbox_users[n % len(inbox_users)]) for n in range(args.clients)]
        complete_clients = [Client(server.base, f"bench.office{n:03d}") for n in range(args.clients)]
        run_clients(inbox_clients, warm_up, 0)
        results = {}
        tally, elapsed = inbox_phase(inbox_clients, args.duration)
        results["inbox"] = describe(tally, elapsed)
        tally, elapsed = complete_phase(complete_clients, tasks, args.duration)
        results["complete"] = describe(tally, elapsed)
        if not tally.timings:
            results["complete"]["note"] = "no triage task left"
        return results
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="4 clients, 3 s per phase, 2,000 background tasks, 2 and 4 workers")
    parser.add_argument("--workers", help="comma-separated worker counts (default 2,4)")
    parser.add_argument("--clients", type=int, help="concurrent clients per phase (default 16)")
    parser.add_argument("--duration", type=float, help="seconds per phase (default 30)")
    parser.add_argument("--background", type=int, help="background open tasks for the inbox (default 100,000)")
    parser.add_argument("--leads", type=int, help="triage tasks to complete (default: enough for every phase)")
    args = parser.parse_args()
    workers = [int(w) for w in (args.workers or "2,4").split(",")]
    args.clients = args.clients or (4 if args.quick else 16)
    args.duration = args.duration or (3.0 if args.quick else 30.0)
    background = args.background if args.background is not None else (2_000 if args.quick else 100_000)
    # About 60 completes a second at best on 2 cores; never run out within a phase.
    leads = args.leads or int(len(workers) * args.duration * 60) + args.clients

    instance_path = tempfile.mkdtemp(prefix="http-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path}/http-bench.sqlite"
    os.environ["DUBAN_SECRET_KEY"] = SECRET  # field keys as the workers derive them
    os.environ["DUBAN_INSTANCE_PATH"] = instance_path
    print(f"database           {'postgresql' if url.startswith('postgresql') else 'sqlite'}")
    # Ctrl-C and SIGTERM both unwind through the finally blocks that stop gunicorn.
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    inbox_users, task_ids = seed(url, instance_path, args.clients, background, leads)
    tasks: "queue.SimpleQueue[int]" = queue.SimpleQueue()
    for task_id in task_ids:
        tasks.put(task_id)

    table = {}
    for count in workers:
        results = measure(url, count, instance_path, inbox_users, tasks, args)
        table[count] = results
        for endpoint, r in results.items():
            extra = f"   conflicts {r['conflicts']}   claim p95 {r['claim_p95']:.1f} ms" \
                if endpoint == "complete" and r["claim_p95"] is not None else ""
            print(f"{count} workers {endpoint:9s} requests/s {r['rps']:7.1f}   median {r['median']:7.1f} ms   "
                  f"p95 {r['p95']:7.1f} ms   ok {r['count']:6d}   errors {r['errors']}{extra}"
                  + (f"   {r['error_kinds']}" if r["errors"] else "") + (f"   ({r['note']})" if r.get("note") else ""))
    print(f"clients            {args.clients} per phase, {args.duration:.0f} s per phase, "
          f"{background} background tasks, {len(task_ids)} triage tasks seeded")
    for count in workers:
        for endpoint in ("inbox", "complete"):
            r = table[count][endpoint]
            print(f"{endpoint} requests/s ({count} workers) {r['rps']:.1f}, p95 {r['p95']:.1f} ms")
    errors = sum(r["errors"] for results in table.values() for r in results.values())
    empty = [count for count in workers for r in table[count].values() if not r["count"]]
    most = workers[-1]
    print(f"inbox p95 ({most} workers) {table[most]['inbox']['p95']:.0f} ms")
    if errors or empty:
        print(f"failed: see the gunicorn logs in {instance_path}", file=sys.stderr)
        raise SystemExit(1)
    shutil.rmtree(instance_path, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted; gunicorn stopped", file=sys.stderr)
        raise SystemExit(130)
