"""What officers do with a task besides claim and complete: 退回, 转办, 委派, 加签,
抄送, 催办, 拿回, 撤销, plus drafts, comments and evidence files.

Every operation is one engine command (one transaction, see engine.runtime):
it checks who may do it, needs a reason where the campaign asks for one,
bumps the instance's version so a racing command loses cleanly (ConflictError),
and writes an audit event.

Semantics
---------
- **Draft** (`save_draft`): form values kept on the task row without
  validation; an unclaimed group task is claimed by whoever saves a draft.
- **Delegate** (委派, `delegate`): the holder (the *owner*) hands the task to
  another person (the *delegate*, who becomes the assignee); the delegation
  is `pending`. The delegate cannot complete the BPMN task: their completion
  (`complete` routes it to `resolve`) saves their values as the task's draft
  and gives the task back to the owner (`resolved`), who then completes it
  for real, pre-filled. `Engine.complete` refuses a task whose delegation is
  pending, whoever calls it.
- **Co-handler** (加签, `add_cosigner` / `sign`): one `task_cosigner` row per
  co-handler. Each must sign (with an opinion) before anyone may complete the
  task; `Engine.complete` refuses while one is pending. Co-handlers do not
  take the task over and do not change the process data.
- **CC** (抄送, `copy`): `TaskCopy` rows, listed in the recipients' CC inbox.
- **Whom to** (the cross-unit rule): the caller's `recipient_rule(session, actor, username)`
  says whom an actor may delegate to, add as co-handler or CC (domain.recipients: unit officers
  only their own unit's people); a refusal is `CrossUnitRecipient`, naming the form field.
- **Remind** (催办, `remind`): `Escalator.remind` (supervisors).
- **Transfer** (转办, `transfer`): like `Engine.transfer` (supervisors), and
  it also ends a pending delegation.
- **Send back** (退回, `send_back`): the current task goes back to the previous
  completed user task on its path (`to="previous"`) or to the first one, the
  registering office's step (`to="first"`), with SpiffWorkflow's
  `reset_from_task_id`. Everything after that step is dropped: the current
  task row (and any other open task of the dropped branch) is closed as
  `cancelled`, and a new row opens for the re-run step, assigned to whoever
  completed it and pre-filled (draft) with what they submitted. Script
  effects on the campaign's records are not undone; they run again.
- **Take back** (拿回, `take_back`, on the sender's *completed* task): allowed
  while every task that became ready after it is still untouched (not
  claimed, no draft, no delegation, no co-handler) and none of them was
  completed. The step is re-opened for the sender, pre-filled, the same way
  as a send back.
- **Withdraw** (撤销, `withdraw`): the registering office (members of
  `registering_groups`, the instance's starter, administrators) cancels the
  whole case.

The re-run step gets a new SpiffWorkflow task id, so its completed row keeps
its history and the new row is a row of its own (task ids are unique per row).
"""
import uuid
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import flag_modified
from SpiffWorkflow.util.task import TaskState

from engine import escalation, step_records
from engine.errors import ConflictError, InvalidOperation, NotFound, PermissionDenied
from engine.identity import Actor
from engine.projection import human_spec, ready_user_task_ids, replace_candidates
from engine.store.models import (
    Attachment,
    AuditEvent,
    HumanTask,
    ProcessInstance,
    TaskCopy,
    TaskCosigner,
    Timer,
)

# Audit actions that mean someone has started working on a task (no take-back after them).
STARTED_ACTIONS = frozenset({"task.claimed", "task.draft_saved", "task.delegated", "task.delegation_resolved",
                             "task.cosigner_added", "task.cosigned", "task.transferred", "task.reassigned"})
MAX_REASON = 2000
MAX_COMMENT = 4000


class CrossUnitRecipient(PermissionDenied):
    """The person chosen in `field` (a form field: to_user, username, recipients) is outside the units
    the actor may hand work to."""

    def __init__(self, field: str, user: str, what: str):
        super().__init__("{what}: {user} works in another unit; choose someone of your own unit",
                         what=what, user=user)
        self.field, self.user = field, user


def completion_blocker(session, task: HumanTask, cosigners_pending: bool = True) -> str | None:
    """Why the task may not be completed now (a pending delegation or co-handler), or None.
    `cosigners_pending=False` (already known from the task's query) skips the co-handler lookup."""
    if task.delegation_state == "pending":
        return InvalidOperation("task {task} is delegated to {user}; the delegate hands it back to {owner} "
                                "before it can be completed", task=task.id, user=task.assignee, owner=task.owner)
    if task.id is not None and cosigners_pending:
        waiting = session.scalars(select(TaskCosigner.username).where(
            TaskCosigner.task_id == task.id, TaskCosigner.status == "pending")).all()
        if waiting:
            return InvalidOperation("task {task} waits for co-handlers to sign: {users}", task=task.id,
                                    users=", ".join(sorted(waiting)))
    return None


def _find(workflow, task_id: UUID):
    """The SpiffWorkflow task with this id in the workflow or any subprocess, or None."""
    if task_id in workflow.tasks:
        return workflow.tasks[task_id]
    for subprocess in getattr(workflow, "subprocesses", {}).values():
        if task_id in subprocess.tasks:
            return subprocess.tasks[task_id]
    return None


def _human_ancestors(workflow, spiff_task):
    """Completed user tasks on the path that led to `spiff_task`, nearest first."""
    found = []
    current = spiff_task
    while current is not None:
        parent = current.parent
        if parent is None:  # the root of a subprocess: continue from its task in the parent workflow
            parent_id = getattr(current.workflow, "parent_task_id", None)
            parent = _find(workflow, parent_id) if parent_id is not None else None
        current = parent
        if current is not None and current.has_state(TaskState.COMPLETED) and human_spec(current.task_spec):
            found.append(current)
    return found


def _rekey(spiff_task) -> UUID:
    """Give a reset task a new id, so its re-run gets a row of its own."""
    workflow = spiff_task.workflow
    old, new = spiff_task.id, uuid.uuid4()
    workflow.tasks.pop(old)
    spiff_task.id = new
    workflow.tasks[new] = spiff_task
    parent = spiff_task.parent
    if parent is not None:
        parent._children[parent._children.index(old)] = new
    for child in spiff_task.children:
        child._parent = new
    return new


def _clean_reason(reason: str | None, limit: int = MAX_REASON) -> str:
    if not reason or not reason.strip():
        raise InvalidOperation("a reason is required")
    reason = reason.strip()
    if len(reason) > limit:
        raise InvalidOperation("the text is too long (at most {limit} characters)", limit=limit)
    return reason


class TaskOperations:
    """The operations on a task; `escalator` (for remind and notifications),
    `user_exists(session, username)` (to refuse unknown people) and
    `recipient_rule(session, actor, username)` (whom the actor may delegate to, add as
    co-handler or CC) are optional."""

    def __init__(self, engine, escalator=None, user_exists=None, registering_groups=("office",),
                 recipient_rule=None):
        self.engine = engine
        self.escalator = escalator
        self.user_exists = user_exists
        self.recipient_rule = recipient_rule
        self.registering_groups = frozenset(registering_groups)

    # -- helpers --------------------------------------------------------------

    def _open_task(self, ctx, task_id: int) -> HumanTask:
        task = self.engine._task_for_update(ctx.session, task_id)
        if task.instance.status != "running":
            raise InvalidOperation("the process is {status}", status=task.instance.status)
        return task

    def holds(self, task: HumanTask, actor: Actor) -> bool:
        """The actor has the task: it is assigned to them, or unassigned and they are a candidate."""
        if task.assignee:
            return task.assignee == actor.username
        return self.engine.is_candidate(task, actor)

    def _require_holder(self, task, actor, what, supervisor_too=False):
        if self.holds(task, actor) or (supervisor_too and actor.supervises):
            return
        raise PermissionDenied("{user} may not {what} task {task}", user=actor.username, what=what, task=task.id)

    @staticmethod
    def _touch(ctx, instance: ProcessInstance) -> None:
        """Write the instance row, so its version check makes racing commands conflict."""
        instance.updated_at = ctx.now
        flag_modified(instance, "updated_at")

    def _check_user(self, ctx, username: str | None) -> str:
        username = (username or "").strip()
        if not username:
            raise InvalidOperation("name a person")
        if self.user_exists is not None and not self.user_exists(ctx.session, username):
            raise NotFound("no user {user}", user=username)
        return username

    def _check_recipient(self, ctx, actor: Actor, username: str, field: str, what: str) -> None:
        """The cross-unit rule, checked once the actor is known to hold the task."""
        if self.recipient_rule is not None and not self.recipient_rule(ctx.session, actor, username):
            raise CrossUnitRecipient(field, username, what)

    def _notify(self, ctx, key, kind, usernames, task, **extra):
        if self.escalator is None:
            return
        people = sorted({u for u in usernames if u})
        if people:
            self.escalator.notify(ctx.session, f"{key}:{uuid.uuid4()}", kind, people,
                                  self.escalator._context(ctx, task, **extra), link=f"/tasks/{task.id}")
            ctx.due(ctx.now)  # wake the scheduler after commit to deliver it

    @staticmethod
    def _claim_for(ctx, task, actor):
        if task.assignee is None:
            task.assignee = actor.username
            ctx.audit("task.claimed", task.instance, task=task)

    # -- drafts and completion ------------------------------------------------

    def save_draft(self, task_id: int, actor: Actor, data: dict) -> None:
        """Keep form values on the task without validating them (an unclaimed task is claimed)."""
        with self.engine._command(actor) as ctx:
            task = self._open_task(ctx, task_id)
            self._require_holder(task, actor, "save a draft of")
            self._claim_for(ctx, task, actor)
            task.draft = dict(data or {})
            task.draft_by, task.draft_at = actor.username, ctx.now
            self._touch(ctx, task.instance)
            ctx.audit("task.draft_saved", task.instance, task=task)

    def complete(self, task_id: int, actor: Actor, data: dict | None = None, record: dict | None = None) -> str:
        """Complete the task; a delegate's completion hands it back instead. Returns "completed" or "resolved".
        `record`: the step record's details (engine.step_records)."""
        with self.engine.session_factory() as session:
            task = session.get(HumanTask, task_id)
            delegated = (task is not None and task.delegation_state == "pending"
                         and task.assignee == actor.username)
        if delegated:
            self.resolve(task_id, actor, data, record)
            return "resolved"
        self.engine.complete(task_id, actor, data, record)
        return "completed"

    # -- delegate (委派) --------------------------------------------------------

    def delegate(self, task_id: int, actor: Actor, to_user: str, reason: str) -> None:
        reason = _clean_reason(reason)
        with self.engine._command(actor) as ctx:
            to_user = self._check_user(ctx, to_user)
            task = self._open_task(ctx, task_id)
            if task.delegation_state == "pending":
                raise InvalidOperation("task {task} is already delegated to {user}", task=task_id, user=task.assignee)
            self._require_holder(task, actor, "delegate")
            if to_user == actor.username:
                raise InvalidOperation("a task cannot be delegated to oneself")
            self._check_recipient(ctx, actor, to_user, "to_user", "delegate to")
            task.owner = actor.username
            task.assignee = to_user
            task.delegation_state = "pending"
            self._touch(ctx, task.instance)
            ctx.audit("task.delegated", task.instance, task=task, reason=reason,
                      data={"owner": actor.username, "delegate": to_user})
            self._notify(ctx, "delegate", "task.assigned", [to_user], task, reason=reason)

    def resolve(self, task_id: int, actor: Actor, data: dict | None = None, record: dict | None = None) -> None:
        """The delegate finishes: their values become the draft and the task returns to its owner."""
        with self.engine._command(actor) as ctx:
            task = self._open_task(ctx, task_id)
            if task.delegation_state != "pending":
                raise InvalidOperation("task {task} is not delegated", task=task_id)
            if task.assignee != actor.username:
                raise PermissionDenied("task {task} is delegated to {user}", task=task_id, user=task.assignee)
            task.draft = dict(data or {})
            task.draft_by, task.draft_at = actor.username, ctx.now
            task.assignee = task.owner
            task.delegation_state = "resolved"
            self._touch(ctx, task.instance)
            ctx.audit("task.delegation_resolved", task.instance, task=task,
                      data={"delegate": actor.username, "owner": task.owner, "data": dict(data or {})})
            step_records.write(ctx, task, "resolved", data, record)
            self._notify(ctx, "resolve", "task.assigned", [task.owner], task)

    # -- co-handlers (加签) -----------------------------------------------------

    def add_cosigner(self, task_id: int, actor: Actor, username: str, reason: str) -> int:
        reason = _clean_reason(reason)
        with self.engine._command(actor) as ctx:
            username = self._check_user(ctx, username)
            task = self._open_task(ctx, task_id)
            self._require_holder(task, actor, "add a co-handler to", supervisor_too=True)
            if username in (task.assignee, actor.username):
                raise InvalidOperation("the handler cannot be their own co-handler")
            if ctx.session.scalar(select(TaskCosigner.id).where(
                    TaskCosigner.task_id == task.id, TaskCosigner.username == username,
                    TaskCosigner.status == "pending")) is not None:
                raise InvalidOperation("{user} is already a co-handler of this task", user=username)
            self._check_recipient(ctx, actor, username, "username", "co-handler")
            row = TaskCosigner(task=task, instance_id=task.instance_id, username=username, added_by=actor.username,
                               added_at=ctx.now, reason=reason, status="pending")
            ctx.session.add(row)
            self._touch(ctx, task.instance)
            ctx.audit("task.cosigner_added", task.instance, task=task, reason=reason, data={"cosigner": username})
            self._notify(ctx, "cosign", "task.assigned", [username], task, reason=reason)
            ctx.session.flush()
            return row.id

    def sign(self, task_id: int, actor: Actor, opinion: str) -> None:
        opinion = _clean_reason(opinion)
        with self.engine._command(actor) as ctx:
            task = self._open_task(ctx, task_id)
            row = ctx.session.scalar(select(TaskCosigner).where(
                TaskCosigner.task_id == task.id, TaskCosigner.username == actor.username,
                TaskCosigner.status == "pending"))
            if row is None:
                raise PermissionDenied("{user} has nothing to sign on task {task}", user=actor.username, task=task_id)
            row.status, row.signed_at, row.opinion = "signed", ctx.now, opinion
            self._touch(ctx, task.instance)
            ctx.audit("task.cosigned", task.instance, task=task, reason=opinion)

    # -- CC, remind, transfer ---------------------------------------------------

    def copy(self, task_id: int, actor: Actor, recipients: list[str], note: str) -> list[int]:
        """抄送 the task to people for information."""
        note = _clean_reason(note)
        with self.engine._command(actor) as ctx:
            task = ctx.session.get(HumanTask, task_id)
            if task is None:
                raise NotFound("task {task} not found", task=task_id)
            may = (self.holds(task, actor) or actor.supervises or task.owner == actor.username
                   or task.completed_by == actor.username)
            if not may:
                raise PermissionDenied("{user} may not copy task {task}", user=actor.username, task=task_id)
            names = list(dict.fromkeys(self._check_user(ctx, name) for name in recipients or []))
            if not names:
                raise InvalidOperation("name at least one recipient")
            for name in names:
                self._check_recipient(ctx, actor, name, "recipients", "CC")
            copies = [TaskCopy(task=task, instance_id=task.instance_id, recipient=name, sent_by=actor.username,
                               sent_at=ctx.now, note=note) for name in names]
            ctx.session.add_all(copies)
            ctx.audit("task.copied", task.instance, task=task, reason=note, data={"recipients": names})
            ctx.session.flush()
            return [c.id for c in copies]

    def remind(self, task_id: int, actor: Actor, message: str) -> None:
        """催办: tell whoever holds the task (supervisors; see Escalator.remind)."""
        if self.escalator is None:
            raise InvalidOperation("reminders are not available")
        self.escalator.remind(task_id, actor, _clean_reason(message))

    def transfer(self, task_id: int, actor: Actor, reason: str, to_user: str | None = None,
                 to_groups: list[str] | None = None) -> None:
        """转办 (supervisors): new candidates replace the old; a pending delegation ends."""
        reason = _clean_reason(reason)
        if not actor.supervises:
            raise PermissionDenied("only a supervisor may transfer a task")
        to_groups = [g for g in (to_groups or []) if g]
        if not to_user and not to_groups:
            raise InvalidOperation("transfer needs a user or a group to transfer to")
        with self.engine._command(actor) as ctx:
            if to_user:
                to_user = self._check_user(ctx, to_user)
            task = self._open_task(ctx, task_id)
            before = {"assignee": task.assignee, "candidate_groups": task.candidate_groups,
                      "candidate_users": task.candidate_users}
            replace_candidates(ctx.session, task, to_groups, to_user)
            task.owner = task.delegation_state = None
            self._touch(ctx, task.instance)
            ctx.audit("task.transferred", task.instance, task=task, reason=reason,
                      data={"from": before, "to": {"assignee": to_user, "candidate_groups": to_groups}})
            if to_user:
                self._notify(ctx, "transfer", "task.assigned", [to_user], task, reason=reason)

    # -- send back (退回) and take back (拿回) -----------------------------------

    @staticmethod
    def _completed_row(session, spiff_task_id: str) -> HumanTask | None:
        return session.scalars(select(HumanTask).where(
            HumanTask.spiff_task_id == spiff_task_id, HumanTask.status == "completed")
            .order_by(HumanTask.id.desc()).limit(1)).first()

    @staticmethod
    def submitted_data(session, row: HumanTask | None) -> dict | None:
        """What was submitted when `row` was completed (to pre-fill its re-run)."""
        if row is None:
            return None
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.task_id == row.id, AuditEvent.action == "task.completed")
            .order_by(AuditEvent.id.desc()).limit(1)).first()
        data = (event.data or {}).get("data") if event is not None else None
        return dict(data) if data else None

    @staticmethod
    def started(session, task: HumanTask) -> bool:
        """Whether someone has begun working on an open task (claimed, drafted, delegated, co-handled ...)."""
        if task.draft is not None or task.owner or task.delegation_state:
            return True
        return session.scalar(select(AuditEvent.id).where(
            AuditEvent.task_id == task.id, AuditEvent.action.in_(STARTED_ACTIONS)).limit(1)) is not None

    def _reopen(self, ctx, instance, workflow, target, action, reason, assignee, draft, current=None,
                check_untouched=False) -> HumanTask:
        """Reset the workflow to `target` (a completed user task) and open a new row for it."""
        removed = workflow.reset_from_task_id(target.id)
        if check_untouched and any(t.has_state(TaskState.COMPLETED) and human_spec(t.task_spec) for t in removed):
            raise ConflictError("the next step has already been completed; it can no longer be taken back")
        # SpiffWorkflow 3.2 leaves removed event tasks (timers of dropped branches) in its event manager.
        manager = getattr(workflow, "event_manager", None)
        if manager is not None:
            for event_task_id in [i for i in manager.tasks if _find(workflow, i) is None]:
                manager.tasks.pop(event_task_id)
        new_id = _rekey(target)
        self.engine._advance(ctx, instance, workflow)
        ready = ready_user_task_ids(workflow)
        open_rows = ctx.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.status == "open")).all()
        closed = [row for row in open_rows if row.spiff_task_id not in ready]
        if check_untouched:
            if not closed:
                raise InvalidOperation("no task is waiting after this one; there is nothing to take back")
            busy = [row for row in closed if self.started(ctx.session, row)]
            if busy:
                raise ConflictError("「{step}」 has already been started; it can no longer be taken back", step=busy[0].name)
            for row in closed:
                # Compare-and-set: a claim (which does not touch the instance) may have just won the race.
                unclaimed = HumanTask.assignee.is_(None) if row.assignee is None else HumanTask.assignee == row.assignee
                won = ctx.session.execute(
                    update(HumanTask).where(HumanTask.id == row.id, HumanTask.status == "open", unclaimed)
                    .values(status="cancelled").execution_options(synchronize_session=False)).rowcount
                if not won:
                    raise ConflictError("「{step}」 has just been claimed; it can no longer be taken back", step=row.name)
        for row in closed:
            row.status = "cancelled"
            escalation.close_ladder(ctx.session, row)
            if row is not current:
                ctx.audit("task.cancelled", instance, task=row, reason=reason, data={"by": action})
        # Timers of dropped branches: close them here, sync_timers only knows tasks still in the tree.
        for timer in ctx.session.scalars(select(Timer).where(Timer.instance_id == instance.id,
                                                             Timer.status == "waiting")):
            if _find(workflow, UUID(timer.spiff_task_id)) is None:
                timer.status = "cancelled"
                timer.locked_by = timer.locked_until = None
        ctx.session.flush()
        # The rows closed above are done with; the new row is the one sync_tasks adds.
        workflow.duban_ready_before = {row.spiff_task_id for row in open_rows if row not in closed}
        changes = self.engine._save(ctx, instance, workflow)
        new_row = next((change.task for change in changes
                        if change.action == "task.created" and change.task.spiff_task_id == str(new_id)), None)
        if new_row is None:  # pragma: no cover - a reset user task is always ready again
            raise InvalidOperation("the step could not be re-opened")
        if assignee:
            new_row.assignee = assignee
        if draft:
            new_row.draft, new_row.draft_by, new_row.draft_at = draft, assignee, ctx.now
        return new_row

    def send_back(self, task_id: int, actor: Actor, reason: str, to: str = "previous",
                  record: dict | None = None) -> int:
        """退回 to the previous step (`to="previous"`) or the first, registering step (`to="first"`).
        Returns the id of the new task row."""
        reason = _clean_reason(reason)
        if to not in ("previous", "first"):
            raise InvalidOperation("send back to 'previous' or 'first'")
        with self.engine._command(actor) as ctx:
            task = self._open_task(ctx, task_id)
            self._require_holder(task, actor, "send back", supervisor_too=True)
            if task.delegation_state == "pending":
                raise InvalidOperation("task {task} is delegated; it is handed back to {owner} first", task=task_id, owner=task.owner)
            instance, workflow = self.engine._load(ctx, task.instance_id)
            spiff = _find(workflow, UUID(task.spiff_task_id))
            if spiff is None or not spiff.has_state(TaskState.READY):
                raise ConflictError("task {task} is not ready", task=task_id)
            steps = _human_ancestors(workflow, spiff)
            if not steps:
                raise InvalidOperation("this is the first step; there is no step to send it back to")
            target = steps[0] if to == "previous" else steps[-1]
            previous_row = self._completed_row(ctx.session, str(target.id))
            handler = previous_row.completed_by if previous_row is not None else None
            new_row = self._reopen(ctx, instance, workflow, target, "task.sent_back", reason, handler,
                                   self.submitted_data(ctx.session, previous_row), current=task)
            ctx.session.flush()
            ctx.audit("task.sent_back", instance, task=task, reason=reason,
                      data={"to": to, "element_id": target.task_spec.bpmn_id, "new_task_id": new_row.id,
                            "handler": handler})
            step_records.write(ctx, task, "sent_back", {}, {**(record or {}), "opinion": reason,
                                                              "outcome": "sent_back"})
            self._notify(ctx, "send-back", "task.assigned", [handler], new_row, reason=reason)
            return new_row.id

    def take_back(self, task_id: int, actor: Actor, reason: str) -> int:
        """拿回: the sender re-opens their completed task while the next step is untouched.
        `task_id` is the sender's completed task; returns the id of the re-opened row."""
        reason = _clean_reason(reason)
        with self.engine._command(actor) as ctx:
            row = ctx.session.get(HumanTask, task_id)
            if row is None:
                raise NotFound("task {task} not found", task=task_id)
            if row.status != "completed" or row.completed_by != actor.username:
                raise PermissionDenied("only the person who completed a task may take it back")
            instance, workflow = self.engine._load(ctx, row.instance_id)
            if instance.status != "running":
                raise InvalidOperation("the process is {status}", status=instance.status)
            target = _find(workflow, UUID(row.spiff_task_id))
            if target is None or not target.has_state(TaskState.COMPLETED):
                raise InvalidOperation("this step has already been re-opened or is no longer on the case's path")
            new_row = self._reopen(ctx, instance, workflow, target, "task.taken_back", reason, actor.username,
                                   self.submitted_data(ctx.session, row), check_untouched=True)
            ctx.session.flush()
            ctx.audit("task.taken_back", instance, task=new_row, reason=reason, data={"from_task_id": row.id})
            return new_row.id

    def can_take_back(self, session, task: HumanTask, actor: Actor) -> bool:
        """A cheap check for the page: the actor completed it and only untouched tasks followed."""
        if task.status != "completed" or task.completed_by != actor.username or task.instance.status != "running":
            return False
        later = session.scalars(select(HumanTask).where(HumanTask.instance_id == task.instance_id,
                                                        HumanTask.id > task.id)).all()
        return bool(later) and all(t.status == "open" and not self.started(session, t) for t in later)

    # -- withdraw (撤销) ---------------------------------------------------------

    def may_withdraw(self, actor: Actor, instance: ProcessInstance) -> bool:
        return (actor.username == instance.started_by or bool(self.registering_groups & actor.groups)
                or "administrator" in actor.roles)

    def withdraw(self, instance_id: int, actor: Actor, reason: str, on_withdrawn=None) -> None:
        """The registering office cancels the whole case; `on_withdrawn(session, instance)` may update records."""
        reason = _clean_reason(reason)
        with self.engine._command(actor) as ctx:
            instance, workflow = self.engine._load(ctx, instance_id)
            if not self.may_withdraw(actor, instance):
                raise PermissionDenied("only the registering office may withdraw a case")
            if instance.status in ("completed", "cancelled"):
                raise InvalidOperation("the case is already {status}", status=instance.status)
            workflow.cancel()
            instance.status = "cancelled"
            instance.ended_at = ctx.now
            self.engine._save(ctx, instance, workflow)
            ctx.audit("instance.withdrawn", instance, reason=reason)
            if on_withdrawn is not None:
                on_withdrawn(ctx.session, instance)

    # -- comments and evidence -------------------------------------------------

    def comment(self, instance_id: int, actor: Actor, text: str, task_id: int | None = None) -> None:
        """A comment on the case (an audit event `comment.added`); the caller checks who may see the case."""
        text = _clean_reason(text, MAX_COMMENT)
        with self.engine._command(actor) as ctx:
            instance = ctx.session.get(ProcessInstance, instance_id)
            if instance is None:
                raise NotFound("process instance {instance} not found", instance=instance_id)
            task = ctx.session.get(HumanTask, task_id) if task_id else None
            ctx.audit("comment.added", instance, task=task, data={"text": text})

    def add_attachment(self, instance_id: int, actor: Actor, *, filename: str, storage_name: str,
                       content_type: str, size: int, sha256: str, task_id: int | None = None) -> int:
        """Record an evidence file already written to storage; returns its id."""
        with self.engine._command(actor) as ctx:
            instance = ctx.session.get(ProcessInstance, instance_id)
            if instance is None:
                raise NotFound("process instance {instance} not found", instance=instance_id)
            task = ctx.session.get(HumanTask, task_id) if task_id else None
            row = Attachment(instance_id=instance.id, task_id=task.id if task else None, filename=filename[:255],
                             storage_name=storage_name, content_type=content_type, size=size, sha256=sha256,
                             uploaded_by=actor.username, uploaded_at=ctx.now)
            ctx.session.add(row)
            ctx.session.flush()
            ctx.audit("attachment.added", instance, task=task,
                      data={"attachment_id": row.id, "filename": row.filename, "size": size, "sha256": sha256})
            return row.id
