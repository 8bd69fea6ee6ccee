"""Cron timeCycles as Camunda Modeler writes them (Quartz: seconds first, `?`, MON-FRI, 1 = Sunday),
counted in Beijing time from the engine's clock, fired by moving the clock (engine.bpmn.cron_timer)."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine.runtime import Engine
from engine.store.models import HumanTask, Incident, ProcessInstance, Timer
from engine.workcal import CHINA_TZ
from tests import bpmn_builder as b
from tests.conftest import START
from tests.helpers import OFFICER, open_tasks

EVERY_FIVE_SECONDS = "0/5 0/1 * 1/1 * ?"  # the example, as Camunda Modeler's template writes it
WEEKDAYS_AT_NINE = "0 0 9 ? * MON-FRI"


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)


def timers(session_factory, instance_id, status=None):
    with session_factory() as s:
        query = select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id)
        if status:
            query = query.where(Timer.status == status)
        return s.scalars(query).all()


def open_names(session_factory, instance_id):
    return sorted(t.element_id for t in open_tasks(session_factory, instance_id))


def _waiting_on(cron):
    return b.process("cron_wait", b.start(), b.as_modeler_writes(b.timer_event("wait", kind="timeCycle", value=cron)),
                     b.user_task("after"), b.end(), *b.chain("start", "wait", "after", "end"))


def _reminding(cron, interrupting=False):
    return b.process("cron_remind", b.start(), b.user_task("verify"),
                     b.as_modeler_writes(b.boundary_timer("remind", "verify", value=cron, interrupting=interrupting,
                                                          kind="timeCycle")),
                     b.user_task("reminder"), b.end("done"), b.end("reminded"),
                     *b.chain("start", "verify", "done"), *b.chain("remind", "reminder", "reminded"))


@pytest.mark.parametrize("cron, first_due", [
    (EVERY_FIVE_SECONDS, beijing(2026, 3, 2, 9, 0, 5)),
    (WEEKDAYS_AT_NINE, beijing(2026, 3, 3, 9, 0)),       # not again today at nine: strictly after now
    ("0 30 8 ? * 2-6", beijing(2026, 3, 3, 8, 30)),      # Quartz counts 1 = SUN, so 2-6 is MON-FRI
    ("0 0 9 ? * 1", beijing(2026, 3, 8, 9, 0)),          # 1 = Sunday
    ("0 0 9 ? * 7", beijing(2026, 3, 7, 9, 0)),          # 7 = Saturday
    ("0 0 10 ? * 6L", beijing(2026, 3, 27, 10, 0)),      # the month's last Friday
    ("0 0 9 ? * 6#3", beijing(2026, 3, 20, 9, 0)),       # its third Friday
    ("0 0 18 L * ?", beijing(2026, 3, 31, 18, 0)),       # its last day
    ("0 0 9 15W * ?", beijing(2026, 3, 16, 9, 0)),       # the weekday nearest the 15th (a Sunday)
    ("0 0 9 1 JAN ? 2027", beijing(2027, 1, 1, 9, 0)),   # with the optional year
    ("0 15 10 ? * mon-fri", beijing(2026, 3, 2, 10, 15)),
])
def test_camunda_cron_cycles_deploy_and_fall_due_at_their_next_match_in_beijing_time(
        engine, session_factory, cron, first_due):
    assert START.astimezone(CHINA_TZ) == beijing(2026, 3, 2, 9, 0)  # what first_due counts from: a Monday
    engine.deploy(_waiting_on(cron))
    instance_id = engine.start("cron_wait")
    [timer] = timers(session_factory, instance_id)
    assert timer.status == "waiting" and timer.element_id == "wait"
    assert timer.due_at == first_due


def test_an_intermediate_cron_timer_fires_once_at_its_next_match(engine, session_factory, clock):
    engine.deploy(_waiting_on(WEEKDAYS_AT_NINE))
    instance_id = engine.start("cron_wait")
    clock.set(beijing(2026, 3, 3, 8, 59, 59))
    assert engine.fire_due_timers() == 0
    assert open_tasks(session_factory, instance_id) == []
    clock.set(beijing(2026, 3, 3, 9, 0, 1))
    assert engine.fire_due_timers() == 1
    assert open_names(session_factory, instance_id) == ["after"]
    assert [t.status for t in timers(session_factory, instance_id)] == ["fired"]  # once: no next match waits
    clock.advance(days=7)
    assert engine.fire_due_timers() == 0
    [task] = open_tasks(session_factory, instance_id)
    engine.complete(task.id, OFFICER, {})
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "completed"


def test_a_non_interrupting_boundary_cron_fires_repeatedly_until_its_task_completes(engine, session_factory, clock):
    engine.deploy(_reminding(EVERY_FIVE_SECONDS))
    instance_id = engine.start("cron_remind")
    [first] = timers(session_factory, instance_id, "waiting")
    assert first.due_at == START + timedelta(seconds=5)
    clock.advance(seconds=6)
    assert engine.fire_due_timers() == 1
    assert open_names(session_factory, instance_id) == ["reminder", "verify"]
    [second] = timers(session_factory, instance_id, "waiting")
    assert second.due_at == START + timedelta(seconds=10)
    # Another process (another engine, nothing cached) fires the next one; each firing happens once.
    other = Engine(session_factory, clock=clock, node_id="other-node")
    clock.advance(seconds=5)
    assert other.fire_due_timers() + engine.fire_due_timers() == 1
    assert open_names(session_factory, instance_id) == ["reminder", "reminder", "verify"]
    # Matches missed while nothing fired are skipped, as in Camunda: one reminder, then the next match.
    clock.advance(minutes=1, seconds=2)  # 09:01:13
    assert engine.fire_due_timers() == 1
    assert open_names(session_factory, instance_id) == ["reminder", "reminder", "reminder", "verify"]
    [waiting] = timers(session_factory, instance_id, "waiting")
    assert waiting.due_at == beijing(2026, 3, 2, 9, 1, 15)
    # The task done, the cycle stops.
    [verify] = [t for t in open_tasks(session_factory, instance_id) if t.element_id == "verify"]
    engine.complete(verify.id, OFFICER, {})
    assert timers(session_factory, instance_id, "waiting") == []
    assert timers(session_factory, instance_id)[-1].status == "cancelled"
    clock.advance(minutes=5)
    assert engine.fire_due_timers() == 0
    assert open_names(session_factory, instance_id) == ["reminder", "reminder", "reminder"]
    assert [t.status for t in timers(session_factory, instance_id)] == ["fired", "fired", "fired", "cancelled"]
    for reminder in open_tasks(session_factory, instance_id):  # the reminders outlive the task, as in Camunda
        engine.complete(reminder.id, OFFICER, {})
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "completed"


def test_an_interrupting_boundary_cron_cancels_its_task_at_the_next_match(engine, session_factory, clock):
    engine.deploy(_reminding(WEEKDAYS_AT_NINE, interrupting=True))
    instance_id = engine.start("cron_remind")
    [verify] = open_tasks(session_factory, instance_id)
    clock.set(beijing(2026, 3, 3, 9, 0, 1))
    assert engine.fire_due_timers() == 1
    assert open_names(session_factory, instance_id) == ["reminder"]
    with session_factory() as s:
        assert s.get(HumanTask, verify.id).status == "cancelled"
    assert [t.status for t in timers(session_factory, instance_id)] == ["fired"]
    clock.advance(days=1)
    assert engine.fire_due_timers() == 0
    [reminder] = open_tasks(session_factory, instance_id)
    engine.complete(reminder.id, OFFICER, {})
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "completed"


def _instances(session_factory, process_id):
    with session_factory() as s:
        return s.scalars(select(ProcessInstance).where(ProcessInstance.process_id == process_id)
                         .order_by(ProcessInstance.id)).all()


def _start_timers(session_factory):
    with session_factory() as s:
        return s.scalars(select(Timer).where(Timer.instance_id.is_(None)).order_by(Timer.id)).all()


def test_a_timer_start_event_with_a_cron_cycle_starts_an_instance_at_every_match(engine, session_factory, clock):
    # As in Camunda: deploying schedules the process; each match starts an instance of its own.
    engine.deploy(b.process("daily_check", b.timer_start("start", "0 0 10 ? * MON-FRI"), b.user_task("check"),
                            b.end(), *b.chain("start", "check", "end")))
    [row] = _start_timers(session_factory)
    assert (row.due_at, row.status) == (beijing(2026, 3, 2, 10, 0), "waiting")
    assert _instances(session_factory, "daily_check") == []
    clock.set(beijing(2026, 3, 2, 10, 0, 1))
    assert engine.fire_due_timers() == 1
    [first] = _instances(session_factory, "daily_check")
    assert open_names(session_factory, first.id) == ["check"]
    assert _start_timers(session_factory)[0].due_at == beijing(2026, 3, 3, 10, 0)
    clock.set(beijing(2026, 3, 6, 10, 0, 1))  # Friday; Tuesday to Thursday were missed (skipped)
    assert engine.fire_due_timers() == 1
    assert len(_instances(session_factory, "daily_check")) == 2
    assert _start_timers(session_factory)[0].due_at == beijing(2026, 3, 9, 10, 0)  # not on the weekend
    task = open_tasks(session_factory, first.id)[0]
    engine.complete(task.id, OFFICER, {})
    with session_factory() as s:
        assert s.get(ProcessInstance, first.id).status == "completed"  # each instance runs once


def test_a_new_version_replaces_the_start_timer_and_an_iso_cycle_runs_out(engine, session_factory, clock):
    xml = b.process("thrice", b.timer_start("start", "R3/PT1H"), b.user_task("check"), b.end(),
                    *b.chain("start", "check", "end"))
    engine.deploy(xml)
    engine.deploy(xml.replace(b'name="check"', b'name="check v2"'))
    waiting = [t for t in _start_timers(session_factory) if t.status == "waiting"]
    assert len(waiting) == 1 and waiting[0].due_at == START + timedelta(hours=1)
    for _ in range(4):
        clock.advance(hours=1, seconds=1)
        engine.fire_due_timers()
    instances = _instances(session_factory, "thrice")
    assert len(instances) == 3 and {i.definition.version for i in instances} == {2}
    assert [t.status for t in _start_timers(session_factory)] == ["cancelled", "fired"]


def test_a_process_with_a_timer_start_started_by_command_starts_at_once(engine, session_factory, clock):
    engine.deploy(b.process("on_date", b.timer_start("start", "2026-03-05T09:00:00+08:00", kind="timeDate"),
                            b.user_task("check"), b.end(), *b.chain("start", "check", "end")))
    instance_id = engine.start("on_date")
    assert open_names(session_factory, instance_id) == ["check"]
    clock.set(beijing(2026, 3, 5, 9, 0, 1))
    assert engine.fire_due_timers() == 1
    assert len(_instances(session_factory, "on_date")) == 2
    assert [t.status for t in _start_timers(session_factory)] == ["fired"]


def test_a_cycle_expression_may_give_a_cron_or_an_iso_cycle(engine, session_factory, clock):
    engine.deploy(_reminding("${reminder_cycle}"))
    hourly = engine.start("cron_remind", {"reminder_cycle": "0 0 * ? * *"})
    iso = engine.start("cron_remind", {"reminder_cycle": "R2/PT1H"})
    assert [t.due_at for t in timers(session_factory, hourly)] == [beijing(2026, 3, 2, 10, 0)]
    assert [t.due_at for t in timers(session_factory, iso)] == [START + timedelta(hours=1)]
    clock.advance(hours=1, seconds=1)
    assert engine.fire_due_timers() == 2
    assert open_names(session_factory, hourly) == open_names(session_factory, iso) == ["reminder", "verify"]
    assert [t.due_at for t in timers(session_factory, hourly, "waiting")] == [beijing(2026, 3, 2, 11, 0)]


def test_a_cron_expression_value_that_cannot_run_is_an_incident_naming_the_timer(engine, session_factory):
    engine.deploy(_reminding("${reminder_cycle}"))
    instance_id = engine.start("cron_remind", {"reminder_cycle": "0 0 9 * * MON-FRI"})
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "error"
        [incident] = s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()
    assert incident.element_id == "remind"
    assert "exactly one of day-of-month (*) and day-of-week (MON-FRI) must be '?'" in incident.message


@pytest.mark.parametrize("cron, words", [
    ("0 0 9 * * MON-FRI", "exactly one of day-of-month (*) and day-of-week (MON-FRI) must be '?'"),
    ("0 0 9 ? * ?", "exactly one of day-of-month (?) and day-of-week (?) must be '?'"),
    ("0 9 * * 1-5", "a cron cycle has 6 or 7 fields"),
    ("0 0 25 ? * MON", "hour '25': is not acceptable, out of range"),
    ("0 0 9 ? * 8", "day-of-week '8' is not a day: Quartz counts 1 = SUN to 7 = SAT"),
    ("0 0 9 ? * MOM", "MOM is not one of SUN, MON"),
    ("0 0 9 LW * ?", "LW and L-n are not supported"),
    ("0 0 9 30 2 ?", "does not fall due within 5 years"),
    ("0 0 9 ? * * 2099", "does not fall due within 5 years"),
    ("0 0 9 1 1 ? 2031", "more than 1500 days"),
    ("${'0 0 9 * * MON-FRI'}", "must be '?'"),  # an expression that names no variable is checked too
])
def test_a_cron_cycle_that_cannot_run_is_refused_at_deploy_naming_the_element(engine, cron, words):
    with pytest.raises(Exception) as info:
        engine.deploy(_reminding(cron), "cron.bpmn")
    [problem] = info.value.problems
    assert problem.element_id == "remind" and problem.file == "cron.bpmn"
    assert problem.message.startswith("timer cycle ") and words in problem.message, problem.message
