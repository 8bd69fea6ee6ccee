"""The task page: the user task's form (with drafts and evidence files), its case's
summary, comments and history, and the task operations (engine.operations).

Routes
    GET  /tasks/<id>                    the page (404 for whoever may not see the task)
    POST /tasks/<id>/complete           validate the form and complete (a delegate hands it back)
    POST /tasks/<id>/draft              save the form as a draft, unvalidated
    POST /tasks/<id>/attachments        upload evidence files to the case
    POST /tasks/<id>/comments           comment on the case
    POST /tasks/<id>/send-back          退回      POST /tasks/<id>/transfer   转办
    POST /tasks/<id>/delegate           委派      POST /tasks/<id>/cosigners  加签
    POST /tasks/<id>/sign               会签      POST /tasks/<id>/cc         抄送
    POST /tasks/<id>/remind             催办      POST /tasks/<id>/take-back  拿回
    POST /tasks/<id>/withdraw           撤销 (the whole case)
    GET  /attachments/<id>              download, for whoever may see the case
"""
import hashlib
import os
import secrets
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from domain.errors import ValidationFailed
from domain.fieldspec import field_label
from domain.forms import FormError, load_form, validate_submission
from domain.labels import pick
from domain.models import Lead, RectificationItem, SupervisionCase, Unit, User
from domain.records import active_unit_codes
from engine import clock
from engine.errors import ConflictError, DubanError, NotFound, PermissionDenied
from engine.operations import TaskOperations, completion_blocker
from engine.store.models import (
    Attachment,
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
from web.presenters import BEIJING

bp = Blueprint("tasks", __name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024
UPLOAD_SUFFIX = "__upload"  # <input type=file name="<field id>__upload"> beside a `file` field

OOXML = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
# extension -> the content type we serve it with
ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain; charset=utf-8",
}
SERVED_TYPES = set(ALLOWED_TYPES.values()) | {"text/plain; charset=gb18030"}


# -- the operations object and who may see what ----------------------------------------

def operations() -> TaskOperations:
    runtime = current_runtime()
    ops = current_app.extensions.get("duban_task_operations")
    if ops is None or ops.engine is not runtime.engine:
        ops = TaskOperations(runtime.engine, runtime.escalator, user_exists=_user_exists)
        current_app.extensions["duban_task_operations"] = ops
    return ops


def _user_exists(session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username, User.active.is_(True))) is not None


def _involved(task: HumanTask) -> bool:
    """Co-handlers, CC recipients and the delegator see the task even outside its unit."""
    me = current_user.username
    if me in (task.owner, task.completed_by):
        return True
    if db.session.scalar(select(TaskCosigner.id).where(TaskCosigner.task_id == task.id,
                                                       TaskCosigner.username == me).limit(1)) is not None:
        return True
    return db.session.scalar(select(TaskCopy.id).where(TaskCopy.task_id == task.id,
                                                       TaskCopy.recipient == me).limit(1)) is not None


def may_view(task: HumanTask) -> bool:
    return current_user.can_see_task(task) or _involved(task)


def visible_task(task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None or not may_view(task):
        abort(404)  # another unit's task is not even acknowledged to exist
    return task


def can_see_instance(instance_id: int) -> bool:
    if current_user.sees_everything:
        return True
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        return False
    if instance.started_by == current_user.username:
        return True
    tasks = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
    return any(may_view(task) for task in tasks)


# -- the case around the task ---------------------------------------------------------

def case_summary(instance: ProcessInstance) -> dict:
    """Process name, business key (lead or item number), subject; never the reporter."""
    summary = {"process_name": instance.definition.name, "number": instance.business_key, "subject": "",
               "summary": "", "lead_id": None, "status": instance.status}
    key = instance.business_key
    if key:
        lead = db.session.scalar(select(Lead).where(Lead.number == key))
        if lead is not None:
            summary.update(subject=lead.subject_display_name, summary=lead.summary, lead_id=lead.id)
            return summary
        item = db.session.scalar(select(RectificationItem).where(RectificationItem.number == key))
        if item is not None:
            summary.update(subject=item.subject.name if item.subject else "", summary=item.problem)
            return summary
        case = db.session.scalar(select(SupervisionCase).where(SupervisionCase.number == key))
        if case is not None:
            summary.update(subject=case.unit, summary=case.reason)
    return summary


def _action_labels() -> dict:
    return {
        "instance.started": _("Case started"),
        "instance.completed": _("Case closed"),
        "instance.cancelled": _("Case cancelled"),
        "instance.withdrawn": _("Case withdrawn"),
        "task.created": _("Task created"),
        "task.claimed": _("Task claimed"),
        "task.unclaimed": _("Task released"),
        "task.completed": _("Task completed"),
        "task.cancelled": _("Task cancelled"),
        "task.draft_saved": _("Draft saved"),
        "task.delegated": _("Delegated"),
        "task.delegation_resolved": _("Returned by the delegate"),
        "task.cosigner_added": _("Co-handler added"),
        "task.cosigned": _("Co-signed"),
        "task.copied": _("Copied"),
        "task.reminded": _("Reminder sent"),
        "task.transferred": _("Transferred"),
        "task.reassigned": _("Reassigned"),
        "task.sent_back": _("Sent back"),
        "task.taken_back": _("Taken back"),
        "task.deadline_extended": _("Deadline extended"),
        "comment.added": _("Comment"),
        "attachment.added": _("Evidence uploaded"),
        "timer.fired": _("Deadline timer fired"),
        "incident.opened": _("Error in the process"),
        "incident.retried": _("Failed step retried"),
        "supervision.raised": _("Supervision raised"),
        "supervision.cancelled": _("Supervision cancelled"),
        "escalation.acknowledged": _("Escalation acknowledged"),
    }


def _people(usernames) -> dict[str, str]:
    names = {u for u in usernames if u}
    if not names:
        return {}
    rows = db.session.execute(select(User.username, User.display_name).where(User.username.in_(names))).all()
    found = {username: display for username, display in rows}
    found.setdefault("system", _("System"))
    return found


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
        if event.action.startswith("escalation.") and event.action not in labels:
            what = _("Escalation: %(rung)s", rung=event.action.split(".", 1)[1])
        else:
            what = labels.get(event.action, event.action)
        out.append({"at": event.at, "actor": people.get(event.actor, event.actor or ""), "what": what,
                    "action": event.action, "task": names.get(event.task_id, ""), "reason": event.reason,
                    "text": (event.data or {}).get("text") if event.action == "comment.added" else None})
    return out


def comments(instance_id: int) -> list[dict]:
    return [entry for entry in history(instance_id) if entry["action"] == "comment.added"]


# -- the form -----------------------------------------------------------------------------

def form_of(task: HumanTask):
    """(form, problem): the task's form definition, or None and why not."""
    if not task.form_key:
        return None, None
    try:
        return load_form(task.form_key), None
    except FormError as err:
        return None, str(err)


def _is_list_field(spec) -> bool:
    return spec.get("type") in ("multienum", "file")


def submitted_values(form) -> dict:
    """The request's values for the form's fields, as typed (lists for multienum and file)."""
    values = {}
    for spec in (form or {}).get("fields", []):
        field_id, kind = spec["id"], spec.get("type", "text")
        if _is_list_field(spec):
            values[field_id] = [v for v in request.form.getlist(field_id) if v.strip()]
        elif kind == "boolean":
            values[field_id] = "true" if request.form.get(field_id) in ("true", "on", "1") else "false"
        else:
            values[field_id] = request.form.get(field_id, "")
    return values


def _display_value(spec, value):
    """A stored value (typed by the user, or validated JSON) as the input shows it."""
    kind = spec.get("type", "text")
    if value is None:
        return [] if _is_list_field(spec) else ""
    if _is_list_field(spec):
        return [str(v) for v in (value if isinstance(value, list) else [value])]
    if kind == "boolean":
        return value in (True, "true", "on", "1")
    if kind == "datetime" and isinstance(value, str) and ("+" in value[10:] or value.endswith("Z")):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
        except ValueError:
            return value
    return str(value)


def _unit_choices(locale) -> list[tuple[str, str]]:
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)).all()
    return [(unit.code, unit.name(locale)) for unit in units]


def field_views(form, values: dict, errors: dict, attachments: dict) -> list[dict]:
    """What the template needs per field: label, input kind, options, current value, messages."""
    locale = short_locale()
    views = []
    units = None
    for spec in form["fields"]:
        kind = spec.get("type", "text")
        if spec["id"] in values:
            value = values[spec["id"]]
        else:
            value = spec.get("default")
        options = []
        if kind in ("enum", "multienum"):
            options = [(o["value"], pick(o.get("label"), locale) or o["value"]) if isinstance(o, dict) else (o, o)
                       for o in spec.get("options") or []]
        elif kind == "unit":
            units = units if units is not None else _unit_choices(locale)
            options = units
        shown = _display_value(spec, value)
        messages = errors.get(spec["id"]) or []
        if isinstance(messages, dict):
            messages = [str(m) for ms in messages.values() for m in (ms if isinstance(ms, list) else [ms])]
        views.append({
            "id": spec["id"], "type": kind, "label": field_label(spec, locale), "required": bool(spec.get("required")),
            "help": pick(spec.get("help"), locale), "options": options, "value": shown,
            "errors": [str(m) for m in messages], "max_length": spec.get("max_length"),
            "min": spec.get("min"), "max": spec.get("max"), "visible_if": spec.get("visible_if"),
            "files": [attachments[int(v)] for v in shown if str(v).isdigit() and int(v) in attachments]
            if kind == "file" else [],
        })
    return views


# -- evidence files -------------------------------------------------------------------------

def upload_dir() -> Path:
    path = Path(current_app.config["DUBAN_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _clean_filename(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name[-200:] or "file"


def sniff(extension: str, path: Path) -> str | None:
    """The content type to serve the file with if its magic bytes (for Office files, the
    zip's parts; for text, a clean decode) agree with the extension; None if they do not."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if extension == "pdf":
        ok = head.startswith(b"%PDF-")
    elif extension in ("jpg", "jpeg"):
        ok = head.startswith(b"\xff\xd8\xff")
    elif extension == "png":
        ok = head.startswith(b"\x89PNG\r\n\x1a\n")
    elif extension in OOXML:
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            names = set()
        ok = head.startswith(b"PK\x03\x04") and {"[Content_Types].xml", OOXML[extension]} <= names
    elif extension == "txt":
        if b"\x00" in head:
            return None
        data = path.read_bytes()
        for encoding in ("utf-8", "gb18030"):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return f"text/plain; charset={encoding}"
        return None
    else:
        ok = False
    return ALLOWED_TYPES[extension] if ok else None


def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"


class UploadRejected(Exception):
    pass


def store_upload(storage, task: HumanTask) -> int:
    """Check one uploaded file (size, extension, content), write it under a random name and
    record it; returns the attachment id. UploadRejected carries a message for the user."""
    filename = _clean_filename(storage.filename)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED_TYPES:
        raise UploadRejected(_("%(name)s: this file type is not allowed (PDF, JPG, PNG, DOCX, XLSX, TXT).",
                               name=filename))
    limit = int(current_app.config.get("DUBAN_MAX_FILE_BYTES", MAX_FILE_BYTES))
    directory = upload_dir()
    storage_name = secrets.token_hex(20)
    partial = directory / f"{storage_name}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with partial.open("wb") as target:
            while True:
                chunk = storage.stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise UploadRejected(_("%(name)s is too large (at most %(limit)s).", name=filename,
                                           limit=size_text(limit)))
                digest.update(chunk)
                target.write(chunk)
        if size == 0:
            raise UploadRejected(_("%(name)s is empty.", name=filename))
        content_type = sniff(extension, partial)
        if content_type is None:
            raise UploadRejected(_("%(name)s: the content is not a %(type)s file.", name=filename,
                                   type=extension.upper()))
        partial.rename(directory / storage_name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    try:
        return operations().add_attachment(task.instance_id, current_user.actor, filename=filename,
                                           storage_name=storage_name, content_type=content_type,
                                           size=size, sha256=digest.hexdigest(), task_id=task.id)
    except BaseException:
        (directory / storage_name).unlink(missing_ok=True)
        raise


def may_contribute(task: HumanTask) -> bool:
    """Who may add evidence to an open task: its holder, a co-handler, the delegator, a supervisor."""
    if task.status != "open":
        return False
    actor = current_user.actor
    if operations().holds(task, actor) or actor.supervises or task.owner == actor.username:
        return True
    return db.session.scalar(select(TaskCosigner.id).where(
        TaskCosigner.task_id == task.id, TaskCosigner.username == actor.username).limit(1)) is not None


def _store_field_uploads(form, task, values: dict, errors: dict) -> None:
    """Files chosen beside `file` fields: stored, and their ids added to the field's value."""
    for spec in (form or {}).get("fields", []):
        if spec.get("type") != "file":
            continue
        for storage in request.files.getlist(spec["id"] + UPLOAD_SUFFIX):
            if not storage or not storage.filename:
                continue
            db.session.rollback()
            try:
                values.setdefault(spec["id"], []).append(str(store_upload(storage, task)))
            except UploadRejected as err:
                errors.setdefault(spec["id"], []).append(str(err))


def _check_file_ids(form, task, values: dict, errors: dict) -> None:
    """Attachment ids in `file` fields must be files of this case."""
    wanted = {int(v) for spec in (form or {}).get("fields", []) if spec.get("type") == "file"
              for v in values.get(spec["id"], []) if str(v).isdigit()}
    known = set(db.session.scalars(select(Attachment.id).where(
        Attachment.id.in_(wanted), Attachment.instance_id == task.instance_id))) if wanted else set()
    for spec in (form or {}).get("fields", []):
        if spec.get("type") != "file":
            continue
        bad = [v for v in values.get(spec["id"], []) if not str(v).isdigit() or int(v) not in known]
        if bad:
            errors.setdefault(spec["id"], []).append(_("Unknown attachment: %(ids)s", ids=", ".join(map(str, bad))))


def case_attachments(instance_id: int) -> list[Attachment]:
    return db.session.scalars(select(Attachment).where(Attachment.instance_id == instance_id)
                              .order_by(Attachment.id)).all()


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


def _users_by_unit(locale) -> list[tuple[str, list[tuple[str, str]]]]:
    rows = db.session.execute(select(User.username, User.display_name, Unit.code, Unit.name_zh, Unit.name_en)
                              .outerjoin(Unit, User.unit_id == Unit.id).where(User.active.is_(True))
                              .order_by(Unit.id, User.username)).all()
    groups: dict[str, list] = {}
    for username, display, _code, name_zh, name_en in rows:
        unit = (name_en if locale == "en" and name_en else name_zh) or ""
        groups.setdefault(unit, []).append((username, f"{display}（{username}）"))
    return list(groups.items())


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
    html = render_template(
        "tasks/show.html", task=task, instance=instance, case=case_summary(instance), form=form,
        form_title=title or task.name, form_problem=form_problem,
        fields=field_views(form, current, errors or {}, by_id) if form else [],
        errors=errors or {}, attachments=attachments, cosigners=cosigners, history=events,
        comments=[e for e in events if e["action"] == "comment.added"], allowed=allowed, people=people,
        users=_users_by_unit(locale) if any(allowed[k] for k in ("transfer", "delegate", "cosigner", "cc")) else [],
        units=_unit_choices(locale) if allowed["transfer"] else [],
        blocker=completion_blocker(db.session, task) if task.status == "open" else None,
        pending_cosigners=[people.get(c.username, c.username) for c in cosigners if c.status == "pending"],
        max_file=size_text(int(current_app.config.get("DUBAN_MAX_FILE_BYTES", MAX_FILE_BYTES))),
        accept=",".join(f".{ext}" for ext in ALLOWED_TYPES),
        contribute=may_contribute(task),
    )
    return html, status


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
    return render_task(task)


# -- form actions ---------------------------------------------------------------------------

def _flash_error(err: DubanError) -> None:
    if isinstance(err, ConflictError):
        flash(_("Someone else changed this first: %(message)s", message=engine_message(err)), "warning")
    elif isinstance(err, PermissionDenied):
        flash(_("You may not do this: %(message)s", message=engine_message(err)), "error")
    elif isinstance(err, NotFound):
        flash(_("Not found: %(message)s", message=engine_message(err)), "error")
    else:
        flash(_("This cannot be done now: %(message)s", message=engine_message(err)), "error")


def _run(call) -> bool:
    """Run an operation; flash a translated error instead of raising."""
    try:
        run_command(lambda engine: call(operations()), flash_errors=False)
        return True
    except DubanError as err:
        _flash_error(err)
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
    form, problem = form_of(task)
    if problem:
        flash(_("The form of this task cannot be read: %(problem)s", problem=problem), "error")
        return render_task(task, status=500)
    values, errors = submitted_values(form), {}
    _store_field_uploads(form, task, values, errors)
    task = visible_task(task_id)
    data = {}
    if form:
        try:
            data = validate_submission(form, values, short_locale(), active_unit_codes(db.session))
        except ValidationFailed as err:
            for key, messages in err.messages.items():
                errors.setdefault(key, []).extend(messages if isinstance(messages, list) else [messages])
        _check_file_ids(form, task, values, errors)
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
        outcome = run_command(lambda engine: operations().complete(task_id, current_user.actor, data),
                              flash_errors=False)
    except ConflictError as err:
        flash(_("Someone else handled this task first; your input was not saved. (%(message)s)",
                message=engine_message(err)), "warning")
        return redirect(url_for("inbox.index")), 303
    except DubanError as err:
        _flash_error(err)
        task = visible_task(task_id)
        return render_task(task, values, errors, status=status_of(err))
    if outcome == "resolved":
        flash(_("Done; the task went back to %(who)s.", who=_people([task.owner]).get(task.owner, task.owner)),
              "success")
    else:
        flash(_("Task completed."), "success")
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
    _store_field_uploads(form, task, values, errors)
    task = visible_task(task_id)
    if errors:
        flash(_("Please correct the marked fields."), "error")
        return render_task(task, values, errors, status=422)
    if _run(lambda ops: ops.save_draft(task_id, current_user.actor, values)):
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


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id):
    row = db.session.get(Attachment, attachment_id)
    if row is None or not can_see_instance(row.instance_id):
        abort(404)
    path = upload_dir() / row.storage_name
    if not path.is_file():
        abort(404)
    content_type = row.content_type if row.content_type in SERVED_TYPES else "application/octet-stream"
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=row.filename,
                         max_age=0, etag=False, conditional=False)
    response.headers["Content-Type"] = content_type  # as stored: no charset added by guesswork
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# -- comments and operations --------------------------------------------------------------

def _reason(field: str = "reason") -> str | None:
    text = (request.form.get(field) or "").strip()
    if not text:
        flash(_("A reason is required."), "error")
        return None
    return text


def _back(task_id):
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/tasks/<int:task_id>/comments")
@login_required
def comment(task_id):
    task = visible_task(task_id)
    text = (request.form.get("text") or "").strip()
    if not text:
        flash(_("Write a comment first."), "error")
    elif _run(lambda ops: ops.comment(task.instance_id, current_user.actor, text, task_id=task.id)):
        flash(_("Comment added."), "success")
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="comments"))


@bp.post("/tasks/<int:task_id>/send-back")
@login_required
def send_back(task_id):
    visible_task(task_id)
    reason = _reason()
    to = "first" if request.form.get("to") == "first" else "previous"
    if reason and _run(lambda ops: ops.send_back(task_id, current_user.actor, reason, to=to)):
        flash(_("The task was sent back."), "success")
        return redirect(url_for("inbox.index"))
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/transfer")
@login_required
def transfer(task_id):
    visible_task(task_id)
    reason = _reason()
    to_user = (request.form.get("to_user") or "").strip() or None
    to_unit = (request.form.get("to_unit") or "").strip()
    if reason and not to_user and not to_unit:
        flash(_("Choose a person or a unit to transfer to."), "error")
    elif reason and _run(lambda ops: ops.transfer(task_id, current_user.actor, reason, to_user=to_user,
                                                  to_groups=[to_unit] if to_unit else None)):
        flash(_("The task was transferred."), "success")
    return _back_or_inbox(task_id)


def _back_or_inbox(task_id):
    """After an operation the user may no longer see the task: then the inbox."""
    db.session.rollback()
    task = db.session.get(HumanTask, task_id)
    if task is not None and may_view(task):
        return _back(task_id)
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/delegate")
@login_required
def delegate(task_id):
    visible_task(task_id)
    reason = _reason()
    to_user = (request.form.get("to_user") or "").strip()
    if reason and not to_user:
        flash(_("Choose the person to delegate to."), "error")
    elif reason and _run(lambda ops: ops.delegate(task_id, current_user.actor, to_user, reason)):
        flash(_("The task was delegated; it comes back to you when they are done."), "success")
    return _back_or_inbox(task_id)


@bp.post("/tasks/<int:task_id>/cosigners")
@login_required
def add_cosigner(task_id):
    visible_task(task_id)
    reason = _reason()
    username = (request.form.get("username") or "").strip()
    if reason and not username:
        flash(_("Choose the co-handler."), "error")
    elif reason and _run(lambda ops: ops.add_cosigner(task_id, current_user.actor, username, reason)):
        flash(_("Co-handler added; the task can be completed once they have signed."), "success")
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/sign")
@login_required
def sign(task_id):
    visible_task(task_id)
    opinion = _reason("opinion")
    if opinion and _run(lambda ops: ops.sign(task_id, current_user.actor, opinion)):
        flash(_("Signed."), "success")
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/cc")
@login_required
def copy(task_id):
    visible_task(task_id)
    reason = _reason()
    recipients = [name.strip() for value in request.form.getlist("recipients")
                  for name in value.replace("，", ",").split(",") if name.strip()]
    if reason and not recipients:
        flash(_("Choose at least one recipient."), "error")
    elif reason and _run(lambda ops: ops.copy(task_id, current_user.actor, recipients, reason)):
        flash(_("Copied to %(n)s people.", n=len(set(recipients))), "success")
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/remind")
@login_required
def remind(task_id):
    visible_task(task_id)
    reason = _reason()
    if reason and _run(lambda ops: ops.remind(task_id, current_user.actor, reason)):
        flash(_("Reminder sent."), "success")
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/take-back")
@login_required
def take_back(task_id):
    visible_task(task_id)
    reason = _reason()
    if not reason:
        return _back(task_id)
    try:
        new_id = run_command(lambda engine: operations().take_back(task_id, current_user.actor, reason),
                             flash_errors=False)
    except DubanError as err:
        _flash_error(err)
        return _back(task_id)
    flash(_("You took the task back; it is open for you again."), "success")
    return redirect(url_for("tasks.show", task_id=new_id))


@bp.post("/tasks/<int:task_id>/withdraw")
@login_required
def withdraw(task_id):
    task = visible_task(task_id)
    reason = _reason()
    if reason and _run(lambda ops: ops.withdraw(task.instance_id, current_user.actor, reason,
                                                on_withdrawn=_mark_records_withdrawn)):
        flash(_("The case was withdrawn."), "success")
        return redirect(url_for("inbox.index"))
    return _back(task_id)


def _mark_records_withdrawn(session, instance) -> None:
    """A withdrawn lead case withdraws its lead (the campaign's own status)."""
    lead = session.scalar(select(Lead).where(Lead.instance_id == instance.id))
    if lead is not None and lead.status != "closed":
        lead.status = "withdrawn"

