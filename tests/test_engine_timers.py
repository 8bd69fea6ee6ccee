"""Timers are rows with due times, fired by moving the clock."""
from datetime import timedelta

from sqlalchemy import select

from engine.store.models import AuditEvent, ProcessInstance, Timer
from tests import bpmn_builder as b
from tests.helpers import OFFICER, open_tasks


def timers(session_factory, instance_id, status=None):
    with session_factory() as s:
        query = select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id)
        if status:
            query = query.where(Timer.status == status)
        return s.scalars(query).all()


def test_intermediate_timer_waits_then_fires_when_the_clock_passes_its_due_time(engine, session_factory, clock):
    xml = b.process("wait", b.start(), b.timer_event("cool_off", value="P3D"), b.user_task("after"), b.end(),
                    *b.chain("start", "cool_off", "after", "end"))
    engine.deploy(xml)
    instance_id = engine.start("wait")
    [timer] = timers(session_factory, instance_id)
    assert timer.status == "waiting" and timer.due_at == clock.now() + timedelta(days=3)
    assert timer.element_id == "cool_off"
    clock.advance(days=2)
    assert engine.fire_due_timers() == 0
    assert open_tasks(session_factory, instance_id) == []
    clock.advance(days=1, seconds=1)
    assert engine.fire_due_timers() == 1
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["after"]
    assert timers(session_factory, instance_id)[0].status == "fired"
    assert engine.fire_due_timers() == 0  # nothing fires twice


def test_iso_datetime_timer(engine, session_factory, clock):
    xml = b.process("at", b.start(), b.timer_event("at_nine", kind="timeDate", value="2026-03-10T09:00:00+08:00"),
                    b.user_task("after"), b.end(), *b.chain("start", "at_nine", "after", "end"))
    engine.deploy(xml)
    instance_id = engine.start("at")
    assert timers(session_factory, instance_id)[0].due_at.isoformat() == "2026-03-10T01:00:00+00:00"
    clock.set(timers(session_factory, instance_id)[0].due_at + timedelta(seconds=1))
    assert engine.fire_due_timers() == 1
    assert open_tasks(session_factory, instance_id)[0].element_id == "after"


def test_interrupting_boundary_timer_cancels_the_task(engine, session_factory, clock):
    xml = b.process("deadline", b.start(), b.user_task("verify", groups="market"),
                    b.boundary_timer("overdue", "verify", value="P15D"), b.user_task("escalate", groups="office"),
                    b.end("done"), b.end("late"), *b.chain("start", "verify", "done"),
                    *b.chain("overdue", "escalate", "late"))
    engine.deploy(xml)
    instance_id = engine.start("deadline")
    [verify] = open_tasks(session_factory, instance_id)
    clock.advance(days=15, minutes=1)
    assert engine.fire_due_timers() == 1
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["escalate"]
    with session_factory() as s:
        assert s.get(type(verify), verify.id).status == "cancelled"


def test_boundary_timer_is_cancelled_when_the_task_completes_in_time(engine, session_factory, clock):
    xml = b.process("deadline", b.start(), b.user_task("verify"), b.boundary_timer("overdue", "verify", value="P1D"),
                    b.end("done"), b.end("late"), *b.chain("start", "verify", "done"), b.flow("overdue", "late"))
    engine.deploy(xml)
    instance_id = engine.start("deadline")
    engine.complete(open_tasks(session_factory, instance_id)[0].id, OFFICER, {})
    assert [t.status for t in timers(session_factory, instance_id)] == ["cancelled"]
    clock.advance(days=2)
    assert engine.fire_due_timers() == 0


def test_non_interrupting_cycle_timer_reminds_while_the_task_stays_open(engine, session_factory, clock):
    engine.deploy(b.process(
        "reminders", b.start(), b.user_task("verify"),
        b.boundary_timer("remind", "verify", value="R2/P1D", interrupting=False, kind="timeCycle"),
        b.user_task("reminder_ack"), b.end("done"), b.end("r_end"),
        *b.chain("start", "verify", "done"), *b.chain("remind", "reminder_ack", "r_end")))
    instance_id = engine.start("reminders")
    first_due = timers(session_factory, instance_id)[0].due_at
    assert first_due == clock.now() + timedelta(days=1)
    clock.advance(days=1, seconds=1)
    assert engine.fire_due_timers() == 1
    names = sorted(t.element_id for t in open_tasks(session_factory, instance_id))
    assert names == ["reminder_ack", "verify"]
    [waiting] = timers(session_factory, instance_id, "waiting")
    assert waiting.due_at == first_due + timedelta(days=1)
    clock.advance(days=1)
    assert engine.fire_due_timers() == 1
    assert sorted(t.element_id for t in open_tasks(session_factory, instance_id)) == [
        "reminder_ack", "reminder_ack", "verify"]
    assert timers(session_factory, instance_id, "waiting") == []  # R2: two cycles only


def test_timer_inside_a_subprocess(engine, session_factory, clock):
    xml = b.process("sub", b.start(),
                    b.subprocess("inner", b.start("s2"), b.timer_event("wait_inside", value="PT2H"),
                                 b.user_task("inside_task"), b.end("e2"),
                                 *b.chain("s2", "wait_inside", "inside_task", "e2")),
                    b.end(), *b.chain("start", "inner", "end"))
    engine.deploy(xml)
    instance_id = engine.start("sub")
    [timer] = timers(session_factory, instance_id)
    assert timer.element_id == "wait_inside" and timer.due_at == clock.now() + timedelta(hours=2)
    clock.advance(hours=2, seconds=1)
    assert engine.fire_due_timers() == 1
    [task] = open_tasks(session_factory, instance_id)
    engine.complete(task.id, OFFICER, {})
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "completed"


def test_timer_expression_is_evaluated_against_instance_data(engine, session_factory, clock):
    xml = b.process("expr", b.start(), b.timer_event("wait", value="wait_for"), b.user_task("after"), b.end(),
                    *b.chain("start", "wait", "after", "end"))
    engine.deploy(xml)
    instance_id = engine.start("expr", {"wait_for": "PT5H"})
    assert timers(session_factory, instance_id)[0].due_at == clock.now() + timedelta(hours=5)


def test_fired_timers_are_audited_and_survive_a_restart(engine, session_factory, clock):
    from engine.runtime import Engine
    xml = b.process("wait", b.start(), b.timer_event("cool_off", value="PT1H"), b.user_task("after"), b.end(),
                    *b.chain("start", "cool_off", "after", "end"))
    engine.deploy(xml)
    ids = [engine.start("wait") for _ in range(3)]
    clock.advance(hours=2)
    restarted = Engine(session_factory, clock=clock, node_id="after-restart")
    assert restarted.fire_due_timers(limit=2) == 3  # batches until nothing is due
    with session_factory() as s:
        fired = s.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer.fired")).all()
        assert sorted(fired) == sorted(ids)


def test_an_expired_lease_from_a_crashed_node_is_taken_over(engine, session_factory, clock):
    from engine.runtime import Engine
    xml = b.process("wait", b.start(), b.timer_event("t", value="PT1H"), b.user_task("after"), b.end(),
                    *b.chain("start", "t", "after", "end"))
    engine.deploy(xml)
    instance_id = engine.start("wait")
    clock.advance(hours=2)
    crashed = Engine(session_factory, clock=clock, node_id="crashed")
    assert crashed._claim_due_timers(clock.now(), 10)  # claimed, then the node died
    survivor = Engine(session_factory, clock=clock, node_id="survivor")
    assert survivor.fire_due_timers() == 0  # lease still held
    clock.advance(minutes=2)
    assert survivor.fire_due_timers() == 1
    assert open_tasks(session_factory, instance_id)[0].element_id == "after"


def test_an_open_reminder_survives_when_the_reminded_task_completes(engine, session_factory, clock):
    # SpiffWorkflow's own ISO cycle dropped the reminder's token when the task completed (a crash at
    # the officer's completion); now each firing is an event of its own, as with cron.
    engine.deploy(b.process(
        "reminders", b.start(), b.user_task("verify"),
        b.boundary_timer("remind", "verify", value="R5/PT1H", interrupting=False, kind="timeCycle"),
        b.user_task("reminder_ack"), b.end("done"), b.end("r_end"),
        *b.chain("start", "verify", "done"), *b.chain("remind", "reminder_ack", "r_end")))
    instance_id = engine.start("reminders")
    clock.advance(hours=1, seconds=1)
    assert engine.fire_due_timers() == 1
    verify = next(t for t in open_tasks(session_factory, instance_id) if t.element_id == "verify")
    engine.complete(verify.id, OFFICER, {})
    [reminder] = open_tasks(session_factory, instance_id)
    assert reminder.element_id == "reminder_ack"
    assert timers(session_factory, instance_id, "waiting") == []
    engine.complete(reminder.id, OFFICER, {})
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "completed"


def test_an_interrupting_iso_cycle_fires_once_and_interrupts(engine, session_factory, clock):
    engine.deploy(b.process(
        "chase", b.start(), b.user_task("verify"),
        b.boundary_timer("late", "verify", value="R3/PT2H", interrupting=True, kind="timeCycle"),
        b.user_task("escalate"), b.end("done"), b.end("e_end"),
        *b.chain("start", "verify", "done"), *b.chain("late", "escalate", "e_end")))
    instance_id = engine.start("chase")
    clock.advance(hours=2, seconds=1)
    assert engine.fire_due_timers() == 1
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["escalate"]
    assert timers(session_factory, instance_id, "waiting") == []
