"""Timer firing: how late do 10,000 due timers fire with an idle scheduler?

Starts N instances of a process that waits on a timeDate timer, with due times
spread evenly over a window that begins after all instances exist; then starts
the scheduler (APScheduler, sleeping until the next due time) and waits until
every timer has fired. Lateness is fired_at - due_at per timer.

    python bench/timer_bench.py            # 10,000 timers over 60 s
    python bench/timer_bench.py --quick    # 1,000 timers over 10 s
    DATABASE_URL=postgresql+psycopg://... python bench/timer_bench.py

Prints total time and lateness median and p99; the p99 last.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_support import percentile  # noqa: E402

from sqlalchemy import func, select  # noqa: E402

from engine import clock as clock_module  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from engine.scheduler import DubanScheduler  # noqa: E402
from engine.store.database import make_engine, make_session_factory, upgrade  # noqa: E402
from engine.store.models import Timer  # noqa: E402
from tests import bpmn_builder as b  # noqa: E402

XML = b.process("timed", b.start(), b.timer_event("at_due", kind="timeDate", value="due"), b.user_task("after"),
                b.end(), *b.chain("start", "at_due", "after", "end"))



def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 timers over 10 s")
    parser.add_argument("--timers", type=int)
    parser.add_argument("--window", type=float, help="seconds over which the due times are spread")
    args = parser.parse_args()
    count = args.timers or (1000 if args.quick else 10_000)
    window = args.window or (10.0 if args.quick else 60.0)

    tmp = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/timers.sqlite"
    if url.startswith("postgresql"):
        from bench_support import reset_postgres
        reset_postgres(url)
    upgrade(url)
    db = make_engine(url)
    sessions = make_session_factory(db)
    engine = Engine(sessions, node_id="bench")
    engine.deploy(XML)

    # Calibrate creation speed so the window starts after the last instance exists.
    began = time.perf_counter()
    far = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    for _ in range(50):
        engine.start("timed", {"due": far})
    per_start = (time.perf_counter() - began) / 50
    first_due = datetime.now(timezone.utc) + timedelta(seconds=per_start * count * 1.5 + 3)
    spacing = window / count
    creating = time.perf_counter()
    for i in range(count):
        engine.start("timed", {"due": (first_due + timedelta(seconds=i * spacing)).isoformat()})
    created_at = datetime.now(timezone.utc)
    print(f"database           {url.split(':')[0]}")
    print(f"created            {count} waiting timers in {time.perf_counter() - creating:.1f} s")
    if created_at > first_due:
        print("warning: creation overran the start of the window; early timers count as late")

    scheduler = DubanScheduler(engine, safety_interval=3600)  # only waking fires: no polling
    scheduler.start()
    last_due = first_due + timedelta(seconds=(count - 1) * spacing)
    try:
        while True:
            with sessions() as s:
                fired = s.scalar(select(func.count()).select_from(Timer).where(
                    Timer.status == "fired", Timer.due_at >= first_due))
            if fired >= count:
                break
            time.sleep(0.5)
    finally:
        scheduler.shutdown()
    with sessions() as s:
        rows = s.execute(select(Timer.due_at, Timer.fired_at).where(
            Timer.status == "fired", Timer.due_at >= first_due)).all()
    lateness = [(fired - due).total_seconds() for due, fired in rows]
    finished = max(fired for _, fired in rows)
    print(f"fired              {len(rows)} timers due over {window:.0f} s; all fired "
          f"{(finished - last_due).total_seconds():.2f} s after the last due time")
    print(f"lateness median    {statistics.median(lateness) * 1000:.1f} ms")
    print(f"lateness max       {max(lateness) * 1000:.1f} ms")
    print(f"p99 {percentile(lateness, 0.99):.3f} s")
    db.dispose()


if __name__ == "__main__":
    clock_module.install(clock_module.SystemClock())
    main()
