"""The scheduler wakes at due times, catches up after downtime, and fires each
timer once across processes and crashes."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from engine import clock as clock_module
from engine.runtime import Engine
from engine.scheduler import DubanScheduler
from engine.store.models import AuditEvent, HumanTask, ProcessInstance, Timer
from tests import bpmn_builder as b

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
on_postgres = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                                 reason="several processes need PostgreSQL")


def wait_for(condition, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def _timer_process(engine, duration):
    engine.deploy(b.process("wait", b.start(), b.timer_event("t", value=duration), b.user_task("after"), b.end(),
                            *b.chain("start", "t", "after", "end")))


def _open_count(session_factory):
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open"))


@pytest.fixture
def real_clock():
    clock_module.install(clock_module.SystemClock())
    yield
    clock_module.install(clock_module.SystemClock())


def test_idle_scheduler_wakes_for_a_newly_written_timer(session_factory, real_clock):
    engine = Engine(session_factory, node_id="wake-test")
    scheduler = DubanScheduler(engine, safety_interval=3600)  # only waking can fire it in time
    _timer_process(engine, "PT1S")
    assert scheduler.start()
    try:
        engine.start("wait")
        # The safety sweep is an hour away: only the re-armed wake-up can fire it now.
        assert wait_for(lambda: _open_count(session_factory) == 1, timeout=30)
    finally:
        scheduler.shutdown()


def test_timers_that_came_due_while_the_app_was_down_fire_at_start_up(session_factory, real_clock):
    engine = Engine(session_factory, node_id="catch-up")
    _timer_process(engine, "PT1H")
    clock_module.install(clock_module.ManualClock(datetime.now(timezone.utc) - timedelta(hours=2)))
    for _ in range(3):
        engine.start("wait")  # due an hour ago, by the real clock
    clock_module.install(clock_module.SystemClock())
    scheduler = DubanScheduler(engine, safety_interval=3600)
    assert scheduler.start()
    try:
        assert wait_for(lambda: _open_count(session_factory) == 3, timeout=5)
    finally:
        scheduler.shutdown()


def test_sqlite_runs_one_scheduler_per_database_and_says_so(session_factory, real_clock, caplog):
    if session_factory.kw["bind"].dialect.name != "sqlite":
        pytest.skip("the single-scheduler lock is for SQLite")
    first = DubanScheduler(Engine(session_factory, node_id="one"), safety_interval=3600)
    second = DubanScheduler(Engine(session_factory, node_id="two"), safety_interval=3600)
    assert first.start()
    try:
        with caplog.at_level("WARNING"):
            assert not second.start()
        assert "another process already runs the scheduler" in caplog.text
    finally:
        first.shutdown()


def _due_timers(engine, count):
    """`count` instances whose timers are due now by the real clock."""
    _timer_process(engine, "PT1H")
    clock_module.install(clock_module.ManualClock(datetime.now(timezone.utc) - timedelta(hours=1, seconds=1)))
    for _ in range(count):
        engine.start("wait")
    clock_module.install(clock_module.SystemClock())


def _worker(database_url, node, lease=60.0):
    return subprocess.Popen(
        [sys.executable, "-m", "engine.worker", "--database-url", database_url, "--until-idle",
         "--node-id", node, "--lease-seconds", str(lease)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _assert_each_fired_once(session_factory, count):
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Timer).where(Timer.status == "fired")) == count
        assert s.scalar(select(func.count()).select_from(Timer).where(Timer.status == "waiting")) == 0
        fired = s.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer.fired")).all()
        assert len(fired) == len(set(fired)) == count
        # Each instance moved exactly once after its start: lock version 2, one open task.
        versions = s.scalars(select(ProcessInstance.lock_version)).all()
        assert set(versions) == {2}
        assert s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open")) == count


@on_postgres
def test_two_processes_fire_a_thousand_timers_each_exactly_once(engine, session_factory, database_url, real_clock):
    _due_timers(engine, 1000)
    workers = [_worker(database_url, f"node-{n}") for n in (1, 2)]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    _assert_each_fired_once(session_factory, 1000)
    with session_factory() as s:
        nodes = [e.data["node"] for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "timer.fired"))]
    print({node: nodes.count(node) for node in set(nodes)})
    assert set(nodes) == {"node-1", "node-2"} and len(nodes) == 1000  # both took part, none twice


@on_postgres
def test_a_worker_killed_mid_sweep_loses_nothing_and_fires_nothing_twice(engine, session_factory, database_url,
                                                                         real_clock):
    _due_timers(engine, 400)
    victim = _worker(database_url, "victim", lease=2.0)
    assert wait_for(lambda: _open_count(session_factory) >= 50, timeout=60)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    assert _open_count(session_factory) < 400, "the kill came too late to interrupt the sweep"
    time.sleep(2.5)  # the victim's leases expire
    survivor = _worker(database_url, "survivor", lease=2.0)
    output = survivor.communicate(timeout=300)[0]
    assert survivor.returncode == 0, output
    _assert_each_fired_once(session_factory, 400)
