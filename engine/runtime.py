"""The engine: every state change is one command in one database transaction.

    load instance (version-checked) -> SpiffWorkflow step -> save state
    -> sync task rows -> sync timer rows -> append audit events -> commit
    -> tell listeners (notifications) what happened

Views and workers call these methods; nothing else touches SpiffWorkflow.
"""
import hashlib
import json
import logging
import os
import socket
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine import clock as clock_module
from engine import calls, deadlines, escalation, events, external_tasks, new_tasks, start_timers, step_records
from engine import ladder as ladder_module
from engine.ladder import DEFAULT_LADDER
from engine.operations import completion_blocker
from engine.bpmn import serialization
from engine.bpmn.json_data import as_stored
from engine.bpmn.wait_specs import CalledProcess, ExternalTask
from engine.decisions import DecisionDeployResult, DecisionRepository, missing_decisions
from engine.dmn.loader import load_decisions
from engine.dmn.task import DecisionTask
from engine.bpmn.workflow_class import DubanWorkflow
from engine.bpmn.loader import load_definitions
from engine.bpmn.parser import as_written
from engine.bpmn.script_engine import DubanScriptEngine
from engine.errors import (ConflictError, InvalidOperation, NotFound, PermissionDenied, StaleInstance,
                           TaskNotReady)
from engine.identity import SYSTEM, Actor
from engine.projection import (Change, human_spec, ready_user_task_ids, replace_candidates, sync_tasks,
                               sync_timers, timer_definition)
from engine.store import deferred_rows, row_writes, state_rows
from engine.store.supervision_models import LadderSetting
from engine.workcal import WorkCalendar
from engine.workflow_cache import WorkflowCache
from engine.store.models import (
    HumanTask,
    Incident,
    ProcessDefinition,
    ProcessInstance,
    TaskCosigner,
    Timer,
)

log = logging.getLogger(__name__)

TIMER_LEASE = timedelta(seconds=60)
# Steps one command may set off on other instances (called processes, messages, signals).
MAX_FOLLOW_UPS = 1000
# Built once (every command that acts on a task starts with it).
_TASK_AND_COSIGNERS = (
    select(HumanTask, exists().where(TaskCosigner.task_id == HumanTask.id, TaskCosigner.status == "pending"))
    .where(HumanTask.id == bindparam("task_id"))
    .options(joinedload(HumanTask.instance).lazyload(ProcessInstance.definition)))
CALENDAR_TTL_SECONDS = 60


# Errors of the database or of a concurrent command: the command fails (and may be tried again);
# they are not the case's fault, so they never become its incident.
_NOT_THE_CASES_FAULT = (SQLAlchemyError, ConflictError)


def _describe(err: Exception) -> str:
    """An error's message for an incident; some of SpiffWorkflow's wrapped errors cannot print themselves."""
    try:
        text = str(err)
        # SpiffWorkflow's "Error evaluating expression ..." leaves out what the expression raised.
        inner = err.__cause__ or err.__context__
        if isinstance(err, SpiffWorkflowException) and inner is not None and str(inner) not in text:
            text = f"{text.strip()} {type(inner).__name__}: {inner}"
        return as_written(text)  # a timer's expression as the modeler wrote it
    except Exception:  # noqa: BLE001 - the incident must be recorded whatever the error
        return f"{type(err).__name__} in a script or expression"


def _json_safe(value):
    """Audit data as JSON can hold it: dates (a worker's or a caller's variables) as ISO text."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


@dataclass
class DeployResult:
    definition: ProcessDefinition
    created: bool
    warnings: list = field(default_factory=list)
    others: list = field(default_factory=list)  # the file's other executable processes
    decisions: list = field(default_factory=list)  # engine.decisions.DecisionDeployResult of DMN deployed with it


@dataclass
class CommandContext:
    """What one command collects on its way to commit."""
    session: object
    actor: Actor
    now: datetime
    script_engine: DubanScriptEngine | None = None
    events: list = field(default_factory=list)
    wake_at: datetime | None = None  # the earliest timer or escalation due time this command wrote
    is_command: bool = True  # False for read-only views of an instance
    saved: dict = field(default_factory=dict)  # instance id -> (instance, workflow) this command saved
    # Steps on other instances this command causes (a called process, a message, a signal), run in
    # order after the step that caused them (engine.calls, engine.events), in the same transaction.
    follow_ups: list = field(default_factory=list)
    committed: list = field(default_factory=list)  # callables to run once the command has committed

    def later(self, step) -> None:
        self.follow_ups.append(step)

    def after_commit(self, action) -> None:
        if action not in self.committed:
            self.committed.append(action)

    def due(self, moment: datetime | None) -> None:
        if moment is not None and (self.wake_at is None or moment < self.wake_at):
            self.wake_at = moment

    def audit(self, action, instance=None, task=None, definition=None, element_id=None, reason=None, data=None):
        """Append an audit event; it is written (ids filled in) with the command's flush."""
        record = deferred_rows.append(self.session, deferred_rows.AuditRecord(
            at=self.now, actor=self.actor.username, action=action, instance=instance, task=task,
            definition=definition, element_id=element_id or (task.element_id if task else None),
            reason=reason, data=_json_safe(data)))
        self.events.append(record)
        return record


def _cache_size() -> int:
    text = os.environ.get("DUBAN_WORKFLOW_CACHE", "256")
    if not text.strip().isdigit():
        raise ValueError(f"DUBAN_WORKFLOW_CACHE must be a whole number of workflows (0 keeps none), not {text!r}")
    return int(text)


class Engine:
    def __init__(self, session_factory, clock=None, services=None, node_id: str | None = None,
                 spec_cache_size: int = 64, default_ladder: str = DEFAULT_LADDER,
                 timer_lease: timedelta = TIMER_LEASE, workflow_cache_size: int | None = None):
        """`services(session, actor_name, start_process)` returns the functions BPMN
        scripts may call, bound to the command's transaction (see domain.services)."""
        self.session_factory = session_factory
        if clock is not None:
            clock_module.install(clock)
        self.services = services
        self._calendar = (0.0, None)
        self._settings = (0.0, None)
        self.default_ladder = default_ladder
        self.node_id = node_id or f"{socket.gethostname()}:{os.getpid()}"
        self._specs = OrderedDict()
        self._spec_facts = {}
        self._spec_cache_size = spec_cache_size
        self._listeners = []
        self._wake_listeners = []
        self.timer_lease = timer_lease
        self.external = external_tasks.ExternalTasks(self)
        self.decisions = DecisionRepository()
        self.workflows = WorkflowCache(_cache_size() if workflow_cache_size is None else workflow_cache_size)
        # Tests set DUBAN_VERIFY_STATE=1: every commit checks the stored rows against a whole
        # serialization of the workflow (engine.bpmn.stored_tasks must never miss a change).
        self.verify_state = os.environ.get("DUBAN_VERIFY_STATE") == "1"

    # -- plumbing ---------------------------------------------------------

    def now(self) -> datetime:
        return clock_module.now()

    def subscribe(self, listener) -> None:
        """`listener(events)` is called after each commit with its audit records (engine.store.deferred_rows)."""
        self._listeners.append(listener)

    def on_wake(self, listener) -> None:
        """`listener(moment)` is called after a commit that wrote a timer or escalation due at `moment`,
        so a sleeping scheduler can re-arm for a nearer time."""
        self._wake_listeners.append(listener)

    @contextmanager
    def _command(self, actor: Actor):
        # Refreshing these caches opens a session of its own: do it before this command holds a
        # connection, or a busy process could wait on its own pool.
        self.calendar()
        self.settings()
        session = self.session_factory()
        ctx = CommandContext(session, actor, self.now())
        ctx.script_engine = DubanScriptEngine(self._functions(ctx))
        ctx.script_engine.decisions = lambda my_task, settings: self.decisions.for_task(ctx, my_task, settings)
        try:
            with session.begin():
                yield ctx
                self._follow_up(ctx)
                committed = self._before_commit(ctx)
        except StaleDataError:
            raise StaleInstance() from None
        finally:
            session.close()
        for instance_id, version, workflow in committed:
            self.workflows.put(instance_id, version, workflow)
        listeners = [(listener, (ctx.events,)) for listener in self._listeners]
        if ctx.wake_at is not None:
            listeners += [(listener, (ctx.wake_at,)) for listener in self._wake_listeners]
        listeners += [(action, ()) for action in ctx.committed]
        for listener, arguments in listeners:
            try:
                listener(*arguments)
            except Exception:  # a listener must never undo a committed command
                log.exception("engine listener failed")

    def _before_commit(self, ctx: CommandContext) -> list[tuple]:
        """(instance id, lock_version, workflow) of the workflows this command saved, as they will commit."""
        if not ctx.saved:
            return []
        ctx.session.flush()  # the final lock_version of each instance
        if self.verify_state:
            for instance, workflow in ctx.saved.values():
                self._verify_stored(ctx.session, instance, workflow)
        return [(instance.id, instance.lock_version, workflow) for instance, workflow in ctx.saved.values()
                if instance.status not in ("completed", "cancelled")]

    @staticmethod
    def _verify_stored(session, instance, workflow) -> None:
        _version, state, rows = state_rows.read(session.connection(), instance.id)
        rows = [(task_id, owner, body) for task_id, owner, _seq, body in rows]
        whole = json.loads(serialization.dump_state(workflow))
        whole.pop("format", None)
        stored = serialization.joined_document(state, rows)
        if stored != whole:
            tasks = {**stored["tasks"], **whole["tasks"]}
            stale = sorted(str(tasks[i].get("task_spec")) for i in tasks
                           if stored["tasks"].get(i) != whole["tasks"].get(i))
            raise AssertionError(f"instance {instance.id}: the stored state differs from the workflow "
                                 f"(tasks {stale})")

    def _has_timers(self, session, definition_id: int) -> bool:
        """Whether any timer event exists in the spec; saves a query per step when none does."""
        return self._spec_has(session, definition_id, "timers")

    _SPEC_FACTS = {
        "timers": lambda ts: timer_definition(ts) is not None,
        "external": lambda ts: isinstance(ts, ExternalTask),
        "calls": lambda ts: isinstance(ts, CalledProcess),
        "catching": events.is_catching,
    }

    def _spec_has(self, session, definition_id: int, fact: str) -> bool:
        """Whether any task spec of the version has `fact` (cached per version)."""
        key = (fact, definition_id)
        if key not in self._spec_facts:
            spec, subprocess_specs = self._spec_by_id(session, definition_id)
            self._spec_facts[key] = any(self._SPEC_FACTS[fact](ts) for s in (spec, *subprocess_specs.values())
                                        for ts in s.task_specs.values())
        return self._spec_facts[key]

    def _spec_for(self, definition: ProcessDefinition):
        return self._cached_spec(definition.id, lambda: definition.spec_json)

    def _spec_by_id(self, session, definition_id: int):
        """The parsed spec of a version; its JSON is read only when the cache misses."""
        return self._cached_spec(definition_id, lambda: session.scalar(
            select(ProcessDefinition.spec_json).where(ProcessDefinition.id == definition_id)))

    def _cached_spec(self, definition_id: int, read_json):
        cached = self._specs.get(definition_id)
        if cached is None:
            cached = serialization.load_spec(read_json())
            self._specs[definition_id] = cached
            if len(self._specs) > self._spec_cache_size:
                self._specs.popitem(last=False)
        else:
            self._specs.move_to_end(definition_id)
        return cached

    def _functions(self, ctx: CommandContext) -> dict:
        functions = deadlines.script_functions(self.calendar())
        if self.services is not None:
            def start_process(process_id, data, business_key=None):
                return self._start_in(ctx, process_id, data, business_key)

            functions.update(self.services(ctx.session, ctx.actor.username, start_process))
        return functions

    def _load(self, ctx: CommandContext, instance_id: int) -> tuple[ProcessInstance, BpmnWorkflow]:
        instance = ctx.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound("process instance {instance} not found", instance=instance_id)
        # A command may reuse the workflow this process committed last (engine.workflow_cache).
        workflow = self.workflows.take(instance.id, instance.lock_version) if ctx.is_command else None
        if workflow is None:
            spec, subprocess_specs = self._spec_by_id(ctx.session, instance.definition_id)
            version, state, rows = state_rows.read(ctx.session.connection(), instance.id)
            if version != instance.lock_version and ctx.is_command:
                raise StaleInstance()  # the case moved on since its row was read: start again
            workflow = serialization.load_split(state, rows, spec, subprocess_specs, ctx.script_engine)
        else:
            workflow.script_engine = ctx.script_engine  # its functions are bound to this command
        workflow.duban_ready_before = ready_user_task_ids(workflow)
        if ctx.is_command:  # what its scripts record belongs to this instance (domain.audit)
            ctx.session.info[deferred_rows.CURRENT_INSTANCE] = instance
        return instance, workflow

    def load_workflow(self, session, instance_id: int) -> tuple[ProcessInstance, BpmnWorkflow]:
        """Read-only view of an instance's workflow (for diagrams and history)."""
        return self._load(CommandContext(session, SYSTEM, self.now(), DubanScriptEngine(), is_command=False),
                          instance_id)

    @staticmethod
    def _evaluate(spiff_task, expression):
        return spiff_task.workflow.script_engine.evaluate(spiff_task, expression)

    def calendar(self) -> WorkCalendar:
        """The working-day calendar with local overrides, re-read at most once a minute."""
        loaded_at, calendar = self._calendar
        if calendar is None or (time.monotonic() - loaded_at) > CALENDAR_TTL_SECONDS:
            with self.session_factory() as session:
                calendar = WorkCalendar.from_session(session)
            self._calendar = (time.monotonic(), calendar)
        return calendar

    def forget_calendar(self) -> None:
        """Call after editing calendar overrides or ladder settings so the next task uses them."""
        self._calendar = (0.0, None)
        self._settings = (0.0, None)

    def _advance(self, ctx: CommandContext, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
        """Run engine steps; turn script failures and uncaught errors into incidents."""
        try:
            workflow.do_engine_steps()
        except SpiffWorkflowException as err:
            task = getattr(err, "task", None)
            kind = "decision_error" if task is not None and isinstance(task.task_spec, DecisionTask) else "script_error"
            self._open_incident(ctx, instance, kind, _describe(err),
                                element_id=getattr(task.task_spec, "bpmn_id", None) if task else None,
                                spiff_task_id=str(task.id) if task else None)
        except _NOT_THE_CASES_FAULT:
            raise
        except Exception as err:  # noqa: BLE001 - what SpiffWorkflow did not wrap is the case's failure too
            log.warning("instance %s: step failed outside a script: %s", instance.id, _describe(err))
            self._open_incident(ctx, instance, "script_error", f"{type(err).__name__}: {_describe(err)}")
        for event in workflow.get_events():
            if isinstance(event.event_definition, ErrorEventDefinition):
                # SpiffWorkflow completes a workflow whose error end event nobody caught.
                code = event.event_definition.code or event.event_definition.name
                self._open_incident(ctx, instance, "bpmn_error", f"uncaught BPMN error {code!r}")
            elif events.is_deliverable(event):  # to other instances, once this one is saved
                workflow.duban_thrown = [*getattr(workflow, "duban_thrown", ()), event]

    def _run_task(self, ctx: CommandContext, instance: ProcessInstance, spiff_task) -> None:
        """Complete a user task; what its completion raises (a data output missing) is an incident."""
        try:
            spiff_task.run()
        except _NOT_THE_CASES_FAULT:
            raise
        except Exception as err:  # noqa: BLE001 - the case's failure, never the officer's 500
            if not spiff_task.has_state(TaskState.ERROR):
                spiff_task._set_state(TaskState.ERROR)
            self._open_incident(ctx, instance, "script_error", f"{type(err).__name__}: {_describe(err)}",
                                element_id=spiff_task.task_spec.bpmn_id, spiff_task_id=str(spiff_task.id))

    def _open_incident(self, ctx, instance, kind, message, element_id=None, spiff_task_id=None):
        incident = Incident(instance=instance, kind=kind, message=message[:4000], element_id=element_id,
                            spiff_task_id=spiff_task_id, created_at=ctx.now)
        ctx.session.add(incident)
        instance.status = "error"
        ctx.audit("incident.opened", instance, element_id=element_id, data={"kind": kind, "message": message[:500]})

    def write_state(self, ctx: CommandContext, instance: ProcessInstance, workflow: BpmnWorkflow, **values) -> None:
        """Write the workflow (the instance's row, version-checked, then its changed task rows)."""
        split = serialization.dump_split(workflow)
        row_writes.save_instance(ctx.session, instance, state_json=split.state, updated_at=ctx.now, **values)
        state_rows.write(ctx.session.connection(), instance.id, split.rows, split.removed)
        ctx.saved[instance.id] = (instance, workflow)

    def _check_new_tasks(self, ctx: CommandContext, instance: ProcessInstance,
                         workflow: BpmnWorkflow) -> new_tasks.Evaluations:
        """Evaluate the fields of the user tasks this step opened; one that fails stops its task with
        an incident (retried like a failed script). Returns the values, for writing the rows."""
        evaluations = new_tasks.Evaluations(self._evaluate)
        before = getattr(workflow, "duban_ready_before", set())
        if before is None:  # (a migration) the tasks that have rows already
            before = set() if instance.id is None else set(ctx.session.scalars(select(HumanTask.spiff_task_id).where(
                HumanTask.instance_id == instance.id, HumanTask.status == "open")))
        for spiff_task in workflow.get_tasks(state=TaskState.READY):
            if str(spiff_task.id) in before or not (spiff_task.task_spec.manual and human_spec(spiff_task.task_spec)):
                continue
            try:
                new_tasks.check(spiff_task, evaluations, ctx.now, self.calendar())
            except new_tasks.TaskFieldError as err:
                if isinstance(err.__cause__, _NOT_THE_CASES_FAULT):
                    raise err.__cause__ from None
                spiff_task.error()
                self._open_incident(ctx, instance, "script_error", str(err),
                                    element_id=spiff_task.task_spec.bpmn_id, spiff_task_id=str(spiff_task.id))
        return evaluations

    def _save(self, ctx: CommandContext, instance: ProcessInstance, workflow: BpmnWorkflow,
              known_rows: dict | None = None, completed_by: str | None = None) -> list[Change]:
        evaluations = self._check_new_tasks(ctx, instance, workflow)
        # Any status the step itself set (an incident's "error") goes out in the same UPDATE.
        values = {"status": instance.status}
        if instance.status == "running" and workflow.is_completed():
            values.update(status="completed", ended_at=ctx.now)
        self.write_state(ctx, instance, workflow, **values)
        with ctx.session.no_autoflush:
            changes = sync_tasks(ctx.session, instance, workflow, ctx.now, evaluations, self.calendar(),
                                 ready_before=getattr(workflow, "duban_ready_before", set()), known_rows=known_rows,
                                 completed_by=completed_by, ladder_for=self.ladder_for)
            if self._has_timers(ctx.session, instance.definition_id):
                changes += sync_timers(ctx.session, instance, workflow, ctx.now)
            self._sync_waits(ctx, instance, workflow)
        self._update_ladders(ctx, changes)
        for change in changes:
            if change.action == "timer.scheduled":
                ctx.due(change.timer.due_at)
        self._audit_changes(ctx, instance, changes)
        if instance.status == "completed":
            ctx.audit("instance.completed", instance)
        return changes

    def _sync_waits(self, ctx: CommandContext, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
        """Rows for what the instance waits on outside itself; follow-ups for what it set off."""
        session, definition_id = ctx.session, instance.definition_id
        if self._spec_has(session, definition_id, "external"):
            if external_tasks.sync(session, instance, workflow, ctx.now, self._evaluate):
                ctx.after_commit(self.external.notify_work)
        if self._spec_has(session, definition_id, "catching"):
            events.sync(session, instance, workflow, ctx.now)
        if self._spec_has(session, definition_id, "calls"):
            calls.sync(self, ctx, instance, workflow)
        if instance.super_instance_id is not None and instance.status in ("completed", "cancelled"):
            calls.returned(self, ctx, instance, workflow)
        for event in getattr(workflow, "duban_thrown", ()):
            events.deliver_thrown(self, ctx, instance, event)
        workflow.duban_thrown = []

    def _follow_up(self, ctx: CommandContext) -> None:
        """Run the steps this command set off on other instances, within a budget."""
        done = 0
        while ctx.follow_ups:
            step = ctx.follow_ups.pop(0)
            done += 1
            if done > MAX_FOLLOW_UPS:
                ctx.follow_ups.clear()
                raise InvalidOperation("this step set off more than {limit} steps on other instances (calls, "
                                       "messages, signals); nothing was done", limit=MAX_FOLLOW_UPS)
            step()

    def step_workflow(self, ctx: CommandContext, instance_id: int) -> tuple[ProcessInstance, BpmnWorkflow]:
        """An instance's workflow for a follow-up step: as this command left it, else loaded."""
        if instance_id in ctx.saved:
            return ctx.saved[instance_id]
        return self._load(ctx, instance_id)

    def _update_ladders(self, ctx: CommandContext, changes: list[Change]) -> None:
        """New tasks get their escalation steps; finished ones drop theirs."""
        for change in changes:
            task = change.task
            if task is None:
                continue
            if change.action == "task.created":
                for moment in escalation.schedule_steps(ctx.session, task, self.calendar()):
                    ctx.due(moment)
            elif task.due_at is not None or "created" in (task.ladder or ""):
                escalation.close_ladder(ctx.session, task)

    def ladder_for(self, process_id: str, element_id: str) -> str:
        """The ladder of a task whose BPMN sets none: the administrators' setting, else the default."""
        settings = self.settings()
        for key in ((process_id, element_id), (process_id, "")):
            text = settings.get(key)
            if not text:
                continue
            try:
                ladder_module.parse(text)
                return text
            except ValueError as err:  # a setting written past the checks must not fail every new task
                log.warning("ladder setting %s of %s is not used: %s", key, process_id, err)
        return self.default_ladder

    def settings(self) -> dict:
        """Administrators' ladder settings {(process_id, element_id or ""): ladder}, cached like the calendar."""
        loaded_at, settings = self._settings
        if settings is None or (time.monotonic() - loaded_at) > CALENDAR_TTL_SECONDS:
            with self.session_factory() as session:
                settings = {(row.process_id, row.element_id): row.ladder
                            for row in session.scalars(select(LadderSetting))}
            self._settings = (time.monotonic(), settings)
        return settings

    def _audit_changes(self, ctx, instance, changes: list[Change]) -> None:
        for change in changes:
            if change.task is not None:
                if change.action == "task.completed":
                    continue  # the complete command writes its own event with the data
                ctx.audit(change.action, instance, task=change.task,
                          data={"assignee": change.task.assignee, "candidate_groups": change.task.candidate_groups,
                                "due_at": change.task.due_at.isoformat() if change.task.due_at else None})
            elif change.timer is not None and change.action != "timer.scheduled":
                ctx.audit(change.action, instance, element_id=change.timer.element_id,
                          data={"due_at": change.timer.due_at.isoformat(), "node": self.node_id})

    # -- definitions ------------------------------------------------------

    def deploy(self, bpmn: bytes, filename: str = "process.bpmn", actor: Actor = SYSTEM,
               comment: str | None = None, decisions=()) -> DeployResult:
        """Parse and check; for each executable process of the file create version n+1, or keep the
        latest if the XML is identical. Returns the first process's result; `others` the rest's.

        `decisions`: (filename, bytes) of DMN files deployed with it, in the same deployment (what a
        business rule task with `camunda:decisionRefBinding="deployment"` uses); `decisions` on the
        result lists what became of them."""
        parsed_all = load_definitions(bpmn, filename)
        checksum = hashlib.sha256(bpmn).hexdigest()
        deployment_id = str(uuid4())
        results = []
        with self._command(actor) as ctx:
            deployed_decisions = [result for dmn_name, dmn in decisions
                                  for result in self.decisions.deploy(ctx, dmn, dmn_name, comment, deployment_id)]
            for parsed in parsed_all:
                results.append(self._deploy_one(ctx, parsed, bpmn, filename, checksum, comment, deployment_id))
            in_file = {parsed.process_id for parsed in parsed_all}
            for result, parsed in zip(results, parsed_all):
                result.warnings += calls.missing_callees(ctx.session, parsed, in_file, filename)
                result.warnings += missing_decisions(ctx.session, parsed, filename)
        first, *others = results
        first.others = others
        first.decisions = deployed_decisions
        return first

    def deploy_decisions(self, dmn: bytes, filename: str = "decision.dmn", actor: Actor = SYSTEM,
                         comment: str | None = None) -> list[DecisionDeployResult]:
        """Each decision of a DMN file: version n+1, or the latest when the file is unchanged."""
        load_decisions(dmn, filename)  # refused before a connection is taken
        with self._command(actor) as ctx:
            return self.decisions.deploy(ctx, dmn, filename, comment, str(uuid4()))

    def evaluate_decision(self, key: str, variables: dict, version: int | None = None):
        """(definition, outcome) of a deployed decision for `variables`, outside any process."""
        with self.session_factory() as session:
            definition, outcome = self.decisions.evaluate(session, key, variables, version)
            session.expunge(definition)
            return definition, outcome

    def _deploy_one(self, ctx, parsed, bpmn, filename, checksum, comment, deployment_id=None) -> DeployResult:
        session = ctx.session
        latest = session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.process_id == parsed.process_id)
            .order_by(ProcessDefinition.version.desc()).limit(1)
        ).first()
        if latest is not None and latest.checksum == checksum:
            return DeployResult(latest, created=False, warnings=list(parsed.warnings))
        definition = ProcessDefinition(
            process_id=parsed.process_id, version=(latest.version + 1) if latest else 1,
            name=parsed.name, checksum=checksum, filename=filename, source_xml=bpmn,
            spec_json=serialization.dump_spec(parsed.spec, parsed.subprocess_specs),
            deployed_at=ctx.now, deployed_by=ctx.actor.username, comment=comment, deployment_id=deployment_id,
        )
        session.add(definition)
        session.flush()
        events.subscribe_start_events(session, definition, parsed.spec)
        start_timers.schedule(session, definition, parsed.spec, ctx.now, self.calendar())
        ctx.audit("definition.deployed", definition=definition,
                  data={"process_id": definition.process_id, "version": definition.version,
                        "checksum": checksum})
        return DeployResult(definition, created=True, warnings=list(parsed.warnings))

    def latest_definition(self, session, process_id: str) -> ProcessDefinition:
        definition = session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
            .order_by(ProcessDefinition.version.desc()).limit(1)
        ).first()
        if definition is None:
            raise NotFound("process {process} is not deployed", process=process_id)
        return definition

    # -- instances --------------------------------------------------------

    def start(self, process_id: str, data: dict | None = None, actor: Actor = SYSTEM,
              business_key: str | None = None, version: int | None = None, prepare=None, started=None) -> int:
        """Start the latest (or a given) version and run it to its first wait state.

        `prepare(session)` may write records first and return more start data;
        `started(session, instance)` may link records to the new instance. Both
        run in the command's transaction, so a record and its process are
        created together or not at all.
        """
        with self._command(actor) as ctx:
            start_data = dict(data or {})
            if prepare is not None:
                start_data.update(prepare(ctx.session) or {})
            instance = self._start_in(ctx, process_id, start_data, business_key, version)
            if started is not None:
                ctx.session.flush()
                started(ctx.session, instance)
        return instance.id

    def _start_in(self, ctx: CommandContext, process_id: str, data: dict | None = None,
                  business_key: str | None = None, version: int | None = None, start_event=None,
                  called_by: tuple | None = None) -> ProcessInstance:
        """Start an instance inside an open command (also used by service functions).

        `start_event` (element id, event): the message or signal its start event waits for.
        `called_by` (instance, spiff task id): the call activity waiting for it (engine.calls)."""
        session = ctx.session
        actor = ctx.actor
        if version is None:
            definition = self.latest_definition(session, process_id)
        else:
            definition = session.scalars(select(ProcessDefinition).where(
                ProcessDefinition.process_id == process_id, ProcessDefinition.version == version)).first()
            if definition is None:
                raise NotFound("process {process} has no version {version}", process=process_id, version=version)
        spec, subprocess_specs = self._spec_for(definition)
        workflow = DubanWorkflow(spec, subprocess_specs, script_engine=ctx.script_engine)
        start_data = as_stored(data or {})
        start_data.setdefault("initiator", actor.username)
        workflow.task_tree.data.update(start_data)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(start_data)
        # The row goes in now (its id for the first tasks); the save below writes its state.
        instance = row_writes.insert_instance(session, dict(
            definition_id=definition.id, process_id=definition.process_id, business_key=business_key,
            status="running", state_json="{}", started_by=actor.username, started_at=ctx.now,
            updated_at=ctx.now, **calls.caller_columns(called_by)), definition)
        ctx.audit("instance.started", instance, definition=definition,
                  data={"version": definition.version, "data": start_data})
        # Records its scripts write belong to the new instance; then back to the one starting it, if any.
        outer = ctx.session.info.get(deferred_rows.CURRENT_INSTANCE)
        ctx.session.info[deferred_rows.CURRENT_INSTANCE] = instance
        try:
            self._advance(ctx, instance, workflow)
            if start_event is not None:
                events.catch_at_start(workflow, *start_event)
                self._advance(ctx, instance, workflow)
            elif start_timers.only_timer_starts(spec) and start_timers.fire_start_event(workflow):
                self._advance(ctx, instance, workflow)  # started by command: at once, as Camunda does
            self._save(ctx, instance, workflow)
        finally:
            ctx.session.info[deferred_rows.CURRENT_INSTANCE] = outer
        return instance

    def cancel(self, instance_id: int, actor: Actor, reason: str) -> None:
        self._require_reason(reason)
        self._require_supervisor(actor, "cancel a process")
        with self._command(actor) as ctx:
            instance, workflow = self._load(ctx, instance_id)
            if instance.status in ("completed", "cancelled"):
                raise InvalidOperation("instance {instance} is already {status}", instance=instance_id, status=instance.status)
            workflow.cancel()
            instance.status = "cancelled"
            instance.ended_at = ctx.now
            self._save(ctx, instance, workflow)
            ctx.audit("instance.cancelled", instance, reason=reason)

    def retry(self, instance_id: int, actor: Actor, data: dict | None = None, reason: str = "retry") -> None:
        """Re-run the failed step(s) of an instance in error, after its cause is fixed."""
        self._require_supervisor(actor, "retry a failed step")
        with self._command(actor) as ctx:
            instance, workflow = self._load(ctx, instance_id)
            if instance.status != "error":
                raise InvalidOperation("instance {instance} is not in error", instance=instance_id)
            failed = workflow.get_tasks(state=TaskState.ERROR)
            for task in failed:
                if data:
                    task.data.update(as_stored(data))
                task._set_state(TaskState.READY)
            for incident in ctx.session.scalars(select(Incident).where(
                    Incident.instance_id == instance.id, Incident.resolved_at.is_(None))):
                incident.resolved_at = ctx.now
                incident.resolution = "retried"
            instance.status = "running"
            self.external.revive_failed(ctx, instance.id)
            ctx.audit("incident.retried", instance, reason=reason, data={"data": data} if data else None)
            self._advance(ctx, instance, workflow)
            self._save(ctx, instance, workflow)

    # -- human tasks ------------------------------------------------------

    def _task_for_update(self, session, task_id: int) -> HumanTask:
        return self._task_and_cosigners(session, task_id)[0]

    def _task_and_cosigners(self, session, task_id: int) -> tuple[HumanTask, bool]:
        """The open task, its instance and whether co-handlers are still to sign, in one query.
        The definition is not joined: its spec is cached by id (loaded on access if needed)."""
        found = session.execute(_TASK_AND_COSIGNERS, {"task_id": task_id}).first()
        if found is None:
            raise NotFound("task {task} not found", task=task_id)
        task, cosigners_pending = found
        if task.status != "open":
            raise TaskNotReady("task {task} is {status} (by {by})", task=task_id, status=task.status,
                               by=task.completed_by or "the process")
        return task, cosigners_pending

    @staticmethod
    def is_candidate(task: HumanTask, actor: Actor) -> bool:
        # The comma lists mirror the candidate rows; reading them saves a query.
        return (task.assignee == actor.username or actor.username in task.candidate_user_list
                or any(group in actor.groups for group in task.candidate_group_list))

    @staticmethod
    def _require_reason(reason: str | None) -> None:
        if not reason or not reason.strip():
            raise InvalidOperation("a reason is required")

    @staticmethod
    def _require_supervisor(actor: Actor, what: str) -> None:
        if not actor.supervises:
            raise PermissionDenied("only a supervisor may {what}", what=what)

    def claim(self, task_id: int, actor: Actor) -> None:
        with self._command(actor) as ctx:
            task = self._task_for_update(ctx.session, task_id)
            if task.assignee and task.assignee != actor.username:
                raise ConflictError("task {task} is already claimed by {user}", task=task_id, user=task.assignee)
            if not self.is_candidate(task, actor):
                raise PermissionDenied("{user} is not a candidate for task {task}", user=actor.username, task=task_id)
            # Compare-and-set so two simultaneous claims cannot both win.
            won = ctx.session.execute(
                update(HumanTask).where(HumanTask.id == task_id, HumanTask.status == "open",
                                        or_(HumanTask.assignee.is_(None), HumanTask.assignee == actor.username))
                .values(assignee=actor.username).execution_options(synchronize_session=False)
            ).rowcount
            if not won:
                raise ConflictError("task {task} was claimed by someone else", task=task_id)
            ctx.audit("task.claimed", task.instance, task=task)

    def unclaim(self, task_id: int, actor: Actor) -> None:
        with self._command(actor) as ctx:
            task = self._task_for_update(ctx.session, task_id)
            if task.assignee != actor.username and not actor.supervises:
                raise PermissionDenied("task {task} is not claimed by {user}", task=task_id, user=actor.username)
            task.assignee = None
            ctx.audit("task.unclaimed", task.instance, task=task)

    COMPLETE_ATTEMPTS = 3

    def retrying(self, command, what: str = "command"):
        """Run `command()` again (up to COMPLETE_ATTEMPTS) when another step of the same case changed
        it first: a parallel branch finishing is not the caller's conflict."""
        for attempt in range(1, self.COMPLETE_ATTEMPTS + 1):
            try:
                return command()
            except StaleInstance:
                if attempt == self.COMPLETE_ATTEMPTS:
                    raise
                log.info("%s: case changed meanwhile, trying again (attempt %s)", what, attempt + 1)

    def complete(self, task_id: int, actor: Actor, data: dict | None = None,
                 record: dict | None = None) -> list[int]:
        """Complete a ready user task with form data, then run to the next wait state.
        Returns the ids of the user tasks that opened on the way (the next steps).

        Another step of the same case finishing first (a parallel branch) is not the officer's
        conflict: the completion is tried again on the new state. The same task completed by
        someone else still fails (TaskNotReady) when tried again.

        The step record (engine.step_records) is written in the same transaction; `record`
        adds what only the caller knows (the form as shown, opinion, outcome, names)."""
        return self.retrying(lambda: self._complete_once(task_id, actor, data, record), f"task {task_id}")

    def _complete_once(self, task_id: int, actor: Actor, data: dict | None, record: dict | None) -> list[int]:
        with self._command(actor) as ctx:
            task, cosigners_pending = self._task_and_cosigners(ctx.session, task_id)
            if task.assignee and task.assignee != actor.username:
                raise PermissionDenied("task {task} is assigned to {user}", task=task_id, user=task.assignee)
            if not self.is_candidate(task, actor):
                raise PermissionDenied("{user} may not complete task {task}", user=actor.username, task=task_id)
            # A pending delegation or co-handler (engine.operations).
            blocker = completion_blocker(ctx.session, task, cosigners_pending)
            if blocker:
                raise blocker
            instance, workflow = self._load(ctx, task.instance_id)
            if instance.status != "running":
                raise InvalidOperation("the process is {status}; the task cannot be completed now",
                                       status=instance.status)
            spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
            # SpiffWorkflow's Task.run() accepts any task; only a READY user task may be completed.
            if (spiff_task is None or not spiff_task.has_state(TaskState.READY)
                    or human_spec(spiff_task.task_spec) is None):
                raise TaskNotReady("task {task} is not ready", task=task_id)
            spiff_task.data.update(as_stored(data or {}))
            self._run_task(ctx, instance, spiff_task)
            ctx.audit("task.completed", task.instance, task=task,
                      data={"data": data or {}})
            step_records.write(ctx, task, "completed", data, record)
            self._advance(ctx, instance, workflow)
            # The row is closed by the save, after the instance's row: every command writes the
            # instance first, so two commands on one case never wait for each other in a circle.
            changes = self._save(ctx, instance, workflow, known_rows={task.spiff_task_id: task},
                                 completed_by=actor.username)
        return [change.task.id for change in changes if change.action == "task.created"]

    def reassign(self, task_id: int, actor: Actor, assignee: str, reason: str) -> None:
        """A supervisor gives the task to another person (it stays with its candidates)."""
        self._require_reason(reason)
        self._require_supervisor(actor, "reassign a task")
        with self._command(actor) as ctx:
            task = self._task_for_update(ctx.session, task_id)
            previous = task.assignee
            task.assignee = assignee
            self._touch_instance(ctx.session, task.instance_id)
            ctx.audit("task.reassigned", task.instance, task=task,
                      reason=reason, data={"from": previous, "to": assignee})

    def transfer(self, task_id: int, actor: Actor, reason: str, to_user: str | None = None,
                 to_groups: list[str] | None = None) -> None:
        """转办: hand the task over to another user and/or unit, replacing its candidates."""
        self._require_reason(reason)
        self._require_supervisor(actor, "transfer a task")
        if not to_user and not to_groups:
            raise InvalidOperation("transfer needs a user or a group to transfer to")
        with self._command(actor) as ctx:
            task = self._task_for_update(ctx.session, task_id)
            before = {"assignee": task.assignee, "candidate_groups": task.candidate_groups,
                      "candidate_users": task.candidate_users}
            replace_candidates(ctx.session, task, to_groups or [], to_user)
            self._touch_instance(ctx.session, task.instance_id)
            ctx.audit("task.transferred", task.instance, task=task,
                      reason=reason, data={"from": before, "to": {"assignee": to_user, "candidate_groups": to_groups}})

    def _touch_instance(self, session, instance_id):
        # Bumps the instance version, so a completion racing a transfer loses cleanly.
        instance = session.get(ProcessInstance, instance_id)
        instance.updated_at = self.now()
        flag_modified(instance, "updated_at")  # written (and versioned) even when the clock has not moved

    # -- timers -----------------------------------------------------------

    def next_timer_due(self) -> datetime | None:
        with self.session_factory() as session:
            return session.scalar(select(func.min(Timer.due_at)).where(Timer.status == "waiting"))

    def _claim_due_timers(self, now: datetime, limit: int) -> list[int]:
        session = self.session_factory()
        try:
            with session.begin():
                rows = session.scalars(
                    select(Timer).where(Timer.status == "waiting", Timer.due_at < now,
                                        or_(Timer.locked_until.is_(None), Timer.locked_until < now))
                    .order_by(Timer.due_at).limit(limit).with_for_update(skip_locked=True)
                ).all()
                for row in rows:
                    row.locked_by = self.node_id
                    row.locked_until = now + self.timer_lease
                    row.attempts += 1
                return [row.id for row in rows]
        finally:
            session.close()

    def fire_due_timers(self, now: datetime | None = None, limit: int = 500) -> int:
        """Fire every timer due before `now` (default: the clock). Returns how many fired.

        Safe with several processes: rows are claimed with FOR UPDATE SKIP LOCKED
        and a lease; the instance's version check makes each firing happen once.
        """
        now = now or self.now()
        fired = 0
        while True:
            claimed = self._claim_due_timers(now, limit)
            for timer_id in claimed:
                fired += self._fire_one(timer_id)
            if len(claimed) < limit:
                return fired

    def _fire_one(self, timer_id: int) -> int:
        try:
            with self._command(SYSTEM) as ctx:
                timer = ctx.session.get(Timer, timer_id)
                if timer is None or timer.status != "waiting" or timer.locked_by != self.node_id:
                    return 0
                if timer.instance_id is None:  # a deployed version's timer start event
                    start_timers.fire(self, ctx, timer)
                    return 1
                instance, workflow = self._load(ctx, timer.instance_id)
                if instance.status != "running":
                    timer.locked_by = timer.locked_until = None
                    return 0
                workflow.refresh_timers()
                self._advance(ctx, instance, workflow)
                self._save(ctx, instance, workflow)
                return 1 if timer.status == "fired" else 0
        except ConflictError:
            self._release_timer(timer_id)
            return 0
        except Exception as err:
            log.exception("timer %s failed", timer_id)
            self._release_timer(timer_id, str(err))
            return 0

    def _release_timer(self, timer_id: int, error: str | None = None) -> None:
        with self.session_factory() as session, session.begin():
            values = {"locked_by": None, "locked_until": None}
            if error:
                values["last_error"] = error[:4000]
            session.execute(update(Timer).where(Timer.id == timer_id, Timer.locked_by == self.node_id).values(**values))
