"""Deadlines and timers counted in working days (工作日) through the engine."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from engine.store.calendar_models import CalendarOverride
from engine.store.models import Timer
from tests import bpmn_builder as b
from tests.helpers import open_tasks

# Friday 26 September 2025, 09:00 Beijing: National Day (1–8 Oct) and the
# 调休 working Sunday 28 Sep and Saturday 11 Oct lie ahead.
BEFORE_NATIONAL_DAY = datetime(2025, 9, 26, 1, 0, tzinfo=timezone.utc)
# Working-day deadlines end at 18:00 Beijing (10:00 UTC) of their last working day.
END_OF_23_OCTOBER = datetime(2025, 10, 23, 10, 0, tzinfo=timezone.utc)
END_OF_9_OCTOBER = datetime(2025, 10, 9, 10, 0, tzinfo=timezone.utc)


def test_user_task_due_in_working_days_skips_national_day(engine, session_factory, clock):
    clock.set(BEFORE_NATIONAL_DAY)
    engine.deploy(b.sequential("lead", n=1, due="P15WD"))
    instance_id = engine.start("lead")
    [task] = open_tasks(session_factory, instance_id)
    assert task.due_at == END_OF_23_OCTOBER


def test_working_day_timer_fires_after_the_holiday(engine, session_factory, clock):
    clock.set(BEFORE_NATIONAL_DAY)
    engine.deploy(b.process("wd_wait", b.start(), b.timer_event("wait", value="P4WD"), b.user_task("after"), b.end(),
                            *b.chain("start", "wait", "after", "end")))
    instance_id = engine.start("wd_wait")
    with session_factory() as s:
        due = s.scalars(select(Timer.due_at).where(Timer.instance_id == instance_id)).one()
    # Sun 28 Sep (调休), Mon 29, Tue 30 Sep, then Thu 9 Oct, at the end of the working day.
    assert due == END_OF_9_OCTOBER
    clock.set(datetime(2025, 10, 9, 9, 59, tzinfo=timezone.utc))  # 17:59 Beijing: not yet
    assert engine.fire_due_timers() == 0
    clock.set(datetime(2025, 10, 9, 10, 1, tzinfo=timezone.utc))
    assert engine.fire_due_timers() == 1
    assert open_tasks(session_factory, instance_id)[0].element_id == "after"


def test_local_override_day_off_moves_the_deadline(engine, session_factory, clock):
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))  # Monday
    with session_factory() as s, s.begin():
        s.add(CalendarOverride(day=date(2026, 3, 3), is_workday=False, note="local flood day"))
    engine.forget_calendar()
    engine.deploy(b.sequential("lead", n=1, due="P1WD"))
    [task] = open_tasks(session_factory, engine.start("lead"))
    assert task.due_at == datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)  # Wednesday 18:00 Beijing


def test_a_task_sent_at_any_minute_is_due_at_the_end_of_its_last_working_day(engine, session_factory, clock):
    engine.deploy(b.sequential("lead", n=1, due="P2WD"))
    for sent in (datetime(2026, 3, 1, 20, 6, tzinfo=timezone.utc), datetime(2026, 3, 2, 9, 59, tzinfo=timezone.utc)):
        clock.set(sent)  # Monday 04:06 and 17:59 Beijing
        [task] = open_tasks(session_factory, engine.start("lead"))
        assert task.due_at == datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)  # Wednesday 18:00 Beijing


def test_scripts_can_compute_working_day_deadlines(engine, session_factory, clock):
    clock.set(BEFORE_NATIONAL_DAY)
    engine.deploy(b.process("dl", b.start(), b.script_task("set_deadline", "feedback_deadline = workdays_after(15)"),
                            b.user_task("verify", due="${feedback_deadline}"), b.end(),
                            *b.chain("start", "set_deadline", "verify", "end")))
    [task] = open_tasks(session_factory, engine.start("dl"))
    assert task.due_at == END_OF_23_OCTOBER


def test_a_duration_held_in_a_variable_may_be_in_working_days(engine, session_factory, clock):
    clock.set(BEFORE_NATIONAL_DAY)
    engine.deploy(b.process("var_wait", b.start(), b.timer_event("wait", value="${lookback_after}"),
                            b.user_task("after"), b.end(), *b.chain("start", "wait", "after", "end")))
    instance_id = engine.start("var_wait", {"lookback_after": "P4WD"})
    with session_factory() as s:
        due = s.scalars(select(Timer.due_at).where(Timer.instance_id == instance_id)).one()
    assert due == END_OF_9_OCTOBER
    other = engine.start("var_wait", {"lookback_after": "PT3H"})
    with session_factory() as s:
        assert s.scalars(select(Timer.due_at).where(Timer.instance_id == other)).one() == clock.now() + timedelta(hours=3)
