"""Deadlines that enforce themselves: the escalation ladder and supervision (督办).

Each open user task with a due time gets one `escalation_step` row per rung
of its ladder (see engine.ladder). `Escalator.run_due()` claims due rows with
FOR UPDATE SKIP LOCKED and a lease, like timers, and performs each rung in one
transaction with marking it done, so a rung happens once across processes.

Who is told is asked of a `directory` (units, supervisors, leaders: the
campaign's records) and told through `notify` (the notifications package);
both are injected so the engine stays free of either. How a notification
names the task's case, unit and office (`describe_task`) and why a task
climbed a rung (`escalation_reason`) is also the directory's to say, in the
words of domain.wording; a directory without these hooks gets plain fallbacks.
"""
import logging
import uuid
from datetime import datetime

from sqlalchemy import or_, select, update

from engine import ladder as ladder_module
from engine.errors import InvalidOperation, NotFound, PermissionDenied
from engine.identity import SYSTEM, Actor
from engine.store.models import HumanTask, ProcessDefinition
from engine.store.supervision_models import Escalation, EscalationStep, LadderSetting, SupervisionMark

log = logging.getLogger(__name__)

LEVELS = ("ordinary", "yellow", "red")
DEFAULT_DEDUCTIONS = {"ordinary": 0, "yellow": 5, "red": 10}


class NullDirectory:
    """Used when no records are wired in: groups are units, nobody supervises."""

    def unit_of_task(self, session, task: HumanTask) -> str | None:
        groups = task.candidate_group_list
        return groups[0] if groups else None

    def holders(self, session, task: HumanTask) -> list[str]:
        return [task.assignee] if task.assignee else task.candidate_user_list

    def supervisors_of(self, session, unit: str | None) -> list[str]:
        return []

    def office_leaders(self, session) -> list[str]:
        return []

    def describe_task(self, session, task: HumanTask) -> dict:
        """Context values for notifications about the task (case, unit_name, office_name ...);
        a value may be {"zh": ..., "en": ...}, rendered in each recipient's language."""
        return {}

    def escalation_reason(self, session, task: HumanTask, rung: str):
        """Why the task climbed `rung` (a text, or {"zh": ..., "en": ...})."""
        return rung


def no_notify(session, event_key, kind, usernames, context, link=None):
    return None


# -- scheduling (called by the engine inside its save) ------------------------

def ladder_for(session, process_id: str, element_id: str, task_property: str | None, default: str) -> str:
    if task_property:
        return task_property
    settings = {row.element_id: row.ladder for row in session.scalars(
        select(LadderSetting).where(LadderSetting.process_id == process_id,
                                    LadderSetting.element_id.in_([element_id, ""])))}
    return settings.get(element_id) or settings.get("") or default


def schedule_steps(session, task: HumanTask, calendar) -> list[datetime]:
    """Write the ladder's steps for a new task; returns their due times."""
    due_times = []
    for position, rung in enumerate(ladder_module.parse(task.ladder or "")):
        due = rung.due_at(task.created_at, task.due_at, calendar)
        if due is not None:
            session.add(EscalationStep(task=task, instance=task.instance, rung=rung.name, position=position,
                                       due_at=due, status="waiting"))
            due_times.append(due)
    return due_times


def close_ladder(session, task: HumanTask) -> None:
    """A task that finished (or was cancelled) climbs no further, and the escalations it
    raised leave the supervisors' inboxes as resolved."""
    session.execute(update(EscalationStep).where(EscalationStep.task_id == task.id,
                                                 EscalationStep.status == "waiting").values(status="cancelled"))
    session.execute(update(Escalation).where(Escalation.task_id == task.id,
                                             Escalation.status.in_(("open", "acknowledged")))
                    .values(status="resolved"))


def remaining_workdays(due_at: datetime | None, now: datetime, calendar) -> int | None:
    """剩N天: working days left until the due time (negative when overdue)."""
    return None if due_at is None else calendar.workdays_between(now, due_at)


class Escalator:
    def __init__(self, engine, directory=None, notify=None, deductions: dict | None = None):
        self.engine = engine
        self.directory = directory or NullDirectory()
        self.notify = notify or no_notify
        self.deductions = {**DEFAULT_DEDUCTIONS, **(deductions or {})}

    # -- the sweep ------------------------------------------------------------

    def _claim(self, now: datetime, limit: int) -> list[int]:
        with self.engine.session_factory() as session, session.begin():
            rows = session.scalars(
                select(EscalationStep).where(EscalationStep.status == "waiting", EscalationStep.due_at <= now,
                                             or_(EscalationStep.locked_until.is_(None),
                                                 EscalationStep.locked_until < now))
                .order_by(EscalationStep.due_at, EscalationStep.position).limit(limit)
                .with_for_update(skip_locked=True)).all()
            for row in rows:
                row.locked_by = self.engine.node_id
                row.locked_until = now + self.engine.timer_lease
            return [row.id for row in rows]

    def run_due(self, now: datetime | None = None, limit: int = 200) -> int:
        """Perform every rung due by `now`; returns how many were performed."""
        now = now or self.engine.now()
        performed = 0
        while True:
            claimed = self._claim(now, limit)
            for step_id in claimed:
                try:
                    performed += self._perform(step_id)
                except Exception:
                    log.exception("escalation step %s failed; it will be retried after its lease", step_id)
            if len(claimed) < limit:
                return performed

    def next_due(self) -> datetime | None:
        from sqlalchemy import func
        with self.engine.session_factory() as session:
            return session.scalar(select(func.min(EscalationStep.due_at)).where(EscalationStep.status == "waiting"))

    def _perform(self, step_id: int) -> int:
        with self.engine._command(SYSTEM) as ctx:
            step = ctx.session.get(EscalationStep, step_id)
            if step is None or step.status != "waiting" or step.locked_by != self.engine.node_id:
                return 0
            step.locked_by = step.locked_until = None
            task = step.task
            if task.status != "open":
                step.status = "cancelled"
                return 0
            acted = getattr(self, f"_rung_{step.rung}")(ctx, step, task)
            step.status = "done" if acted else "skipped"
            step.done_at = ctx.now
            if acted:
                ctx.audit(f"escalation.{step.rung}", task.instance, task=task,
                          data={"unit": self.directory.unit_of_task(ctx.session, task)})
            return 1 if acted else 0

    def _context(self, ctx, task, **extra):
        """What a notification about the task may name. The directory words the case, unit and office
        (`describe_task`, in each language the notifications render); without one, plain fallbacks."""
        context = {"task_name": task.name, "process_name": task.instance.definition.name or task.name,
                   "due_at": task.due_at or ctx.now,
                   "unit_name": self.directory.unit_of_task(ctx.session, task) or "", "reason": "",
                   "subject": task.name, "case": task.instance.business_key or task.name, "office_name": "专项办"}
        describe = getattr(self.directory, "describe_task", None)
        if describe is not None:
            context.update(describe(ctx.session, task))
        return {**context, **extra}

    def _reason(self, ctx, task, rung):
        """升级原因: the directory's words for the rung, else the rung's name."""
        reason = getattr(self.directory, "escalation_reason", None)
        return reason(ctx.session, task, rung) if reason is not None else rung

    def _tell(self, ctx, key, kind, usernames, task, **extra):
        if usernames:
            self.notify(ctx.session, key, kind, sorted(set(usernames)), self._context(ctx, task, **extra),
                        link=f"/tasks/{task.id}")
            ctx.due(ctx.now)  # wake the scheduler after commit to deliver it

    def _raise_escalation(self, ctx, step, task, audience):
        unit = self.directory.unit_of_task(ctx.session, task)
        ctx.session.add(Escalation(task=task, instance_id=task.instance_id, rung=step.rung, unit=unit,
                                   audience=audience, raised_at=ctx.now, status="open"))
        task.escalation_rung = step.rung
        people = (self.directory.supervisors_of(ctx.session, unit) if audience == "supervisors"
                  else self.directory.office_leaders(ctx.session))
        self._tell(ctx, f"escalation:{step.id}", "escalation.raised", people, task,
                   reason=self._reason(ctx, task, step.rung))
        return unit

    def _rung_reminder(self, ctx, step, task):
        self._tell(ctx, f"escalation:{step.id}", "task.reminder", self.directory.holders(ctx.session, task), task)
        return True

    def _rung_unclaimed(self, ctx, step, task):
        if task.assignee:
            return False
        self._raise_escalation(ctx, step, task, "supervisors")
        return True

    def _rung_overdue(self, ctx, step, task):
        task.overdue_since = task.overdue_since or ctx.now
        self._tell(ctx, f"escalation:{step.id}:holders", "task.overdue", self.directory.holders(ctx.session, task),
                   task)
        self._raise_escalation(ctx, step, task, "supervisors")
        return True

    def _rung_escalate(self, ctx, step, task):
        self._raise_escalation(ctx, step, task, "supervisors")
        return True

    def _rung_leader(self, ctx, step, task):
        unit = self._raise_escalation(ctx, step, task, "leaders")
        self._mark(ctx, task, unit, "yellow", "ladder", "逾期未办结，已提级领导督办", SYSTEM.username)
        return True

    def _rung_accountability(self, ctx, step, task):
        unit = self._raise_escalation(ctx, step, task, "leaders")
        self._mark(ctx, task, unit, "red", "ladder", "逾期未办结，已启动问责", SYSTEM.username)
        case = self._context(ctx, task)["case"]
        case = case.get("zh", "") if isinstance(case, dict) else case  # the supervision case's records are Chinese
        reason = f"任务「{task.name}」逾期未办结，已启动问责"
        reason = f"{case}：{reason}" if case and case != task.name else reason
        start_supervision = ctx.script_engine.environment.functions.get("start_supervision")
        if start_supervision is not None and unit is not None:
            # The campaign's own service: opens a supervision case for the unit and starts its process.
            start_supervision("unit", unit, unit, reason, "red")
        elif self._deployed(ctx.session, "supervision"):
            self.engine._start_in(ctx, "supervision", {"kind": "unit", "target_id": unit, "unit": unit,
                                                       "level": "red", "reason": reason})
        return True

    @staticmethod
    def _deployed(session, process_id):
        return session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_id == process_id)
                              .limit(1)) is not None

    # -- supervision marks (督办) ----------------------------------------------

    def _mark(self, ctx, task, unit, level, source, reason, by):
        ctx.session.add(SupervisionMark(task_id=task.id, instance_id=task.instance_id, unit=unit, level=level,
                                        source=source, reason=reason, raised_by=by, raised_at=ctx.now))
        if task.supervision_level is None or LEVELS.index(level) > LEVELS.index(task.supervision_level):
            task.supervision_level = level
        ctx.audit("supervision.raised", task.instance, task=task, reason=reason, data={"level": level})

    def unit_score(self, session, unit: str, base: int = 100) -> int:
        """The unit's assessment score: each active card deducts its configured points."""
        marks = session.scalars(select(SupervisionMark.level).where(
            SupervisionMark.unit == unit, SupervisionMark.cancelled_at.is_(None))).all()
        return base - sum(self.deductions.get(level, 0) for level in marks)

    # -- supervisor actions ---------------------------------------------------

    def _open_task(self, ctx, task_id):
        task = ctx.session.get(HumanTask, task_id)
        if task is None:
            raise NotFound("task {task} not found", task=task_id)
        if task.status != "open":
            raise InvalidOperation("task {task} is {status}", task=task_id, status=task.status)
        return task

    @staticmethod
    def _check(actor: Actor, reason: str | None, what: str):
        if not actor.supervises:
            raise PermissionDenied("only a supervisor may {what}", what=what)
        if not reason or not reason.strip():
            raise InvalidOperation("a reason is required")

    def supervise(self, task_id: int, actor: Actor, level: str, reason: str) -> None:
        """Start supervised handling (督办) of a task, or raise its card."""
        self._check(actor, reason, "start supervised handling")
        if level not in LEVELS:
            raise InvalidOperation("level must be one of {levels}", levels=", ".join(LEVELS))
        with self.engine._command(actor) as ctx:
            task = self._open_task(ctx, task_id)
            unit = self.directory.unit_of_task(ctx.session, task)
            self._mark(ctx, task, unit, level, "supervisor", reason, actor.username)
            self._tell(ctx, f"supervise:{uuid.uuid4()}", "supervision.started",
                       self.directory.holders(ctx.session, task) + self.directory.supervisors_of(ctx.session, unit),
                       task, reason=reason)

    def cancel_mark(self, mark_id: int, actor: Actor, reason: str) -> None:
        self._check(actor, reason, "cancel supervision")
        with self.engine._command(actor) as ctx:
            mark = ctx.session.get(SupervisionMark, mark_id)
            if mark is None:
                raise NotFound("supervision mark {mark} not found", mark=mark_id)
            if mark.cancelled_at is not None:
                raise InvalidOperation("this supervision mark is already cancelled")
            mark.cancelled_at, mark.cancelled_by, mark.cancel_reason = ctx.now, actor.username, reason
            if mark.task_id is not None:
                task = ctx.session.get(HumanTask, mark.task_id)
                active = ctx.session.scalars(select(SupervisionMark.level).where(
                    SupervisionMark.task_id == task.id, SupervisionMark.cancelled_at.is_(None),
                    SupervisionMark.id != mark.id)).all()
                task.supervision_level = max(active, key=LEVELS.index) if active else None
                ctx.audit("supervision.cancelled", task.instance, task=task, reason=reason,
                          data={"level": mark.level})

    def acknowledge(self, escalation_id: int, actor: Actor, note: str | None = None) -> None:
        if not actor.supervises:
            raise PermissionDenied("only a supervisor may acknowledge an escalation")
        with self.engine._command(actor) as ctx:
            item = ctx.session.get(Escalation, escalation_id)
            if item is None:
                raise NotFound("escalation {escalation} not found", escalation=escalation_id)
            if item.status != "open":
                raise InvalidOperation("escalation {escalation} is already {status}", escalation=escalation_id, status=item.status)
            item.status, item.acknowledged_by, item.acknowledged_at, item.note = (
                "acknowledged", actor.username, ctx.now, note)
            ctx.audit("escalation.acknowledged", item.task.instance, task=item.task, reason=note)

    def extend_deadline(self, task_id: int, actor: Actor, new_due: datetime, reason: str) -> None:
        """Move a task's due time; its ladder is re-dated, rungs already passed stay done."""
        self._check(actor, reason, "extend a deadline")
        if new_due.tzinfo is None:
            raise InvalidOperation("the new due time needs a time zone")
        with self.engine._command(actor) as ctx:
            task = self._open_task(ctx, task_id)
            if new_due <= ctx.now:
                raise InvalidOperation("the new due time must be in the future")
            previous = task.due_at
            task.due_at = new_due
            if task.overdue_since is not None:
                task.overdue_since = None
            ctx.session.execute(update(EscalationStep).where(
                EscalationStep.task_id == task.id, EscalationStep.status == "waiting").values(status="cancelled"))
            done = set(ctx.session.scalars(select(EscalationStep.rung).where(
                EscalationStep.task_id == task.id, EscalationStep.status.in_(["done", "skipped"]))))
            ctx.session.flush()
            calendar = self.engine.calendar()
            for position, rung in enumerate(ladder_module.parse(task.ladder or "")):
                due = rung.due_at(task.created_at, task.due_at, calendar)
                if due is None or rung.name in done:
                    continue
                existing = ctx.session.scalar(select(EscalationStep).where(
                    EscalationStep.task_id == task.id, EscalationStep.rung == rung.name))
                if existing is None:
                    ctx.session.add(EscalationStep(task=task, instance_id=task.instance_id, rung=rung.name,
                                                   position=position, due_at=due, status="waiting"))
                else:
                    existing.due_at, existing.status = due, "waiting"
                    existing.locked_by = existing.locked_until = None
                ctx.due(due)
            ctx.audit("task.deadline_extended", task.instance, task=task, reason=reason,
                      data={"from": previous.isoformat() if previous else None, "to": new_due.isoformat()})

    def remind(self, task_id: int, actor: Actor, message: str) -> None:
        """催办: tell whoever holds the task, now."""
        self._check(actor, message, "send a reminder")
        with self.engine._command(actor) as ctx:
            task = self._open_task(ctx, task_id)
            event = ctx.audit("task.reminded", task.instance, task=task, reason=message)
            self._tell(ctx, f"remind:{uuid.uuid4()}", "task.reminder", self.directory.holders(ctx.session, task),
                       task, reason=message)
            return event
