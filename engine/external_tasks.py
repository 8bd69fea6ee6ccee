"""External tasks: service tasks done by workers, as Camunda 7 runs them.

A service task with `camunda:type="external"` starts and waits (engine.bpmn.wait_specs);
after each save `sync` gives it a row (topic, priority, the variables it starts with).
Workers fetch and lock rows by topic (`FOR UPDATE SKIP LOCKED`, so two processes never
hand out one task), then complete them, report a failure (retries; none left opens an
incident), throw a BPMN error (caught by the task's error boundary events), extend or
give up their lock. Each command is one transaction, like the engine's others.
"""
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.json_data import as_stored
from engine.bpmn.wait_specs import ExternalTask
from engine.errors import InvalidOperation, NotFound
from engine.identity import Actor
from engine.store.models import Incident, ProcessInstance
from engine.store.wait_models import ExternalTask as ExternalTaskRow

INCIDENT_KIND = "failed_external_task"
MAX_LOCK = timedelta(days=7)
MAX_TASKS = 1000


class LockLost(InvalidOperation):
    """The task is not locked by this worker (any more)."""


@dataclass
class TopicRequest:
    """One topic of a fetch-and-lock request."""
    name: str
    lock_duration: timedelta
    variables: list[str] | None = None  # None: all
    business_key: str | None = None
    process_definition_keys: list[str] | None = None
    process_definition_ids: list[str] | None = None
    process_instance_id: int | None = None


@dataclass
class LockedTask:
    row: ExternalTaskRow
    variables: dict


def _started_external_tasks(workflow) -> dict:
    return {str(task.id): task for task in workflow.get_tasks(state=TaskState.STARTED)
            if isinstance(task.task_spec, ExternalTask)}


def _variables_json(data: dict) -> str:
    return json.dumps(as_stored(data), ensure_ascii=False, default=str, separators=(",", ":"))


def _priority(evaluate, spiff_task) -> int:
    text = spiff_task.task_spec.external.get("priority")
    if not text:
        return 0
    value = evaluate(spiff_task, text) if text.strip().startswith(("${", "#{")) else text
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def sync(session, instance: ProcessInstance, workflow, now: datetime, evaluate) -> list[ExternalTaskRow]:
    """A row for each external task that started; rows of tasks that moved on are closed.
    Returns the new rows."""
    started = _started_external_tasks(workflow)
    rows = session.scalars(select(ExternalTaskRow).where(
        ExternalTaskRow.instance_id == instance.id, ExternalTaskRow.status == "open")).all()
    known = set()
    for row in rows:
        known.add(row.spiff_task_id)
        if row.status == "open" and row.spiff_task_id not in started:  # (a command may have closed it)  # interrupted (a boundary event, a cancel): nobody completes it
            row.status, row.ended_at, row.worker_id, row.lock_expires_at = "cancelled", now, None, None
    created = []
    for task_id, spiff_task in started.items():
        if task_id in known:
            continue
        spec = spiff_task.task_spec
        row = ExternalTaskRow(
            instance_id=instance.id, definition_id=instance.definition_id, spiff_task_id=task_id,
            process_id=instance.process_id, element_id=spec.bpmn_id, element_name=spec.bpmn_name,
            business_key=instance.business_key, topic=spec.external["topic"],
            priority=_priority(evaluate, spiff_task), variables=_variables_json(spiff_task.data),
            status="open", created_at=now)
        session.add(row)
        created.append(row)
    return created


class ExternalTasks:
    """The external task commands; `engine.external` of an Engine."""

    def __init__(self, engine):
        self.engine = engine
        self._work = threading.Condition()

    # -- long polling: fetches wait for new work in this process (and re-check the table) --------

    def notify_work(self) -> None:
        with self._work:
            self._work.notify_all()

    def wait_for_work(self, seconds: float) -> None:
        with self._work:
            self._work.wait(timeout=seconds)

    # -- commands -------------------------------------------------------------------------------

    def fetch_and_lock(self, worker_id: str, max_tasks: int, topics: list[TopicRequest],
                       use_priority: bool = True) -> list[LockedTask]:
        """Lock up to `max_tasks` open tasks of these topics for `worker_id`."""
        if not worker_id:
            raise InvalidOperation("workerId is required")
        if not 0 <= max_tasks <= MAX_TASKS:
            raise InvalidOperation("maxTasks must be between 0 and {limit}", limit=MAX_TASKS)
        if max_tasks == 0 or not topics:
            return []
        now = self.engine.now()
        by_name = {topic.name: topic for topic in topics}
        session = self.engine.session_factory()
        try:
            with session.begin():
                query = (select(ExternalTaskRow)
                         .join(ProcessInstance, ProcessInstance.id == ExternalTaskRow.instance_id)
                         .where(ExternalTaskRow.status == "open", ExternalTaskRow.topic.in_(by_name),
                                ProcessInstance.status == "running",
                                or_(ExternalTaskRow.lock_expires_at.is_(None), ExternalTaskRow.lock_expires_at <= now),
                                or_(ExternalTaskRow.retries.is_(None), ExternalTaskRow.retries > 0)))
                query = query.where(or_(*[self._topic_filter(topic) for topic in topics]))
                order = [ExternalTaskRow.priority.desc()] if use_priority else []
                rows = session.scalars(query.order_by(*order, ExternalTaskRow.id).limit(max_tasks)
                                       .with_for_update(skip_locked=True, of=ExternalTaskRow)).all()
                locked = []
                for row in rows:
                    topic = by_name[row.topic]
                    expires = now + min(topic.lock_duration, MAX_LOCK)
                    # Compare-and-set: where rows cannot be locked (SQLite), a worker that read the same
                    # row a moment earlier has set its lock, and this one skips the row.
                    won = session.execute(
                        update(ExternalTaskRow).where(ExternalTaskRow.id == row.id, ExternalTaskRow.status == "open",
                                                      or_(ExternalTaskRow.lock_expires_at.is_(None),
                                                          ExternalTaskRow.lock_expires_at <= now))
                        .values(worker_id=worker_id, lock_expires_at=expires)
                        .execution_options(synchronize_session=False)).rowcount
                    if not won:
                        continue
                    row.worker_id, row.lock_expires_at = worker_id, expires
                    variables = json.loads(row.variables or "{}")
                    if topic.variables is not None:
                        variables = {name: variables[name] for name in topic.variables if name in variables}
                    locked.append(LockedTask(row, variables))
                for item in locked:
                    session.expunge(item.row)
                return locked
        finally:
            session.close()

    @staticmethod
    def _topic_filter(topic: TopicRequest):
        conditions = [ExternalTaskRow.topic == topic.name]
        if topic.business_key is not None:
            conditions.append(ExternalTaskRow.business_key == topic.business_key)
        if topic.process_definition_keys:
            conditions.append(ExternalTaskRow.process_id.in_(topic.process_definition_keys))
        if topic.process_definition_ids:
            ids = [int(i) for i in topic.process_definition_ids if str(i).isdigit()]
            conditions.append(ExternalTaskRow.definition_id.in_(ids))
        if topic.process_instance_id is not None:
            conditions.append(ExternalTaskRow.instance_id == topic.process_instance_id)
        return and_(*conditions)

    def _locked_row(self, ctx, task_id: int, worker_id: str | None) -> ExternalTaskRow:
        row = ctx.session.get(ExternalTaskRow, task_id, with_for_update=True)
        if row is None or row.status != "open":
            raise NotFound("external task {task} not found", task=task_id)
        if worker_id is not None and row.worker_id != worker_id:
            raise LockLost("external task {task} cannot be completed by worker {worker}: it is locked by "
                           "{owner}", task=task_id, worker=worker_id, owner=row.worker_id or "no worker")
        return row

    def _spiff_task(self, ctx, row: ExternalTaskRow):
        instance, workflow = self.engine._load(ctx, row.instance_id)
        spiff_task = workflow.get_task_from_id(UUID(row.spiff_task_id))
        if spiff_task is None or not spiff_task.has_state(TaskState.STARTED):
            raise NotFound("external task {task} not found", task=row.id)
        return instance, workflow, spiff_task

    def complete(self, task_id: int, worker_id: str, actor: Actor, variables: dict | None = None,
                 local_variables: dict | None = None) -> None:
        self.engine.retrying(lambda: self._complete(task_id, worker_id, actor, variables, local_variables),
                             f"external task {task_id}")

    def _complete(self, task_id, worker_id, actor, variables, local_variables) -> None:
        with self.engine._command(actor) as ctx:
            row = self._locked_row(ctx, task_id, worker_id)
            instance, workflow, spiff_task = self._spiff_task(ctx, row)
            spiff_task.data.update(as_stored({**(variables or {}), **(local_variables or {})}))
            row.status, row.ended_at, row.lock_expires_at = "completed", ctx.now, None
            ctx.audit("external_task.completed", instance, element_id=row.element_id,
                      data={"worker": worker_id, "topic": row.topic, "variables": sorted(variables or {})})
            spiff_task.complete()
            self.engine._advance(ctx, instance, workflow)
            self.engine._save(ctx, instance, workflow)

    def handle_failure(self, task_id: int, worker_id: str, actor: Actor, error_message: str | None,
                       error_details: str | None, retries: int, retry_timeout: timedelta) -> None:
        if retries is None or retries < 0:
            raise InvalidOperation("retries must be 0 or more")
        self.engine.retrying(lambda: self._handle_failure(task_id, worker_id, actor, error_message, error_details,
                                                          retries, retry_timeout), f"external task {task_id}")

    def _handle_failure(self, task_id, worker_id, actor, error_message, error_details, retries, retry_timeout):
        with self.engine._command(actor) as ctx:
            row = self._locked_row(ctx, task_id, worker_id)
            row.error_message = (error_message or "")[:4000] or None
            row.error_details = error_details
            row.retries = retries
            row.worker_id = None
            row.lock_expires_at = ctx.now + max(retry_timeout, timedelta(0)) if retries > 0 else None
            instance = ctx.session.get(ProcessInstance, row.instance_id)
            ctx.audit("external_task.failed", instance, element_id=row.element_id,
                      data={"worker": worker_id, "retries": retries, "message": row.error_message})
            if retries == 0:
                message = f"external task '{row.topic}' failed and has no retries left: {row.error_message or ''}"
                self.engine._open_incident(ctx, instance, INCIDENT_KIND, message.strip(),
                                           element_id=row.element_id, spiff_task_id=row.spiff_task_id)
            self.engine._touch_instance(ctx.session, instance.id)

    def set_retries(self, task_id: int, actor: Actor, retries: int) -> None:
        """Give a task retries again; its incident is resolved (Camunda's "set retries")."""
        if retries is None or retries < 0:
            raise InvalidOperation("retries must be 0 or more")
        with self.engine._command(actor) as ctx:
            row = self._locked_row(ctx, task_id, None)
            row.retries = retries
            if retries > 0:
                self.resolve_incidents(ctx, row, "retries set")
            self.engine._touch_instance(ctx.session, row.instance_id)
        self.notify_work()

    def resolve_incidents(self, ctx, row: ExternalTaskRow, resolution: str) -> None:
        incidents = ctx.session.scalars(select(Incident).where(
            Incident.instance_id == row.instance_id, Incident.spiff_task_id == row.spiff_task_id,
            Incident.kind == INCIDENT_KIND, Incident.resolved_at.is_(None))).all()
        for incident in incidents:
            incident.resolved_at, incident.resolution = ctx.now, resolution
        instance = ctx.session.get(ProcessInstance, row.instance_id)
        still_open = ctx.session.scalar(select(Incident.id).where(
            Incident.instance_id == row.instance_id, Incident.resolved_at.is_(None)).limit(1))
        if incidents and still_open is None and instance.status == "error":
            instance.status = "running"

    def revive_failed(self, ctx, instance_id: int) -> None:
        """engine.retry: the instance's tasks with no retries left get one more."""
        rows = ctx.session.scalars(select(ExternalTaskRow).where(
            ExternalTaskRow.instance_id == instance_id, ExternalTaskRow.status == "open",
            ExternalTaskRow.retries == 0)).all()
        for row in rows:
            row.retries = 1
        if rows:
            ctx.after_commit(self.notify_work)

    def handle_bpmn_error(self, task_id: int, worker_id: str, actor: Actor, error_code: str,
                          error_message: str | None = None, variables: dict | None = None) -> None:
        if not (error_code or "").strip():
            raise InvalidOperation("errorCode is required")
        self.engine.retrying(lambda: self._handle_bpmn_error(task_id, worker_id, actor, error_code, error_message,
                                                             variables), f"external task {task_id}")

    def _handle_bpmn_error(self, task_id, worker_id, actor, error_code, error_message, variables) -> None:
        with self.engine._command(actor) as ctx:
            row = self._locked_row(ctx, task_id, worker_id)
            instance, workflow, spiff_task = self._spiff_task(ctx, row)
            spiff_task.data.update(as_stored(variables or {}))
            row.error_message = (error_message or "")[:4000] or None
            ctx.audit("external_task.bpmn_error", instance, element_id=row.element_id,
                      data={"worker": worker_id, "code": error_code, "message": row.error_message})
            throw_error(spiff_task, error_code, error_message, as_stored(variables or {}))
            self.engine._advance(ctx, instance, workflow)
            self.engine._save(ctx, instance, workflow)

    def extend_lock(self, task_id: int, worker_id: str, actor: Actor, new_duration: timedelta) -> None:
        if new_duration <= timedelta(0):
            raise InvalidOperation("newDuration must be positive")
        with self.engine._command(actor) as ctx:
            row = self._locked_row(ctx, task_id, worker_id)
            if row.lock_expires_at is None or row.lock_expires_at <= ctx.now:
                raise LockLost("the lock of external task {task} has expired", task=task_id)
            row.lock_expires_at = ctx.now + min(new_duration, MAX_LOCK)

    def unlock(self, task_id: int, actor: Actor) -> None:
        with self.engine._command(actor) as ctx:
            row = self._locked_row(ctx, task_id, None)
            row.worker_id, row.lock_expires_at = None, None
        self.notify_work()


def throw_error(spiff_task, code: str, message: str | None = None, variables: dict | None = None) -> None:
    """A BPMN error thrown by a waiting task: its own error boundary events catch it first, then
    whatever catches errors in its (sub)process and those around it; uncaught, it becomes an
    incident (engine.runtime)."""
    # The worker's variables go on with the path that catches the error (Camunda's too).
    event = BpmnEvent(ErrorEventDefinition(code, code), payload=dict(variables or {}))
    parent = spiff_task.parent
    if parent is not None and isinstance(parent.task_spec, BoundaryEventSplit):
        for sibling in parent.children:
            if (sibling is not spiff_task and sibling.has_state(TaskState.WAITING)
                    and sibling.task_spec.catches(sibling, event)):
                names = (sibling.task_spec.extensions or {}).get("error_variables", {})
                values = {"code": code, "message": message}
                event.payload.update({names[key]: values[key] for key in names})
                sibling.task_spec.catch(sibling, event)
                sibling.task_spec._update(sibling)
                return
    event.target = spiff_task.workflow
    spiff_task.workflow.top_workflow.catch(event)
