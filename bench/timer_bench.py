"""Timer firing: how late do 10,000 and 100,000 due timers fire, and how many fire per second?

For each size: one instance of a process waiting on a timeDate timer is started
through the engine; its rows are then cloned (bulk inserts; COPY on PostgreSQL)
into N waiting instances, each with fresh task ids and its own due time written
where the engine writes it (the instance's state and the timer row), exactly as
N calls of Engine.start would leave them, only much faster. The due times are
spread evenly over a window that begins after all rows exist. Then the
scheduler starts (APScheduler, sleeping until the next due time; no polling)
and the bench waits until every timer has fired. Lateness is fired_at - due_at
per timer; fired/s is N over the span from the first due time to the last firing
(the offered rate N/window while the scheduler keeps up, its capacity when not).

    python bench/timer_bench.py                            # 10,000 over 60 s, then 100,000 over 300 s
    python bench/timer_bench.py --quick                    # 1,000 timers over 10 s
    python bench/timer_bench.py --timers 5000 --window 20  # one size
    python bench/timer_bench.py --schedulers 3             # PostgreSQL: three schedulers share the rows
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/timer_bench.py

DATABASE_URL's database is emptied (DROP SCHEMA public) before each size: point it
at a database of its own. Prints lateness median, p99 and max and fired/s per
size; the p99 at the largest size last, as `lateness p99 (100000 timers) 0.012 s`.
"""
import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_support import percentile  # noqa: E402
from web_bench import bulk_insert  # noqa: E402

from sqlalchemy import func, select, text  # noqa: E402

from engine import clock as clock_module  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from engine.scheduler import DubanScheduler  # noqa: E402
from engine.store.database import make_engine, make_session_factory, upgrade  # noqa: E402
from engine.store.models import InstanceTask, ProcessInstance, Timer  # noqa: E402
from tests import bpmn_builder as b  # noqa: E402

XML = b.process("timed", b.start(), b.timer_event("at_due", kind="timeDate", value="due"), b.user_task("after"),
                b.end(), *b.chain("start", "at_due", "after", "end"))
SIZES = ((10_000, 60.0), (100_000, 300.0))  # (timers, window in seconds)
QUICK = ((1_000, 10.0),)
# The template's due time, replaced per clone: a year ahead (timer dates more than engine.deadlines.MAX_SPAN
# ahead are refused), with a microsecond no real due time has.
MARKER = (datetime.now(timezone.utc) + timedelta(days=365)).replace(microsecond=678901)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CHUNK = 5_000


class Cloner:
    """Copies of one waiting instance (its process_instance, instance_task and timer rows) with fresh ids."""

    def __init__(self, db, instance_id: int):
        with db.connect() as connection:
            self.instance = dict(connection.execute(select(ProcessInstance.__table__).where(
                ProcessInstance.id == instance_id)).mappings().one())
            self.timer = dict(connection.execute(select(Timer.__table__).where(
                Timer.instance_id == instance_id)).mappings().one())
            tasks = [dict(row) for row in connection.execute(select(InstanceTask.__table__).where(
                InstanceTask.instance_id == instance_id)).mappings()]
        # The instance's whole stored state as one text, so task ids change alike everywhere.
        self.template = json.dumps({"state": self.instance["state_json"], "tasks": tasks})
        assert MARKER.isoformat() in self.template, "the due time is not where the bench expects it"
        self.next_instance = self.instance["id"] + 1
        self.next_timer = self.timer["id"] + 1

    def prepare(self) -> tuple[str, str]:
        """(stored state with fresh task ids and the marker due time, the timer's new task id)."""
        fresh = {}
        stored = UUID.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), self.template)
        return stored, fresh[self.timer["spiff_task_id"]]

    def rows(self, prepared, due: datetime) -> tuple[dict, dict, list[dict]]:
        stored, task_id = prepared
        instance_id, timer_id = self.next_instance, self.next_timer
        self.next_instance += 1
        self.next_timer += 1
        stored = json.loads(stored.replace(MARKER.isoformat(), due.isoformat(timespec="microseconds")))
        instance = {**self.instance, "id": instance_id, "state_json": stored["state"]}
        timer = {**self.timer, "id": timer_id, "instance_id": instance_id, "spiff_task_id": task_id, "due_at": due}
        return instance, timer, [{**task, "instance_id": instance_id} for task in stored["tasks"]]

    def insert(self, db, prepared: list, dues: list[datetime]) -> None:
        for low in range(0, len(prepared), CHUNK):
            copies = [self.rows(p, d) for p, d in zip(prepared[low:low + CHUNK], dues[low:low + CHUNK])]
            with db.begin() as connection:
                bulk_insert(connection, ProcessInstance, [instance for instance, _, _ in copies])
                bulk_insert(connection, Timer, [timer for _, timer, _ in copies])
                bulk_insert(connection, InstanceTask, [task for _, _, tasks in copies for task in tasks])


def analyze(db) -> None:
    if db.dialect.name != "postgresql":
        return
    with db.begin() as connection:
        for table in ("process_instance", "timer"):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
            connection.execute(text(f"ANALYZE {table}"))


def run(url: str, count: int, window: float, schedulers: int = 1) -> dict:
    if url.startswith("postgresql"):
        from bench_support import reset_postgres
        reset_postgres(url)
    upgrade(url)
    db = make_engine(url)
    sessions = make_session_factory(db)
    engine = Engine(sessions, node_id="bench")
    engine.deploy(XML)
    cloner = Cloner(db, engine.start("timed", {"due": MARKER.isoformat()}))

    # Task ids first (the slow part), then the insert speed, measured on 500 timers due tomorrow.
    prepared = [cloner.prepare() for _ in range(count)]
    calibration = [cloner.prepare() for _ in range(500)]
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    began = time.perf_counter()
    cloner.insert(db, calibration, [tomorrow + timedelta(seconds=i) for i in range(len(calibration))])
    per_row = (time.perf_counter() - began) / len(calibration)

    first_due = datetime.now(timezone.utc) + timedelta(seconds=per_row * count * 1.5 + 3)
    spacing = window / count
    dues = [first_due + timedelta(seconds=i * spacing) for i in range(count)]
    creating = time.perf_counter()
    cloner.insert(db, prepared, dues)
    analyze(db)
    del prepared
    created_at = datetime.now(timezone.utc)
    print(f"created            {count} waiting timers in {time.perf_counter() - creating:.1f} s; "
          f"due over {window:.0f} s ({count / window:.0f} per second)")
    if created_at > first_due:
        print("warning: creation overran the start of the window; early timers count as late")

    last_due = dues[-1]
    # A scheduler that has not caught up a window's length after the last due time is given up on.
    deadline = time.monotonic() + (last_due - datetime.now(timezone.utc)).total_seconds() + max(120.0, window)
    # Only waking fires (no polling sweep). Several schedulers (PostgreSQL) share the due rows
    # through FOR UPDATE SKIP LOCKED, as one per gunicorn worker would.
    running = [DubanScheduler(engine if n == 0 else Engine(sessions, node_id=f"bench-{n}"), safety_interval=3600)
               for n in range(schedulers)]
    running = [scheduler for scheduler in running if scheduler.start()]
    in_window = (Timer.status == "fired", Timer.due_at >= first_due, Timer.due_at <= last_due)
    try:
        while True:
            with sessions() as s:
                fired = s.scalar(select(func.count()).select_from(Timer).where(*in_window))
            if fired >= count:
                break
            if time.monotonic() > deadline:
                print(f"warning: gave up waiting: {fired} of {count} fired")
                break
            time.sleep(0.5 if count <= 20_000 else 2.0)
    finally:
        for scheduler in running:
            scheduler.shutdown()
    with sessions() as s:
        rows = s.execute(select(Timer.due_at, Timer.fired_at).where(*in_window)).all()
    db.dispose()
    if not rows:
        raise SystemExit("no timer fired")
    lateness = [(fired_at - due).total_seconds() for due, fired_at in rows]
    finished = max(fired_at for _, fired_at in rows)
    span = (finished - first_due).total_seconds()
    return {"count": count, "fired": len(rows), "window": window, "lateness": lateness,
            "drain": (finished - last_due).total_seconds(), "per_second": len(rows) / span if span > 0 else 0.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 timers over 10 s")
    parser.add_argument("--timers", type=int, help="one size: this many timers")
    parser.add_argument("--window", type=float, help="seconds over which the due times are spread (with --timers)")
    parser.add_argument("--schedulers", type=int, default=1,
                        help="schedulers firing side by side (PostgreSQL only; SQLite allows one)")
    args = parser.parse_args()
    if args.timers:
        sizes = [(args.timers, args.window or max(2.0, args.timers / 170))]
    else:
        sizes = list(QUICK if args.quick else SIZES)
        if args.window:
            sizes = [(count, args.window) for count, _ in sizes]

    url = os.environ.get("DATABASE_URL")
    postgres = bool(url and url.startswith("postgresql"))
    schedulers = max(1, args.schedulers) if postgres else 1
    print(f"database           {'postgresql' if postgres else 'sqlite'}")
    print(f"schedulers         {schedulers}")
    results = []
    for count, window in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(url or f"sqlite:///{tmp}/timers.sqlite", count, window, schedulers)
        late = result["lateness"]
        print(f"fired              {result['fired']} of {count} timers due over {window:.0f} s; all fired "
              f"{result['drain']:.2f} s after the last due time; {result['per_second']:.0f} fired/s")
        print(f"{count:>8} timers    lateness median {statistics.median(late) * 1000:.1f} ms, "
              f"p99 {percentile(late, 0.99) * 1000:.1f} ms, max {max(late) * 1000:.1f} ms")
        results.append(result)
    for result in results:
        late = result["lateness"]
        print(f"summary {result['count']:>7} timers over {result['window']:.0f} s: median "
              f"{statistics.median(late) * 1000:.1f} ms, p99 {percentile(late, 0.99):.3f} s, max {max(late):.3f} s, "
              f"{result['per_second']:.0f} fired/s")
    last = results[-1]
    print(f"lateness p99 ({last['count']} timers) {percentile(last['lateness'], 0.99):.3f} s")
    if any(r["fired"] < r["count"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    clock_module.install(clock_module.SystemClock())
    main()
