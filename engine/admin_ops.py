"""What administrators do to process instances and versions, each with a reason and an audit event.

Every operation is administrator-only (PermissionDenied otherwise), needs a
reason, and runs as one engine command (one transaction, see engine.runtime)
that writes an `AuditEvent`.

Semantics
---------
- **Suspend** (`suspend`, running -> suspended): the instance's waiting timers
  and escalation steps are parked (status ``suspended``), so the scheduler
  neither fires them nor wakes up for them; `Engine.complete` refuses its
  tasks (the process is not running). Nothing in SpiffWorkflow changes.
- **Resume** (`resume`, suspended -> running): parked timers and escalation
  steps wait again; any that came due while suspended fire at the next sweep
  (the scheduler is woken for them).
- **Cancel** (`cancel`): like `Engine.cancel`, also for a suspended instance
  (its parked timers are cancelled with it) and for one in error (its open
  incidents are resolved as ``cancelled``).
- **Retry** (`retry`): re-runs the failed step of an instance in error
  (`Engine.retry`: incidents resolved as ``retried``), optionally after
  setting variables (each audited like `set_variable`). An instance that
  stopped on an uncaught BPMN error has no failed step to re-run: cancel it.
- **Set a variable** (`set_variable`): a JSON value written into the data of
  every active step (ready, waiting, started or failed), which is where the
  next steps read instance data from; audited with the old and new value.
- **Migrate** (`plan_migration` = dry run, `migrate`): moves instances of
  version *a* to a newer version *b* of the same process. SpiffWorkflow's
  `bpmn.util.diff` aligns the instance's task tree with the new spec by BPMN
  id and `migrate_workflow` re-predicts what lies ahead from the active steps.
  An instance can move when it is running or suspended and every step it is
  at *or has passed through* still exists in *b* (the state is stored by
  BPMN id, so history of a removed element could not be kept); otherwise the
  plan says why not. Moving keeps: the SpiffWorkflow task ids (so open tasks
  keep their rows, assignees, drafts and due dates; names and form keys follow
  *b*), the data of every active step, and the due time of every waiting timer
  whose definition did not change (a changed timer restarts from the moment of
  migration, and the plan says so). The instance then points at *b*, and the
  engine's save re-syncs task and timer rows. Each instance moves in its own
  transaction; `migrate` returns the plan with what moved.
- **Roll back** (`rollback`): deploys an old version's XML again as a new
  version with the comment ``rollback to vN: reason``; running instances stay
  where they are (migrate them if wanted). `rollback_decision` does the same
  for a decision table (its DMN file, so the file's other decisions too).
"""
import json
import re
from copy import deepcopy
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from sqlalchemy import func, select, update
from sqlalchemy.orm import undefer
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine import lint as lint_module
from engine.bpmn import serialization, stored_tasks
from engine.bpmn.json_data import as_stored
from engine.bpmn.script_engine import DubanScriptEngine
from engine.errors import BpmnValidationError, InvalidOperation, NotFound, PermissionDenied, Problem
from engine.identity import Actor
from engine.projection import human_spec
from engine.runtime import CommandContext, DeployResult
from engine.dmn.loader import load_decisions
from engine.store.decision_models import DecisionDefinition
from engine.store.models import HumanTask, Incident, ProcessDefinition, ProcessInstance, Timer
from engine.store.supervision_models import EscalationStep
from engine.store.wait_models import ExternalTask

ADMINISTRATOR = "administrator"
MAX_REASON = 2000
MAX_VALUE_BYTES = 64 * 1024
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
NOT_REACHED = TaskState.PREDICTED_MASK | TaskState.FUTURE
PARKED = "suspended"
# Why an instance cannot move, and what moving changes (the web layer translates these templates).
MIGRATION_MESSAGES = {
    "current-removed": "its current step {step} does not exist in v{version}",
    "history-removed": "step {step}, which it has passed through, does not exist in v{version} "
                       "(its history could not be kept)",
    "subprocess-removed": "subprocess {name} does not exist in v{version}",
    "not-aligned": "step {step} could not be aligned with v{version}",
    "does-not-load": "its state does not load against v{version}",
    "does-not-load-error": "its state does not load against v{version}: {error}",
    "align-error": "its steps could not be aligned with v{version}: {error}",
    "in-error": "it is in error: retry or cancel it first",
    "changed-since": "it changed since the dry run",
    "task-changed": "step {step} changed in v{version}; its open task keeps its assignee, candidates and due time",
    "timer-restarts": "the timer or event {step} changed in v{version}; it starts again from now",
}
_VARIABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
_MISSING = object()


def _say(key: str, **values) -> str:
    return MIGRATION_MESSAGES[key].format(**values)


def _jsonable(value):
    """A value as the audit trail can store it (dates become text)."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _element_of(task_spec) -> str:
    """The BPMN id behind a task spec (SpiffWorkflow's helper specs are named `<id>.Something`)."""
    return getattr(task_spec, "bpmn_id", None) or task_spec.name.split(".")[0]


def _label(task_spec) -> str:
    name = getattr(task_spec, "bpmn_name", None)
    element = _element_of(task_spec)
    return f"{name} ({element})" if name and name != element else element


@dataclass
class InstanceMigration:
    """Whether one instance can move to the target version, and why not."""
    instance_id: int
    business_key: str | None
    status: str
    current: list[str] = field(default_factory=list)  # element ids of its active steps
    reasons: list[str] = field(default_factory=list)  # why it cannot move (empty: it can)
    notes: list[str] = field(default_factory=list)    # what moving changes for it
    migrated: bool = False

    @property
    def can_migrate(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict:
        return {"instance_id": self.instance_id, "business_key": self.business_key, "status": self.status,
                "current": self.current, "can_migrate": self.can_migrate, "reasons": self.reasons,
                "notes": self.notes, "migrated": self.migrated}


@dataclass
class MigrationPlan:
    process_id: str
    from_version: int
    to_version: int
    instances: list[InstanceMigration] = field(default_factory=list)

    @property
    def movable(self) -> list[InstanceMigration]:
        return [i for i in self.instances if i.can_migrate]

    @property
    def blocked(self) -> list[InstanceMigration]:
        return [i for i in self.instances if not i.can_migrate]

    @property
    def migrated(self) -> list[InstanceMigration]:
        return [i for i in self.instances if i.migrated]


@dataclass
class DeployOutcome:
    """A checked deploy: `result` is None when `problems` blocked it."""
    problems: list[Problem]
    result: DeployResult | None = None


# -- parking timers and escalation steps of a suspended instance ---------------

def _park(session, instance_id: int) -> int:
    timers = session.execute(update(Timer).where(Timer.instance_id == instance_id, Timer.status == "waiting")
                             .values(status=PARKED, locked_by=None, locked_until=None)
                             .execution_options(synchronize_session=False)).rowcount
    session.execute(update(EscalationStep).where(EscalationStep.instance_id == instance_id,
                                                 EscalationStep.status == "waiting")
                    .values(status=PARKED, locked_by=None, locked_until=None)
                    .execution_options(synchronize_session=False))
    return timers


def _unpark(session, instance_id: int):
    """Parked rows wait again; returns the earliest due time among them (to wake the scheduler)."""
    earliest = [session.scalar(select(func.min(Timer.due_at)).where(Timer.instance_id == instance_id,
                                                                    Timer.status == PARKED)),
                session.scalar(select(func.min(EscalationStep.due_at)).where(
                    EscalationStep.instance_id == instance_id, EscalationStep.status == PARKED))]
    session.execute(update(Timer).where(Timer.instance_id == instance_id, Timer.status == PARKED)
                    .values(status="waiting").execution_options(synchronize_session=False))
    session.execute(update(EscalationStep).where(EscalationStep.instance_id == instance_id,
                                                 EscalationStep.status == PARKED)
                    .values(status="waiting").execution_options(synchronize_session=False))
    earliest = [moment for moment in earliest if moment is not None]
    return min(earliest) if earliest else None


# -- migration in memory -------------------------------------------------------

def _same_event(old_spec, new_spec) -> bool:
    old_def, new_def = getattr(old_spec, "event_definition", None), getattr(new_spec, "event_definition", None)
    if old_def is None and new_def is None:
        return True
    return (type(old_def) is type(new_def)
            and getattr(old_def, "expression", None) == getattr(new_def, "expression", None)
            and getattr(old_def, "name", None) == getattr(new_def, "name", None))


def _all_workflows(workflow):
    return [workflow, *workflow.subprocesses.values()]


def migrate_in_memory(workflow, new_spec, new_subprocess_specs: dict, to_version: int,
                      script_engine) -> InstanceMigration:
    """Move `workflow` onto the new spec in place; the returned record's `reasons` say why it could not.

    When there are reasons the workflow may be half-changed: callers throw it away (roll back).
    """
    result = InstanceMigration(0, None, "")
    result.current = sorted({_element_of(t.task_spec) for t in workflow.get_tasks(state=ACTIVE)})
    try:
        top_diff, sub_diffs = diff_workflow(serialization._registry, workflow, new_spec, new_subprocess_specs)
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow could not align the trees
        result.reasons.append(_say("align-error", version=to_version, error=repr(err)))
        return result

    def check(wf, new_wf_spec, diff, label_suffix=""):
        # By BPMN id only: SpiffWorkflow would also pair a removed step with a look-alike new one.
        for task in wf.get_tasks(skip_subprocesses=True):
            if task.has_state(NOT_REACHED) or task.task_spec.name in new_wf_spec.task_specs:
                continue  # what lies ahead is predicted again from the new version
            where = _label(task.task_spec) + label_suffix
            if task.has_state(ACTIVE):
                result.reasons.append(_say("current-removed", step=where, version=to_version))
            else:
                result.reasons.append(_say("history-removed", step=where, version=to_version))
        for task in diff.changed:
            if task.has_state(ACTIVE) and human_spec(task.task_spec) is not None:
                new = diff.alignment.get(task) or task.task_spec
                result.notes.append(_say("task-changed", step=_label(new), version=to_version))

    check(workflow, new_spec, top_diff)
    for sp_id, sp_diff in sub_diffs.items():
        subprocess = workflow.subprocesses[sp_id]
        if sp_diff is None:
            result.reasons.append(_say("subprocess-removed", name=subprocess.spec.name, version=to_version))
        else:
            check(subprocess, new_subprocess_specs[subprocess.spec.name], sp_diff,
                  f" in subprocess {subprocess.spec.name}")
    # Each reason once, in order.
    result.reasons = list(dict.fromkeys(result.reasons))
    result.notes = list(dict.fromkeys(result.notes))
    if result.reasons:
        return result

    active = {}
    for wf in _all_workflows(workflow):
        for task in wf.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True):
            active[task.id] = (deepcopy(task.data), deepcopy(task.internal_data), task.task_spec)
    migrate_workflow(top_diff, workflow, new_spec)
    for sp_id, subprocess in workflow.subprocesses.items():
        migrate_workflow(sub_diffs[sp_id], subprocess, new_subprocess_specs[subprocess.spec.name])
    workflow.subprocess_specs = new_subprocess_specs
    for wf in _all_workflows(workflow):
        for task in list(wf.tasks.values()):
            if task.id not in wf.tasks:
                continue
            saved = active.get(task.id)
            if saved is not None:
                data, internal, old_spec = saved
                task.data = data
                if _same_event(old_spec, task.task_spec):
                    task.internal_data = internal
                else:
                    result.notes.append(_say("timer-restarts", step=_label(task.task_spec), version=to_version))
            if wf.spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                if task.has_state(NOT_REACHED):
                    wf._remove_task(task.id)  # a stale prediction; the new spec predicts again
                else:
                    result.reasons.append(_say("not-aligned", step=_label(task.task_spec), version=to_version))
    if result.reasons:
        return result
    stored_tasks.forget(workflow)  # specs changed under finished tasks too: the next save writes all
    # The stored state must load against the new version exactly as the engine will load it.
    try:
        reloaded = serialization.load_state(serialization.dump_state(workflow), new_spec, new_subprocess_specs,
                                            script_engine)
        for wf in _all_workflows(reloaded):
            if any(task.task_spec is None for task in wf.tasks.values()):
                result.reasons.append(_say("does-not-load", version=to_version))
                break
    except Exception as err:  # noqa: BLE001 - any failure means "cannot move", with the error as the reason
        result.reasons.append(_say("does-not-load-error", version=to_version, error=str(err)))
    return result


class AdminOperations:
    def __init__(self, engine):
        self.engine = engine

    # -- checks -------------------------------------------------------------

    @staticmethod
    def require_admin(actor: Actor) -> None:
        if ADMINISTRATOR not in actor.roles:
            raise PermissionDenied("only an administrator may do this")

    @staticmethod
    def _reason(reason: str | None) -> str:
        reason = (reason or "").strip()
        if not reason:
            raise InvalidOperation("a reason is required")
        if len(reason) > MAX_REASON:
            raise InvalidOperation("the reason is longer than {limit} characters", limit=MAX_REASON)
        return reason

    @staticmethod
    def _instance(ctx, instance_id: int) -> ProcessInstance:
        instance = ctx.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound("process instance {instance} not found", instance=instance_id)
        return instance

    # -- suspend / resume / cancel -----------------------------------------------

    def suspend(self, instance_id: int, actor: Actor, reason: str) -> None:
        self.require_admin(actor)
        reason = self._reason(reason)
        with self.engine._command(actor) as ctx:
            instance = self._instance(ctx, instance_id)
            if instance.status != "running":
                raise InvalidOperation("instance {instance} is {status}; only a running instance can be suspended",
                                       instance=instance_id, status=instance.status)
            instance.status = "suspended"
            instance.updated_at = ctx.now
            parked = _park(ctx.session, instance.id)
            ctx.audit("instance.suspended", instance, reason=reason, data={"timers_parked": parked})

    def resume(self, instance_id: int, actor: Actor, reason: str) -> None:
        self.require_admin(actor)
        reason = self._reason(reason)
        with self.engine._command(actor) as ctx:
            instance = self._instance(ctx, instance_id)
            if instance.status != "suspended":
                raise InvalidOperation("instance {instance} is {status}, not suspended", instance=instance_id, status=instance.status)
            instance.status = "running"
            instance.updated_at = ctx.now
            ctx.due(_unpark(ctx.session, instance.id))
            ctx.audit("instance.resumed", instance, reason=reason)

    def cancel(self, instance_id: int, actor: Actor, reason: str) -> None:
        self.require_admin(actor)
        reason = self._reason(reason)
        with self.engine._command(actor) as ctx:
            instance, workflow = self.engine._load(ctx, instance_id)
            if instance.status in ("completed", "cancelled"):
                raise InvalidOperation("instance {instance} is already {status}", instance=instance_id, status=instance.status)
            previous = instance.status
            _unpark(ctx.session, instance.id)  # so the save below cancels them with the rest
            workflow.cancel()
            instance.status = "cancelled"
            instance.ended_at = ctx.now
            self.engine._save(ctx, instance, workflow)
            for incident in ctx.session.scalars(select(Incident).where(
                    Incident.instance_id == instance.id, Incident.resolved_at.is_(None))):
                incident.resolved_at = ctx.now
                incident.resolution = "cancelled"
            ctx.audit("instance.cancelled", instance, reason=reason, data={"was": previous})

    # -- variables and retry -------------------------------------------------------

    @staticmethod
    def _check_variable(name: str, value) -> None:
        if not isinstance(name, str) or not _VARIABLE.match(name):
            raise InvalidOperation("a variable name starts with a letter and has only letters, digits and _ "
                                   "(at most 100)")
        try:
            size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
        except (TypeError, ValueError):
            raise InvalidOperation("the value must be JSON") from None
        if size > MAX_VALUE_BYTES:
            raise InvalidOperation("the value is {size} bytes; the limit is {limit}", size=size, limit=MAX_VALUE_BYTES)

    @staticmethod
    def current_data(workflow) -> dict:
        """The instance's variables as its next steps see them."""
        active = workflow.get_tasks(state=ACTIVE)
        if active:
            merged = {}
            for task in reversed(active):
                merged.update(task.data)
            return merged
        last = workflow.last_task or workflow.task_tree
        return dict(last.data) if last is not None else {}

    def variables(self, instance_id: int) -> dict:
        with self.engine.session_factory() as session:
            _instance, workflow = self.engine.load_workflow(session, instance_id)
            return self.current_data(workflow)

    def set_variable(self, instance_id: int, actor: Actor, name: str, value, reason: str) -> None:
        self.require_admin(actor)
        reason = self._reason(reason)
        self._check_variable(name, value)
        with self.engine._command(actor) as ctx:
            instance, workflow = self.engine._load(ctx, instance_id)
            if instance.status not in ("running", "suspended", "error"):
                raise InvalidOperation("instance {instance} is {status}; its variables are final", instance=instance_id, status=instance.status)
            active = workflow.get_tasks(state=ACTIVE)
            if not active:
                raise InvalidOperation("instance {instance} has no active step to hold the variable", instance=instance_id)
            old = next((task.data[name] for task in active if name in task.data), _MISSING)
            for task in active:
                task.data[name] = as_stored(value)  # a copy each, in the shape a load gives
            self.engine.write_state(ctx, instance, workflow)
            ctx.audit("instance.variable_set", instance, reason=reason,
                      data={"name": name, "existed": old is not _MISSING,
                            "old": None if old is _MISSING else _jsonable(old), "new": _jsonable(value)})

    def retry(self, instance_id: int, actor: Actor, reason: str, variables: dict | None = None) -> None:
        """Re-run the failed step after its cause is fixed, optionally setting variables first."""
        self.require_admin(actor)
        reason = self._reason(reason)
        for name, value in (variables or {}).items():
            self._check_variable(name, value)
        with self.engine.session_factory() as session:
            instance, workflow = self.engine.load_workflow(session, instance_id)
            if instance.status != "error":
                raise InvalidOperation("instance {instance} is not in error", instance=instance_id)
            # A failed step, or an external task whose worker ran out of retries (it gets one more).
            failed_worker = session.scalar(select(ExternalTask.id).where(
                ExternalTask.instance_id == instance_id, ExternalTask.status == "open", ExternalTask.retries == 0))
            if not workflow.get_tasks(state=TaskState.ERROR) and failed_worker is None:
                raise InvalidOperation("instance {instance} has no failed step to run again (it stopped on an uncaught "
                                       "BPMN error); cancel it instead", instance=instance_id)
        for name, value in (variables or {}).items():
            self.set_variable(instance_id, actor, name, value, reason)
        self.engine.retry(instance_id, actor, reason=reason)

    # -- versions --------------------------------------------------------------------

    @staticmethod
    def _definition(session, process_id: str, version: int) -> ProcessDefinition:
        definition = session.scalars(select(ProcessDefinition).where(
            ProcessDefinition.process_id == process_id, ProcessDefinition.version == version)).first()
        if definition is None:
            raise NotFound("process {process} has no version {version}", process=process_id, version=version)
        return definition

    def deploy_checked(self, bpmn: bytes, actor: Actor, comment: str | None = None, accept_warnings: bool = False,
                       known_groups=None, known_forms=None, filename: str | None = None) -> DeployOutcome:
        """Lint, then deploy unless an error remains or warnings were not accepted."""
        self.require_admin(actor)
        process_id = lint_module.process_id_of(bpmn) if isinstance(bpmn, bytes) else None
        filename = filename or (f"{process_id}.bpmn" if process_id else "process.bpmn")
        problems = lint_module.lint(bpmn, filename, known_groups, known_forms)
        if lint_module.blocking(problems, accept_warnings):
            return DeployOutcome(problems)
        comment = (comment or "").strip()[:MAX_REASON] or None
        return DeployOutcome(problems, self.engine.deploy(bpmn, filename, actor, comment=comment))

    def rollback(self, process_id: str, version: int, actor: Actor, reason: str, known_groups=None) -> DeployResult:
        """Deploy version `version`'s XML again as the newest version."""
        self.require_admin(actor)
        reason = self._reason(reason)
        with self.engine.session_factory() as session:
            definition = self._definition(session, process_id, version)
            latest = self.engine.latest_definition(session, process_id)
            if latest.version == version:
                raise InvalidOperation("v{version} is the latest version already", version=version)
            source, filename, latest_version = definition.source_xml, definition.filename, latest.version
        errors = lint_module.errors(lint_module.lint(source, filename, known_groups))
        if errors:
            raise BpmnValidationError(errors)
        result = self.engine.deploy(source, filename, actor, comment=f"rollback to v{version}: {reason}")
        with self.engine._command(actor) as ctx:
            new = ctx.session.get(ProcessDefinition, result.definition.id)
            ctx.audit("definition.rolled_back", definition=new, reason=reason,
                      data={"process_id": process_id, "to_version": version, "replaced_version": latest_version,
                            "new_version": new.version})
        return result

    def rollback_decision(self, key: str, version: int, actor: Actor, reason: str):
        """Deploy decision `key`'s version `version` again (its whole DMN file) as the newest version,
        with the comment ``rollback to vN: reason``; business rule tasks bound to `latest` use it from
        then on. Returns the engine.decisions.DecisionDeployResult of `key`."""
        self.require_admin(actor)
        reason = self._reason(reason)
        with self.engine.session_factory() as session:
            definition = session.scalars(select(DecisionDefinition).options(undefer(DecisionDefinition.source_xml))
                                         .where(DecisionDefinition.decision_key == key,
                                                DecisionDefinition.version == version)).first()
            if definition is None:
                raise NotFound("decision {decision} has no version {version}", decision=key, version=version)
            latest = self.engine.decisions.latest(session, key)
            if latest.version == version:
                raise InvalidOperation("v{version} is the latest version already", version=version)
            source, filename, latest_version = definition.source_xml, definition.filename, latest.version
        load_decisions(source, filename)  # a version that no longer loads is refused before a connection
        with self.engine._command(actor) as ctx:  # the new version and its audit row commit together
            results = self.engine.decisions.deploy(ctx, source, filename, f"rollback to v{version}: {reason}",
                                                   str(uuid4()))
            result = next(r for r in results if r.definition.decision_key == key)
            if not result.created:  # the latest version's file is the same as that version's
                raise InvalidOperation("v{version} is the same as the latest version, v{latest}", version=version,
                                       latest=latest_version)
            ctx.audit("decision.rolled_back", reason=reason, data={
                "decision": key, "to_version": version, "replaced_version": latest_version,
                "new_version": result.definition.version})
        return result

    # -- migration --------------------------------------------------------------------

    def _candidates(self, session, definition, instance_ids):
        query = select(ProcessInstance).where(ProcessInstance.definition_id == definition.id,
                                              ProcessInstance.status.in_(["running", "suspended", "error"]))
        if instance_ids is not None:
            query = query.where(ProcessInstance.id.in_(list(instance_ids)))
        return session.scalars(query.order_by(ProcessInstance.id)).all()

    def _check_versions(self, session, process_id, from_version, to_version):
        source = self._definition(session, process_id, from_version)
        target = self._definition(session, process_id, to_version)
        if to_version <= from_version:
            raise InvalidOperation("instances can only move to a newer version")
        return source, target

    def _try(self, ctx, instance, workflow, target) -> InstanceMigration:
        record = InstanceMigration(instance.id, instance.business_key, instance.status)
        if instance.status == "error":
            record.reasons.append(_say("in-error"))
            return record
        new_spec, new_subprocess_specs = self.engine._spec_for(target)
        outcome = migrate_in_memory(workflow, new_spec, new_subprocess_specs, target.version, ctx.script_engine)
        record.current, record.reasons, record.notes = outcome.current, outcome.reasons, outcome.notes
        return record

    def plan_migration(self, process_id: str, from_version: int, to_version: int,
                       instance_ids=None) -> MigrationPlan:
        """Dry run: which instances of `from_version` can move to `to_version`, and why not. Writes nothing."""
        plan = MigrationPlan(process_id, from_version, to_version)
        session = self.engine.session_factory()
        try:
            source, target = self._check_versions(session, process_id, from_version, to_version)
            for instance in self._candidates(session, source, instance_ids):
                ctx = CommandContext(session, Actor("dry-run"), self.engine.now())
                ctx.script_engine = DubanScriptEngine(self.engine._functions(ctx))
                _instance, workflow = self.engine._load(ctx, instance.id)
                plan.instances.append(self._try(ctx, instance, workflow, target))
        finally:
            session.rollback()
            session.close()
        return plan

    def migrate(self, process_id: str, from_version: int, to_version: int, actor: Actor, reason: str,
                instance_ids=None) -> MigrationPlan:
        """Move every instance that can move (each in its own transaction); the plan says which did."""
        self.require_admin(actor)
        reason = self._reason(reason)
        plan = self.plan_migration(process_id, from_version, to_version, instance_ids)
        for record in plan.movable:
            record.reasons = []
            with self.engine._command(actor) as ctx:
                instance, workflow = self.engine._load(ctx, record.instance_id)
                source = instance.definition
                target = self._definition(ctx.session, process_id, to_version)
                if source.version != from_version or instance.status not in ("running", "suspended"):
                    record.reasons.append(_say("changed-since"))
                    continue
                checked = self._try(ctx, instance, workflow, target)
                if not checked.can_migrate:
                    record.reasons, record.notes = checked.reasons, checked.notes
                    continue
                suspended = instance.status == "suspended"
                if suspended:
                    _unpark(ctx.session, instance.id)
                instance.definition_id = target.id
                instance.definition = target
                workflow.duban_ready_before = None  # compare against the task table
                if not suspended:
                    self.engine._advance(ctx, instance, workflow)
                self.engine._save(ctx, instance, workflow)
                self._follow_spec(ctx.session, instance, workflow)
                if suspended:
                    _park(ctx.session, instance.id)
                ctx.audit("instance.migrated", instance, definition=target, reason=reason,
                          data={"from_version": from_version, "to_version": to_version,
                                "from_definition_id": source.id, "current": checked.current,
                                "notes": checked.notes})
                record.migrated = True
        return plan

    @staticmethod
    def _follow_spec(session, instance, workflow) -> None:
        """Open task rows take the (new) step's name and form key."""
        rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == "open")).all()
        for row in rows:
            task = workflow.get_task_from_id(UUID(row.spiff_task_id))
            human = human_spec(task.task_spec) if task is not None else None
            if human is None:
                continue
            row.name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
            row.form_key = human.get("form_key")
