"""Timer start events: the deployed process starts itself on schedule (Camunda 7's semantics).

Deploying a version whose start event is a timer writes a timer row for the version (no
instance: `instance_id` empty, `definition_id` set) and cancels the older versions' rows. The
scheduler claims it like any due timer (FOR UPDATE SKIP LOCKED and a lease); firing it starts a
new instance of that version, whose start event fires at once, and moves the row to the next
due time: a cron's next match, an ISO cycle's next repetition (`R3/PT1H`: three in all), or
nothing for a date or a duration (they fire once). Starting such a process by command starts
it at once too, as Camunda's start by key does.
"""
import json
from datetime import datetime, timedelta

from sqlalchemy import select, update
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from engine import deadlines
from engine.bpmn import cron_timer
from engine.store.models import ProcessDefinition, Timer

KIND = "start"


def _timer_starts(spec) -> list:
    return [ts for ts in spec.task_specs.values()
            if isinstance(ts, StartEvent) and isinstance(getattr(ts, "event_definition", None), TimerEventDefinition)]


def _value(definition, calendar):
    from engine.bpmn.script_engine import SandboxEnvironment  # (the script engine imports the parser)
    return SandboxEnvironment(deadlines.script_functions(calendar)).evaluate(definition.expression, {})


def first_schedule(definition, now: datetime, calendar=None) -> tuple[datetime, dict] | None:
    """(first due time, what comes after it) of a start event's timer, from `now`."""
    value = _value(definition, calendar)
    if isinstance(definition, CycleTimerEventDefinition):
        if cron_timer.is_cron(value):
            return cron_timer.first_due(value.strip(), now), {"cron": value.strip()}
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
        if cycles == 0:
            return None
        if len(value.split("/")) == 2:  # R3/PT1H: from now (SpiffWorkflow would read the machine's clock)
            start = now + duration
        first = start if start > now else now
        return first, {"cycles": cycles - 1 if cycles > 0 else -1, "seconds": duration.total_seconds()}
    if isinstance(definition, DurationTimerEventDefinition):
        return deadlines.due_from(value, now, calendar), {}
    return deadlines.due_from(value, now, calendar), {}


def _following(schedule: dict, due: datetime, now: datetime) -> datetime | None:
    if "cron" in schedule:
        return cron_timer.next_due(schedule["cron"], now)  # matches missed meanwhile are skipped
    if schedule.get("cycles", 0) == 0:
        return None
    step = timedelta(seconds=schedule["seconds"])
    following = due + step
    while following <= now:  # the scheduler was down: the next repetition still to come
        following += step
    return following


def schedule(session, definition: ProcessDefinition, spec, now: datetime, calendar=None) -> None:
    """At deploy: this version's timer start events replace the older versions'."""
    older = select(ProcessDefinition.id).where(ProcessDefinition.process_id == definition.process_id,
                                               ProcessDefinition.id != definition.id)
    session.execute(update(Timer).where(Timer.definition_id.in_(older), Timer.instance_id.is_(None),
                                        Timer.status == "waiting")
                    .values(status="cancelled", locked_by=None, locked_until=None)
                    .execution_options(synchronize_session=False))
    for task_spec in _timer_starts(spec):
        first = first_schedule(task_spec.event_definition, now, calendar)
        if first is None:
            continue
        due, after = first
        session.add(Timer(instance_id=None, definition_id=definition.id, spiff_task_id="",
                          element_id=task_spec.bpmn_id, kind=KIND, due_at=due, status="waiting", attempts=0,
                          schedule=json.dumps(after)))


def fire(engine, ctx, timer: Timer) -> None:
    """Start an instance of the timer's version, and move the row on to its next due time."""
    definition = ctx.session.get(ProcessDefinition, timer.definition_id)
    instance = engine._start_in(ctx, definition.process_id, {}, None, definition.version,
                                start_event=(timer.element_id, None))
    ctx.audit("timer.fired", instance, element_id=timer.element_id,
              data={"due_at": timer.due_at.isoformat(), "node": engine.node_id})
    after = json.loads(timer.schedule or "{}")
    following = _following(after, timer.due_at, ctx.now)
    if after.get("cycles", -1) > 0:
        timer.schedule = json.dumps({**after, "cycles": after["cycles"] - 1})
    timer.locked_by = timer.locked_until = None
    timer.attempts = 0
    if following is None:
        timer.status, timer.fired_at = "fired", ctx.now
    else:
        timer.due_at = following
        ctx.due(following)


def only_timer_starts(spec) -> bool:
    """Whether every start event of the process is a timer (a start by command fires one at once)."""
    starts = [ts for ts in spec.task_specs.values() if isinstance(ts, StartEvent) and ts.inputs == [spec.start]]
    return bool(starts) and all(isinstance(getattr(ts, "event_definition", None), TimerEventDefinition)
                                for ts in starts)


def fire_start_event(workflow, element_id: str | None = None) -> bool:
    """Fire a new instance's waiting timer start event (the one named, or any) once, now."""
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        if not (isinstance(spec, StartEvent) and isinstance(getattr(spec, "event_definition", None),
                                                             TimerEventDefinition)):
            continue
        if element_id is not None and spec.bpmn_id != element_id:
            continue
        task._set_internal_data(event_fired=True)
        # A cycle's start event predicts nothing after itself (SpiffWorkflow adds a token per cycle).
        task._sync_children(spec.outputs, TaskState.FUTURE)
        for child in task.children:
            child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        spec._update(task)
        return True
    return False
