"""The task page: the task, its case file (records, earlier step records, its own record),
its form with drafts, completion (then on to the officer's next step), comments and history."""

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from domain import casefile, wording
from domain.casefile import record_details
from domain.errors import ValidationFailed
from domain.forms import validate_submission
from domain.labels import pick
from domain.models import Lead, RectificationItem, SupervisionCase, Unit, User
from domain.recipients import ANY_UNIT, recipient_units_of
from domain.records import active_unit_codes
from engine import clock
from engine.errors import ConflictError, DubanError, NotFound, PermissionDenied
from engine.operations import TaskOperations, completion_blocker
from engine.store.models import (
    AuditEvent,
    HumanTask,
    ProcessInstance,
    TaskCopy,
    TaskCosigner,
)
from web.commands import current_runtime, run_command
from web.errors import engine_message, status_of
from web.extensions import db
from web.i18n import short_locale
from web.tasks import bp
from web.tasks.access import operations, visible_task
from web.tasks.evidence import (ALLOWED_TYPES, MAX_FILE_BYTES, PHONE_PICKER_TYPES, UploadRejected, browser_file_limit,
                                case_attachments, check_file_ids, may_contribute, size_text, store_field_uploads,
                                store_upload)
from web.tasks.form import field_views, form_of, submitted_values, unit_choices


# -- the case around the task ---------------------------------------------------------

def case_summary(instance: ProcessInstance) -> dict:
    """Process name, business key (lead or item number), subject; never the reporter."""
    summary = {"process_name": instance.definition.name, "number": instance.business_key, "subject": "",
               "summary": "", "lead_id": None, "status": instance.status, "address": ""}
    key = instance.business_key
    if key:
        lead = db.session.scalar(select(Lead).where(Lead.number == key))
        if lead is not None:
            summary.update(subject=lead.subject_display_name, summary=lead.summary, lead_id=lead.id,
                           address=lead.address or "")
            return summary
        item = db.session.scalar(select(RectificationItem).where(RectificationItem.number == key))
        if item is not None:
            summary.update(subject=item.subject.name if item.subject else "", summary=item.problem)
            return summary
        case = db.session.scalar(select(SupervisionCase).where(SupervisionCase.number == key))
        if case is not None:
            summary.update(subject=wording.unit_name(db.session, case.unit, short_locale()), summary=case.reason)
    return summary


def _action_labels() -> dict:
    """Audit actions in plain words: domain.wording, in the page's language."""
    return wording.action_names(short_locale())


def _people(usernames) -> dict[str, str]:
    """{username: 姓名（单位）} (domain.wording); the engine's own actor reads as 系统."""
    return wording.person_labels(db.session, usernames, short_locale())


def history(instance_id: int) -> list[dict]:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .where(AuditEvent.action != "timer.scheduled")
                                .order_by(AuditEvent.id)).all()
    task_ids = {e.task_id for e in events if e.task_id}
    names = dict(db.session.execute(select(HumanTask.id, HumanTask.name).where(HumanTask.id.in_(task_ids))).all()
                 ) if task_ids else {}
    people = _people(e.actor for e in events)
    labels = _action_labels()
    out = []
    for event in events:
        what = labels.get(event.action) or wording.action_label(event.action, short_locale())
        out.append({"at": event.at, "actor": people.get(event.actor, event.actor or ""), "what": what,
                    "action": event.action, "task": names.get(event.task_id, ""), "reason": event.reason,
                    "text": (event.data or {}).get("text") if event.action == "comment.added" else
                    casefile.event_detail(event.action, event.data, short_locale())})
    return out


def comments(instance_id: int) -> list[dict]:
    return [entry for entry in history(instance_id) if entry["action"] == "comment.added"]


# -- the page -------------------------------------------------------------------------------

def _allowed(task: HumanTask, instance: ProcessInstance) -> dict:
    """Which buttons this user gets."""
    ops = operations()
    actor = current_user.actor
    running = instance.status == "running"
    is_open = task.status == "open" and running
    holds = is_open and ops.holds(task, actor)
    supervises = actor.supervises
    pending_sign = is_open and db.session.scalar(select(TaskCosigner.id).where(
        TaskCosigner.task_id == task.id, TaskCosigner.username == actor.username,
        TaskCosigner.status == "pending")) is not None
    earlier = db.session.scalar(select(HumanTask.id).where(
        HumanTask.instance_id == task.instance_id, HumanTask.status == "completed",
        HumanTask.id < task.id).limit(1)) is not None
    delegated_to_me = task.delegation_state == "pending" and task.assignee == actor.username
    return {
        "claim": is_open and task.assignee is None and current_runtime().engine.is_candidate(task, actor),
        "complete": holds and (task.delegation_state != "pending" or delegated_to_me),
        "delegated_to_me": delegated_to_me,
        "send_back": is_open and (holds or supervises) and earlier and not delegated_to_me,
        "transfer": is_open and supervises,
        "delegate": holds and task.delegation_state != "pending",
        "cosigner": is_open and (holds or supervises) and not delegated_to_me,
        "sign": pending_sign,
        "cc": (holds or supervises or task.owner == actor.username or task.completed_by == actor.username),
        "remind": is_open and supervises,
        "take_back": ops.can_take_back(db.session, task, actor),
        "withdraw": running and ops.may_withdraw(actor, instance),
    }


def _users_by_unit(locale, units=ANY_UNIT) -> list[tuple[str, list[tuple[str, str]]]]:
    """Active people grouped by unit name; only those of `units` (unit codes) unless ANY_UNIT."""
    query = (select(User.username, User.display_name, Unit.code, Unit.name_zh, Unit.name_en)
             .outerjoin(Unit, User.unit_id == Unit.id).where(User.active.is_(True)))
    if units is not ANY_UNIT:
        query = query.where(Unit.code.in_(sorted(units)))
    rows = db.session.execute(query.order_by(Unit.id, User.username)).all()
    groups: dict[str, list] = {}
    for username, display, _code, name_zh, name_en in rows:
        unit = (name_en if locale == "en" and name_en else name_zh) or ""
        groups.setdefault(unit, []).append((username, display))
    return list(groups.items())


def _recipient_choices(allowed: dict, locale) -> dict:
    """The people offered to delegate to, add as co-handler or CC: the cross-unit rule
    (domain.recipients) leaves a unit officer their own unit's people."""
    if not any(allowed[k] for k in ("delegate", "cosigner", "cc")):
        return {"recipients": [], "recipients_limited": False}
    units = recipient_units_of(db.session, current_user.username)
    return {"recipients": _users_by_unit(locale, units), "recipients_limited": units is not ANY_UNIT}


def render_task(task: HumanTask, values: dict | None = None, errors: dict | None = None, status: int = 200):
    instance = task.instance
    form, form_problem = form_of(task)
    attachments = case_attachments(task.instance_id)
    by_id = {a.id: a for a in attachments}
    if values is not None:
        current = values
    elif task.status == "open":
        current = dict(task.draft or {})
    else:  # a handled task shows what was submitted
        current = TaskOperations.submitted_data(db.session, task) or {}
    cosigners = db.session.scalars(select(TaskCosigner).where(TaskCosigner.task_id == task.id)
                                   .order_by(TaskCosigner.id)).all()
    events = history(task.instance_id)
    locale = short_locale()
    allowed = _allowed(task, instance)
    people = _people([task.assignee, task.owner, task.completed_by, task.draft_by]
                     + [c.username for c in cosigners] + [c.added_by for c in cosigners])
    title = pick(form.get("title"), locale) if form else ""
    steps = _step_views(task, instance, form, locale)
    html = render_template(
        "tasks/show.html", task=task, instance=instance, case=case_summary(instance), form=form,
        form_title=title or task.name, form_problem=form_problem,
        fields=field_views(form, current, errors or {}, by_id) if form else [],
        errors=errors or {}, attachments=attachments, cosigners=cosigners, history=events,
        comments=[e for e in events if e["action"] == "comment.added"], allowed=allowed, people=people,
        users=_users_by_unit(locale) if allowed["transfer"] else [],
        **_recipient_choices(allowed, locale),
        units=unit_choices(locale) if allowed["transfer"] else [],
        blocker=completion_blocker(db.session, task) if task.status == "open" else None,
        pending_cosigners=[people.get(c.username, c.username) for c in cosigners if c.status == "pending"],
        max_file=size_text(int(current_app.config.get("DUBAN_MAX_FILE_BYTES", MAX_FILE_BYTES))),
        accept=",".join([f".{ext}" for ext in ALLOWED_TYPES] + list(PHONE_PICKER_TYPES)),
        max_file_bytes=browser_file_limit(), max_request_bytes=current_app.config.get("MAX_CONTENT_LENGTH") or 0,
        max_request=size_text(int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)),
        contribute=may_contribute(task), **steps,
    )
    return html, status


def _step_views(task: HumanTask, instance: ProcessInstance, form, locale) -> dict:
    """The case file around the task: its records, the earlier step records (those it reviews or
    continues in full) and, once handled, its own record."""
    chain = casefile.step_chain(db.session, casefile.case_instance_ids(db.session, instance), locale)
    own = [entry for entry in chain if entry["task_id"] == task.id]
    earlier = [entry for entry in chain if entry["task_id"] != task.id
               and (task.status == "open" or not own or entry["id"] < own[0]["id"])]
    return {"records": casefile.case_records(db.session, instance, locale), "earlier_steps": earlier,
            "own_steps": own, "full_steps": casefile.reviewed_elements(form, task, earlier)}


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id):
    task = visible_task(task_id)
    copies = db.session.scalars(select(TaskCopy).where(TaskCopy.task_id == task.id,
                                                       TaskCopy.recipient == current_user.username,
                                                       TaskCopy.read_at.is_(None))).all()
    if copies:  # a CC recipient opening the task has read the copy
        for copy_row in copies:
            copy_row.read_at = clock.now()
        db.session.commit()
        task = visible_task(task_id)
    page = _own_page(task)
    if page:
        return redirect(page)
    return render_task(task)


def _own_page(task: HumanTask) -> str | None:
    """A task done on a page of its own: the unit's monthly return (月报表) is filled in and
    submitted on the return's page, which completes the task."""
    if task.form_key != "returns/submit" or task.status != "open":
        return None
    from domain.models import MonthlyReturn
    record = db.session.scalar(select(MonthlyReturn).where(MonthlyReturn.instance_id == task.instance_id))
    return url_for("returns.show", unit_code=record.unit, month=record.month) if record else None


# -- form actions ---------------------------------------------------------------------------

def flash_error(err: DubanError) -> None:
    if isinstance(err, ConflictError):
        flash(_("Someone else changed this first: %(message)s", message=engine_message(err)), "warning")
    elif isinstance(err, PermissionDenied):
        flash(_("You may not do this: %(message)s", message=engine_message(err)), "error")
    elif isinstance(err, NotFound):
        flash(_("Not found: %(message)s", message=engine_message(err)), "error")
    else:
        flash(_("This cannot be done now: %(message)s", message=engine_message(err)), "error")


def run_operation(call) -> bool:
    """Run an operation; flash a translated error instead of raising."""
    try:
        run_command(lambda engine: call(operations()), flash_errors=False)
        return True
    except DubanError as err:
        flash_error(err)
        return False


@bp.post("/tasks/<int:task_id>/complete")
@login_required
def complete(task_id):
    task = visible_task(task_id)
    if task.status != "open":
        flash(_("This task was already handled by %(who)s; nothing was changed.",
                who=_people([task.completed_by]).get(task.completed_by, task.completed_by or _("the process"))),
              "warning")
        return redirect(url_for("inbox.index")), 303
    if not operations().holds(task, current_user.actor):
        flash(_("You may not do this: %(message)s", message=_("the task is not in your hands")), "error")
        return render_task(task, status=403)
    page = _own_page(task)
    if page:
        return redirect(page), 303
    form, problem = form_of(task)
    if problem:
        flash(_("The form of this task cannot be read: %(problem)s", problem=problem), "error")
        return render_task(task, status=500)
    values, errors = submitted_values(form), {}
    store_field_uploads(form, task, values, errors)
    task = visible_task(task_id)
    data = {}
    if form:
        try:
            data = validate_submission(form, values, short_locale(), active_unit_codes(db.session),
                                       evaluate=current_runtime().engine.evaluate_decision)
        except ValidationFailed as err:
            for key, messages in err.messages.items():
                errors.setdefault(key, []).extend(messages if isinstance(messages, list) else [messages])
        check_file_ids(form, task, values, errors)
    if errors:
        flash(_("Please correct the marked fields."), "error")
        return render_task(task, values, errors, status=422)
    waiting = db.session.scalars(select(TaskCosigner.username).where(
        TaskCosigner.task_id == task.id, TaskCosigner.status == "pending")).all()
    if waiting:
        names = _people(waiting)
        flash(_("Waiting for the co-handlers to sign: %(names)s", names="、".join(names.get(u, u) for u in waiting)),
              "error")
        return render_task(task, values, errors, status=422)
    for spec in (form or {}).get("fields", []):
        if spec.get("type") == "file" and spec["id"] in data:
            data[spec["id"]] = [int(v) for v in data[spec["id"]]]
    try:
        record = record_details(form, data, current_user)
        outcome = run_command(lambda engine: operations().complete(task_id, current_user.actor, data, record),
                              flash_errors=False)
    except ConflictError as err:
        flash(_("Someone else handled this task first; your input was not saved. (%(message)s)",
                message=engine_message(err)), "warning")
        return redirect(url_for("inbox.index")), 303
    except DubanError as err:
        flash_error(err)
        task = visible_task(task_id)
        return render_task(task, values, errors, status=status_of(err))
    if outcome == "resolved":
        flash(_("Done; the task went back to %(who)s.", who=_people([task.owner]).get(task.owner, task.owner)),
              "success")
        return redirect(url_for("inbox.index"))
    return _after_completion(task)


def _after_completion(task: HumanTask):
    """Straight on to the case's next step when it is the officer's; else the inbox, saying which case moved."""
    db.session.rollback()
    task = db.session.get(HumanTask, task.id)
    case = wording.case_label(db.session, task.instance_id, short_locale())
    ops, actor = operations(), current_user.actor
    ids = casefile.case_instance_ids(db.session, task.instance)
    following = db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id.in_(ids), HumanTask.status == "open", HumanTask.id > task.id)
        .order_by(HumanTask.id)).all()
    mine = next((row for row in following if ops.holds(row, actor) and row.delegation_state != "pending"), None)
    if mine is not None:
        flash(_("Task completed: 「%(step)s」 of %(case)s. Next step for you: 「%(next)s」.",
                step=task.name, case=case, next=mine.name), "success")
        return redirect(url_for("tasks.show", task_id=mine.id))
    flash(_("Task completed: 「%(step)s」 of %(case)s.", step=task.name, case=case), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/draft")
@login_required
def draft(task_id):
    task = visible_task(task_id)
    if task.status != "open" or not operations().holds(task, current_user.actor):
        flash(_("You may not do this: %(message)s", message=_("the task is not in your hands")), "error")
        return render_task(task, status=403)
    form, _problem = form_of(task)
    values, errors = submitted_values(form), {}
    store_field_uploads(form, task, values, errors)
    task = visible_task(task_id)
    if errors:
        flash(_("Please correct the marked fields."), "error")
        return render_task(task, values, errors, status=422)
    if run_operation(lambda ops: ops.save_draft(task_id, current_user.actor, values)):
        flash(_("Draft saved."), "success")
        return redirect(url_for("tasks.show", task_id=task_id))
    return render_task(visible_task(task_id), values, errors, status=409)


@bp.post("/tasks/<int:task_id>/attachments")
@login_required
def upload(task_id):
    task = visible_task(task_id)
    if not may_contribute(task):
        flash(_("You may not do this: %(message)s", message=_("only those handling the task may add evidence")),
              "error")
        return render_task(task, status=403)
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        flash(_("Choose a file to upload."), "error")
        return render_task(task, status=422)
    problems = []
    for storage in files:
        db.session.rollback()
        try:
            store_upload(storage, task)
        except UploadRejected as err:
            problems.append(str(err))
    task = visible_task(task_id)
    if problems:
        for problem in problems:
            flash(problem, "error")
        return render_task(task, status=422)
    flash(_("Evidence uploaded."), "success")
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="evidence"))
