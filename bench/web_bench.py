"""Inbox latency with a city-sized load: 10,000, 100,000 and 1,000,000 open tasks over
20 units and 2,000 users (issue 8).

Loads the rows directly (bulk Core inserts in chunks; COPY on PostgreSQL), growing
the same database from one size to the next, and at each size times GET /inbox/
(the full page: query, counts, navigation, template) through the Flask app
in-process, for officers and for supervisors. Server time only: no network.
On PostgreSQL the tables are VACUUM ANALYZEd after each load, as autovacuum
would have done on a database that grew over months.

    python bench/web_bench.py                        # 10k, 100k and 1M tasks, 300 requests per role
    python bench/web_bench.py --quick                # 1k and 10k tasks, 60 requests per role
    python bench/web_bench.py --sizes 100000         # one size
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/web_bench.py

DATABASE_URL's database is emptied (DROP SCHEMA public): point it at a database
of its own. Prints median and p95 per role and size; the worst p95 at the
largest size last, as `p95 (1000000 tasks) 123.4 ms`.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_support import percentile  # noqa: E402

from sqlalchemy import insert, text  # noqa: E402

UNITS = 20
USERS = 2000
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
CHUNK = 20_000
TABLES = ("process_instance", "human_task", "task_candidate", "app_user", "unit", "user_role")


def bulk_insert(connection, table, rows) -> None:
    """Insert rows (dicts with the same keys): COPY on PostgreSQL with psycopg, executemany elsewhere."""
    rows = list(rows)
    if not rows:
        return
    table = getattr(table, "__table__", table)
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        columns = list(rows[0])
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([json.dumps(v) if isinstance(v, (dict, list)) else v
                                    for v in (row[c] for c in columns)])
    else:
        connection.execute(insert(table), rows)


def load_directory(connection, now: datetime) -> None:
    """20 units, 2,000 users (the first 40 supervisors, each over its unit and the next), one definition."""
    from domain.models import Unit, User, UserRole, supervisor_unit
    from engine.store.models import ProcessDefinition

    connection.execute(insert(Unit), [{"id": u + 1, "code": f"unit{u:02d}", "name_zh": f"第{u + 1}单位",
                                       "name_en": f"Unit {u + 1}", "kind": "member_unit", "active": True}
                                      for u in range(UNITS)])
    connection.execute(insert(User), [{"id": n + 1, "username": f"user{n:04d}", "display_name": f"用户{n}",
                                       "unit_id": n % UNITS + 1, "locale": "zh", "active": True,
                                       "password_hash": None} for n in range(USERS)])
    connection.execute(insert(UserRole), [{"user_id": n + 1, "role": "supervisor" if n < UNITS * 2 else "officer"}
                                          for n in range(USERS)])
    connection.execute(insert(supervisor_unit), [{"user_id": n + 1, "unit_id": ((n + k) % UNITS) + 1}
                                                 for n in range(UNITS * 2) for k in (0, 1)])
    connection.execute(insert(ProcessDefinition), [{
        "id": 1, "process_id": "lead_handling", "version": 1, "name": "线索核查", "checksum": "0" * 64,
        "filename": "lead_handling.bpmn", "source_xml": b"", "spec_json": "{}", "deployed_at": now}])


def load_tasks(connection, start: int, stop: int, rng: random.Random, now: datetime, *, groups: list[str],
               users_of: dict[str, list[str]], definition_id: int = 1, process_id: str = "lead_handling",
               first_instance: int = 1, first_task: int = 1, first_candidate: int = 1) -> None:
    """Open tasks number `start` to `stop - 1`, two per instance, each open to one of `groups`
    (30% of them claimed by a user of that group), due from 20 days ago to 30 days ahead.
    Ids are first_* + number, so several calls grow one data set."""
    from engine.store.models import HumanTask, ProcessInstance, TaskCandidate

    for low in range(start // 2 + start % 2, (stop + 1) // 2, CHUNK):
        bulk_insert(connection, ProcessInstance, ({
            "id": first_instance + i, "definition_id": definition_id, "process_id": process_id,
            "business_key": f"XS-2026-{i:07d}", "status": "running", "state_json": "{}", "lock_version": 1,
            "started_at": now, "updated_at": now} for i in range(low, min((stop + 1) // 2, low + CHUNK))))
    for low in range(start, stop, CHUNK):
        rows, candidates = [], []
        for t in range(low, min(stop, low + CHUNK)):
            group = groups[rng.randrange(len(groups))]
            members = users_of.get(group) or []
            assignee = members[rng.randrange(len(members))] if members and rng.random() < 0.3 else None
            rows.append({"id": first_task + t, "instance_id": first_instance + t // 2,
                         "spiff_task_id": f"bench-{first_task + t:029d}", "process_id": process_id,
                         "element_id": "verify_lead", "name": "核实线索", "form_key": "lead/verify",
                         "assignee": assignee, "candidate_users": "", "candidate_groups": group, "priority": 50,
                         "created_at": now - timedelta(days=rng.randrange(30)),
                         "due_at": now + timedelta(hours=rng.randrange(-24 * 20, 24 * 30)), "status": "open"})
            candidates.append({"id": first_candidate + t, "task_id": first_task + t, "kind": "group", "name": group})
        bulk_insert(connection, HumanTask, rows)
        bulk_insert(connection, TaskCandidate, candidates)


def settle(db, tables=TABLES) -> None:
    """PostgreSQL after a bulk load: sequences past the loaded ids, VACUUM ANALYZE (as autovacuum would)."""
    if db.dialect.name != "postgresql":
        return
    with db.begin() as connection:
        for table in tables:
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"GREATEST((SELECT max(id) FROM {table}), 1))"))
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.execute(text(f"VACUUM (ANALYZE) {table}"))


def time_inbox(app, requests: int, rng: random.Random) -> dict[str, list[float]]:
    """GET /inbox/ as random officers and supervisors: milliseconds per request, after 10 warm-up requests."""
    results = {}
    for role, pool in (("officer", range(UNITS * 2, USERS)), ("supervisor", range(UNITS * 2))):
        client = app.test_client()
        timings = []
        for n in range(requests + 10):
            user_id = rng.choice(pool) + 1
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
    return results


def parse_sizes(text_value: str) -> list[int]:
    sizes = sorted({int(part.replace("_", "")) for part in text_value.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes are positive task counts, e.g. 10000,100000")
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 tasks, 60 requests per role")
    parser.add_argument("--sizes", type=parse_sizes, help="comma-separated task counts (default 10000,100000,1000000)")
    parser.add_argument("--tasks", type=int, help="one size (the same as --sizes N)")
    parser.add_argument("--requests", type=int, help="timed requests per role and size")
    args = parser.parse_args()
    sizes = [args.tasks] if args.tasks else args.sizes or list(QUICK_SIZES if args.quick else SIZES)
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
    print(f"database           {db.dialect.name}")
    now = datetime.now(timezone.utc)
    with db.begin() as connection:
        load_directory(connection, now)
    groups = [f"unit{u:02d}" for u in range(UNITS)]
    users_of = {group: [f"user{n:04d}" for n in range(u, USERS, UNITS)] for u, group in enumerate(groups)}

    from web import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "bench"})
    load_rng, request_rng = random.Random(7), random.Random(11)
    loaded, worst = 0, {}
    for size in sizes:
        began = time.perf_counter()
        with db.begin() as connection:
            load_tasks(connection, loaded, size, load_rng, now, groups=groups, users_of=users_of)
        settle(db)
        print(f"loaded             {size} open tasks ({size - loaded} more), {UNITS} units, {USERS} users "
              f"in {time.perf_counter() - began:.1f} s")
        loaded = size
        results = time_inbox(app, requests, request_rng)
        for role, timings in results.items():
            print(f"{size:>8} {role:10s} median {statistics.median(timings):7.1f} ms   "
                  f"p95 {percentile(timings, 0.95):7.1f} ms   max {max(timings):7.1f} ms")
        worst[size] = max(percentile(t, 0.95) for t in results.values())
    for size, p95 in worst.items():
        print(f"inbox p95 at {size:>8} tasks {p95:7.1f} ms")
    db.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"p95 ({sizes[-1]} tasks) {worst[sizes[-1]]:.1f} ms")


if __name__ == "__main__":
    main()
