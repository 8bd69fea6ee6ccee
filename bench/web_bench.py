"""Inbox latency with a city-sized load: 100,000 open tasks over 20 units and 2,000 users.

Loads the rows directly (bulk inserts), then times GET /inbox/ (the full page:
query, counts, navigation, template) through the Flask app in-process, for
officers and for supervisors. Server time only: no network.

    python bench/web_bench.py                 # 100,000 tasks, 300 requests per role
    python bench/web_bench.py --quick         # 10,000 tasks, 60 requests per role
    python bench/web_bench.py --tasks 1000000 # the issue 8 size
    DATABASE_URL=postgresql+psycopg://... python bench/web_bench.py

Prints median and p95 per role; the worst p95 last.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_support import percentile  # noqa: E402

from sqlalchemy import insert, text  # noqa: E402

UNITS = 20
USERS = 2000



def load(connection, tasks: int, rng: random.Random):
    from domain.models import Unit, User, UserRole, supervisor_unit
    from engine.store.models import HumanTask, ProcessDefinition, ProcessInstance, TaskCandidate

    now = datetime.now(timezone.utc)
    connection.execute(insert(Unit), [{"id": u + 1, "code": f"unit{u:02d}", "name_zh": f"第{u + 1}单位",
                                       "name_en": f"Unit {u + 1}", "kind": "member_unit", "active": True}
                                      for u in range(UNITS)])
    users = []
    for n in range(USERS):
        unit = n % UNITS
        users.append({"id": n + 1, "username": f"user{n:04d}", "display_name": f"用户{n}", "unit_id": unit + 1,
                      "locale": "zh", "active": True, "password_hash": None})
    connection.execute(insert(User), users)
    roles = [{"user_id": n + 1, "role": "supervisor" if n < UNITS * 2 else "officer"} for n in range(USERS)]
    connection.execute(insert(UserRole), roles)
    # Supervisors (the first 40 users) each supervise their own unit and the next one.
    connection.execute(insert(supervisor_unit), [{"user_id": n + 1, "unit_id": ((n + k) % UNITS) + 1}
                                                 for n in range(UNITS * 2) for k in (0, 1)])
    connection.execute(insert(ProcessDefinition), [{
        "id": 1, "process_id": "lead_handling", "version": 1, "name": "线索核查", "checksum": "0" * 64,
        "filename": "lead_handling.bpmn", "source_xml": b"", "spec_json": "{}", "deployed_at": now}])
    instances = tasks // 2
    batch = 20_000
    for start in range(0, instances, batch):
        connection.execute(insert(ProcessInstance), [{
            "id": i + 1, "definition_id": 1, "process_id": "lead_handling", "business_key": f"XS-2026-{i:06d}",
            "status": "running", "state_json": "{}", "lock_version": 1, "started_at": now, "updated_at": now}
            for i in range(start, min(instances, start + batch))])
    for start in range(0, tasks, batch):
        rows, candidates = [], []
        for t in range(start, min(tasks, start + batch)):
            unit = rng.randrange(UNITS)
            assignee = f"user{rng.randrange(unit, USERS, UNITS):04d}" if rng.random() < 0.3 else None
            rows.append({"id": t + 1, "instance_id": t // 2 + 1, "spiff_task_id": f"{t:036d}",
                         "process_id": "lead_handling", "element_id": "verify_lead", "name": "核实线索",
                         "form_key": "lead/verify", "assignee": assignee, "candidate_users": "",
                         "candidate_groups": f"unit{unit:02d}", "priority": 50,
                         "created_at": now - timedelta(days=rng.randrange(30)),
                         "due_at": now + timedelta(hours=rng.randrange(-24 * 20, 24 * 30)), "status": "open"})
            candidates.append({"task_id": t + 1, "kind": "group", "name": f"unit{unit:02d}"})
        connection.execute(insert(HumanTask), rows)
        connection.execute(insert(TaskCandidate), candidates)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tasks", type=int)
    parser.add_argument("--requests", type=int)
    args = parser.parse_args()
    tasks = args.tasks or (10_000 if args.quick else 100_000)
    requests = args.requests or (60 if args.quick else 300)

    tmp = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/web-bench.sqlite"
    os.environ["DUBAN_INSTANCE_PATH"] = tmp
    from engine.store.database import make_engine, upgrade
    if url.startswith("postgresql"):
        from bench_support import reset_postgres
        reset_postgres(url)
    upgrade(url)
    db = make_engine(url)
    began = time.perf_counter()
    with db.begin() as connection:
        load(connection, tasks, random.Random(7))
    if url.startswith("postgresql"):
        with db.begin() as connection:
            connection.execute(text("ANALYZE"))
        for table in ("process_instance", "human_task", "task_candidate", "app_user", "unit", "user_role"):
            with db.begin() as connection:
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
    print(f"database           {url.split(':')[0]}")
    print(f"loaded             {tasks} open tasks, {UNITS} units, {USERS} users in {time.perf_counter() - began:.1f} s")

    from web import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "bench"})
    rng = random.Random(11)
    results = {}
    for role, pool in (("officer", range(UNITS * 2, USERS)), ("supervisor", range(UNITS * 2))):
        client = app.test_client()
        timings = []
        for n in range(requests + 10):
            user_id = rng.choice(list(pool)) + 1
            with client.session_transaction() as session:
                session["_user_id"] = str(user_id)
                session["_fresh"] = True
            started = time.perf_counter()
            response = client.get("/inbox/")
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            if n >= 10:  # the first requests warm caches
                timings.append(elapsed * 1000)
        results[role] = timings
        print(f"{role:18s} median {statistics.median(timings):6.1f} ms   p95 {percentile(timings, 0.95):6.1f} ms")
    worst = max(percentile(t, 0.95) for t in results.values())
    print(f"p95 {worst:.1f} ms")


if __name__ == "__main__":
    main()
