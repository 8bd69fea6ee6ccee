"""External tasks through Camunda 7's REST API: fetched and completed per second with 1 and 4 workers.

Seeds a database in-process (the demo's users, a token with the `external-tasks` scope for the
special office's officer, and per phase a process whose one service task is external, with N
instances waiting at it, started through the engine), then starts
`gunicorn -c gunicorn.conf.py "web:create_app(...)"` (2 workers, 4 threads each) and, for each
worker count, runs that many external-task workers as threads of this process. Each worker
does what a Camunda client does: `POST /engine-rest/external-task/fetchAndLock` (maxTasks 10,
no long polling) then `POST /engine-rest/external-task/{id}/complete` for each task with a
variable, until the phase ends or no task is left. A task fetched twice would be an error.

    python bench/external_task_bench.py             # 1 and 4 workers, 20 s per phase, 3,000 instances each
    python bench/external_task_bench.py --quick     # 1 and 4 workers, 3 s per phase, 300 instances each
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/external_task_bench.py

The figures are for PostgreSQL (FOR UPDATE SKIP LOCKED); SQLite works, one writer at a time.
DATABASE_URL's database is emptied (DROP SCHEMA public): point it at a database of its own.
Prints tasks/s, fetch and complete p95 per worker count; the 4-worker rate last, as
`external tasks completed/s (4 workers) 85.0`.
"""
import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402

from bench_support import percentile  # noqa: E402
from http_bench import SECRET, Gunicorn, fast_hash  # noqa: E402

PHASES = (1, 4)  # workers per phase; each phase has its own topic and instances


def topic(workers: int) -> str:
    return f"bench-report-{workers}"
WORKER_USER = "office.officer"


def seed(url: str, instance_path: str, instances: int) -> str:
    """The database gunicorn will serve; returns the worker's API token."""
    from domain.api_tokens import create_token
    from engine.identity import SYSTEM
    from tests import bpmn_builder as b
    from web import create_app, engine_of
    from web.extensions import db

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
        _row, secret = create_token(db.session, WORKER_USER, ["external-tasks"], name="bench")
        db.session.commit()
        engine = engine_of(app)
        for workers in PHASES:
            engine.deploy(b.process(
                f"bench_push_{workers}", b.start(),
                f'<bpmn:serviceTask id="push" name="报送" camunda:type="external" camunda:topic="{topic(workers)}"/>',
                b.end(), *b.chain("start", "push", "end")))
        print(f"seeded             demo data and the processes in {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        for workers in PHASES:
            for n in range(instances):
                engine.start(f"bench_push_{workers}", {"lead_number": f"XS-B-{n:05d}", "amount": n}, actor=SYSTEM,
                             business_key=f"XS-B-{n:05d}")
        print(f"started            {instances} instances per phase waiting at the external task "
              f"in {time.perf_counter() - began:.1f} s")
        db.session.remove()
        db.engine.dispose()
    return secret


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.completed = 0
        self.errors: dict[str, int] = {}
        self.fetch_ms: list[float] = []
        self.complete_ms: list[float] = []
        self.seen: set[str] = set()

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1


def worker(base: str, token: str, name: str, topic_name: str, stop_at: float, tally: Tally) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    body = {"workerId": name, "maxTasks": 10, "usePriority": True,
            "topics": [{"topicName": topic_name, "lockDuration": 30000}]}
    while time.monotonic() < stop_at:
        began = time.perf_counter()
        answer = session.post(f"{base}/engine-rest/external-task/fetchAndLock", json=body, timeout=30)
        elapsed = (time.perf_counter() - began) * 1000
        if answer.status_code != 200:
            tally.error(f"fetch {answer.status_code}")
            continue
        tasks = answer.json()
        with tally.lock:
            tally.fetch_ms.append(elapsed)
            for task in tasks:
                if task["id"] in tally.seen:
                    tally.errors["fetched twice"] = tally.errors.get("fetched twice", 0) + 1
                tally.seen.add(task["id"])
        if not tasks:
            return  # none left
        for task in tasks:
            began = time.perf_counter()
            done = session.post(f"{base}/engine-rest/external-task/{task['id']}/complete", timeout=30,
                                json={"workerId": name, "variables": {"reported": {"value": True}}})
            elapsed = (time.perf_counter() - began) * 1000
            if done.status_code != 204:
                tally.error(f"complete {done.status_code}")
                continue
            with tally.lock:
                tally.completed += 1
                tally.complete_ms.append(elapsed)


def phase(base: str, token: str, workers: int, duration: float) -> dict:
    tally = Tally()
    began = time.monotonic()
    threads = [threading.Thread(target=worker, args=(base, token, f"bench-{workers}-{n}", topic(workers),
                                                     began + duration, tally))
               for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {"rate": tally.completed / elapsed if elapsed else 0.0, "completed": tally.completed,
            "fetch_p95": percentile(tally.fetch_ms, 0.95) if tally.fetch_ms else 0.0,
            "complete_p95": percentile(tally.complete_ms, 0.95) if tally.complete_ms else 0.0,
            "errors": tally.errors}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 s per phase, 300 instances per phase")
    parser.add_argument("--duration", type=float, help="seconds per phase (default 20)")
    parser.add_argument("--instances", type=int, help="instances per phase waiting at the external task (default 3,000)")
    args = parser.parse_args()
    duration = args.duration or (3.0 if args.quick else 20.0)
    instances = args.instances or (300 if args.quick else 3_000)
    instance_path = tempfile.mkdtemp(prefix="external-task-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path}/bench.sqlite"
    os.environ["DUBAN_SECRET_KEY"] = SECRET
    os.environ["DUBAN_INSTANCE_PATH"] = instance_path
    print(f"database           {'postgresql' if url.startswith('postgresql') else 'sqlite'}")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    token = seed(url, instance_path, instances)
    server = Gunicorn(url, 2, instance_path, os.path.join(instance_path, "gunicorn.log"))
    results = {}
    try:
        server.wait_ready()
        for workers in PHASES:
            results[workers] = r = phase(server.base, token, workers, duration)
            print(f"{workers} worker(s)        completed/s {r['rate']:7.1f}   completed {r['completed']:6d}   "
                  f"fetch p95 {r['fetch_p95']:6.1f} ms   complete p95 {r['complete_p95']:6.1f} ms   "
                  f"errors {sum(r['errors'].values())}" + (f" {r['errors']}" if r["errors"] else ""))
    finally:
        server.stop()
    print(f"gunicorn           2 workers x 4 threads; {duration:.0f} s per phase; {instances} instances seeded")
    print(f"external tasks completed/s (1 worker) {results[1]['rate']:.1f}")
    print(f"external tasks completed/s (4 workers) {results[4]['rate']:.1f}")
    if any(r["errors"] for r in results.values()) or not all(r["completed"] for r in results.values()):
        print(f"failed: see {instance_path}/gunicorn.log", file=sys.stderr)
        raise SystemExit(1)
    shutil.rmtree(instance_path, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted; gunicorn stopped", file=sys.stderr)
        raise SystemExit(130)
