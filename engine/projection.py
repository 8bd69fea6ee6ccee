"""After every save: write the open user tasks and the waiting timers of an
instance to their tables, so inboxes and the scheduler never read the JSON."""
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, delete, select
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine import deadlines
from engine.store import deferred_rows, row_writes
from engine.store.models import HumanTask, TaskCandidate, Timer


_DELETE_CANDIDATES = delete(TaskCandidate.__table__).where(TaskCandidate.task_id == bindparam("task_id"))


@dataclass
class Change:
    """Something that happened in a save, for the audit trail and listeners."""
    action: str
    task: HumanTask | None = None
    timer: Timer | None = None


def human_spec(task_spec) -> dict | None:
    return (getattr(task_spec, "extensions", None) or {}).get("human")


def _priority(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 50


def _new_human_task(session, instance, spiff_task, now, evaluate, calendar, ladder_for) -> HumanTask:
    human = human_spec(spiff_task.task_spec)
    ev = lambda text: evaluate(spiff_task, text)  # noqa: E731
    literal_or_eval = lambda text: ev(text) if text and text.strip().startswith(("${", "#{")) else text  # noqa: E731
    groups = [str(g) for g in (literal_or_eval(g) for g in human["candidate_groups"]) if g]
    users = [str(u) for u in (literal_or_eval(u) for u in human["candidate_users"]) if u]
    assignee = literal_or_eval(human.get("assignee"))
    row = dict(
        instance_id=instance.id,
        spiff_task_id=str(spiff_task.id),
        process_id=instance.process_id,
        element_id=spiff_task.task_spec.bpmn_id,
        name=spiff_task.task_spec.bpmn_name or spiff_task.task_spec.bpmn_id,
        form_key=human.get("form_key"),
        assignee=str(assignee) if assignee else None,
        candidate_users=",".join(users),
        candidate_groups=",".join(groups),
        priority=_priority(literal_or_eval(human.get("priority"))),
        created_at=now,
        due_at=deadlines.resolve_due_at(human.get("due_date"), now, ev, calendar),
        status="open",
        # The task's own ladder if its BPMN sets one, else what the engine says (settings, default).
        ladder=((spiff_task.task_spec.extensions or {}).get("escalation")
                or ladder_for(instance.process_id, spiff_task.task_spec.bpmn_id)),
    )
    task = row_writes.insert_task(session, row, instance)
    add_candidates(session, task, groups, users)
    return task


def close_task(session, task: HumanTask, values: dict) -> None:
    """Write what changed of `values` (status, completed_at, completed_by) to the task's row."""
    changed = {key: value for key, value in values.items() if getattr(task, key) != value}
    if changed:
        row_writes.update_task(session, task, **changed)


def add_candidates(session, task: HumanTask, groups, users) -> None:
    """Candidate rows go out with the flush that gives a new task its id (engine.store.deferred_rows)."""
    for kind, names in (("group", groups), ("user", users)):
        for name in names:
            deferred_rows.append(session, deferred_rows.CandidateRow(task, kind, name))


def replace_candidates(session, task: HumanTask, groups: list[str], user: str | None) -> None:
    """转办: the task's candidates become `groups` and `user`, in its row and its candidate rows."""
    task.assignee = user or None
    task.candidate_groups = ",".join(groups)
    task.candidate_users = user or ""
    session.connection().execute(_DELETE_CANDIDATES, {"task_id": task.id})
    add_candidates(session, task, groups, [user] if user else [])


def ready_user_task_ids(workflow) -> set[str]:
    return {str(t.id) for t in workflow.get_tasks(state=TaskState.READY)
            if t.task_spec.manual and human_spec(t.task_spec) is not None}


def sync_tasks(session, instance, workflow, now: datetime, evaluate, calendar=None,
               ready_before: set[str] | None = None, known_rows: dict | None = None,
               completed_by: str | None = None, ladder_for=lambda process_id, element_id: None) -> list[Change]:
    """Insert rows for newly ready user tasks; close rows whose task moved on.

    Every ready user task has an open row after each save, so only the
    difference between the ready tasks before and after this step needs
    writing; `ready_before=None` compares against the table instead.
    """
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY)
             if t.task_spec.manual and human_spec(t.task_spec) is not None}
    known_rows = known_rows or {}
    if ready_before is None:
        rows = [] if instance.id is None else session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")).all()
    else:
        gone = ready_before - set(ready)
        rows = [known_rows[i] for i in gone if i in known_rows]
        missing = [i for i in gone if i not in known_rows]
        if missing:
            rows += session.scalars(select(HumanTask).where(
                HumanTask.spiff_task_id.in_(missing), HumanTask.status == "open")).all()
        for spiff_task_id in ready_before & set(ready):
            del ready[spiff_task_id]
    changes = []
    for row in rows:
        if row.spiff_task_id in ready:
            del ready[row.spiff_task_id]
            continue
        spiff_task = workflow.get_task_from_id(UUID(row.spiff_task_id))
        finished = spiff_task is not None and spiff_task.has_state(TaskState.COMPLETED)
        values = {"status": "completed" if finished else "cancelled"}
        if finished and row.completed_at is None:
            values["completed_at"] = now
        if finished and completed_by and row.spiff_task_id in known_rows:
            values["completed_by"] = completed_by  # the task the command's user completed
        close_task(session, row, values)
        # Candidate rows only serve inboxes of open work; the comma lists keep the history.
        session.connection().execute(_DELETE_CANDIDATES, {"task_id": row.id})
        changes.append(Change("task.completed" if finished else "task.cancelled", task=row))
    for spiff_task in ready.values():
        changes.append(Change("task.created", task=_new_human_task(session, instance, spiff_task, now, evaluate,
                                                                   calendar, ladder_for)))
    return changes


def _plain(moment: datetime) -> datetime:
    # SpiffWorkflow's timer module builds a datetime subclass (see engine.clock).
    return datetime.combine(moment.date(), moment.time(), moment.tzinfo)


def timer_definition(task_spec):
    """The timer a task spec waits on: its own, or the one of the events after an event-based
    gateway (SpiffWorkflow keeps its due time on the gateway's task)."""
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        timers = [d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)]
        return timers[0] if len(timers) == 1 else None
    return definition if isinstance(definition, TimerEventDefinition) else None


def _timer_due(spiff_task) -> datetime | None:
    definition = timer_definition(spiff_task.task_spec)
    value = spiff_task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        if value.get("cycles") == 0:
            return None
        return TimerEventDefinition.get_datetime(value["next"])
    return TimerEventDefinition.get_datetime(value) if isinstance(value, str) else deadlines.to_datetime(value, None)


def waiting_timers(workflow) -> dict[tuple[str, datetime], object]:
    """(spiff task id, due) of every waiting timer, subprocesses included."""
    found = {}
    for spiff_task in workflow.event_manager.tasks.values():
        if timer_definition(spiff_task.task_spec) is None:
            continue
        if not spiff_task.has_state(TaskState.WAITING):
            continue
        due = _timer_due(spiff_task)
        if due is not None:
            found[(str(spiff_task.id), _plain(due))] = spiff_task
    return found


def sync_timers(session, instance, workflow, now: datetime) -> list[Change]:
    waiting = waiting_timers(workflow)
    rows = [] if instance.id is None else session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.status == "waiting")
    ).all()
    changes = []
    for row in rows:
        key = (row.spiff_task_id, row.due_at)
        if key in waiting:
            del waiting[key]
            continue
        spiff_task = workflow.get_task_from_id(UUID(row.spiff_task_id))
        fired = spiff_task is not None and row.due_at < now and (
            spiff_task.has_state(TaskState.COMPLETED) or spiff_task.has_state(TaskState.WAITING))
        row.status = "fired" if fired else "cancelled"
        row.locked_by = row.locked_until = None
        if fired:
            row.fired_at = now
        changes.append(Change("timer.fired" if fired else "timer.cancelled", timer=row))
    for (spiff_task_id, due), spiff_task in waiting.items():
        timer = Timer(
            instance=instance, spiff_task_id=spiff_task_id,
            element_id=spiff_task.task_spec.bpmn_id or spiff_task.task_spec.name,
            kind=type(timer_definition(spiff_task.task_spec)).__name__,
            due_at=due, status="waiting", attempts=0,
        )
        session.add(timer)
        changes.append(Change("timer.scheduled", timer=timer))
    return changes
