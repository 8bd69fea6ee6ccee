"""The task operations as page actions: 退回 转办 委派 加签 会签 抄送 催办 拿回 撤销, and comments."""

from flask import (
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from domain import wording
from domain.casefile import record_details
from domain.models import Lead
from engine.errors import DubanError
from engine.operations import CrossUnitRecipient
from engine.store.models import (
    HumanTask,
)
from web.commands import run_command
from web.extensions import db
from web.tasks import bp
from web.tasks.access import may_view, operations, visible_task
from web.i18n import short_locale
from web.tasks.page import flash_error, render_task, run_operation


# -- comments and operations --------------------------------------------------------------

def _reason(field: str = "reason") -> str | None:
    text = (request.form.get(field) or "").strip()
    if not text:
        flash(_("A reason is required."), "error")
        return None
    return text


def _back(task_id):
    return redirect(url_for("tasks.show", task_id=task_id))


def _field_labels() -> dict:
    return {"to_user": _("Delegate to"), "username": _("Co-handler"), "recipients": _("CC recipients")}


def _hand_over(task_id, call, success: str):
    """Run a 委派 / 加签 / 抄送 and flash how it went. Returns the task page answering 403 when the
    person chosen is outside the units the user may hand work to (domain.recipients; the pickers
    do not offer them), else None."""
    try:
        run_command(lambda engine: call(operations()), flash_errors=False)
    except CrossUnitRecipient as err:
        person = wording.person_labels(db.session, [err.user], short_locale()).get(err.user) or _("this person")
        flash(_("%(field)s: %(person)s is not in your unit. You may choose only people of your own unit; "
                "the special office and supervisors arrange work across units.",
                field=_field_labels()[err.field], person=person), "error")
        db.session.rollback()
        return render_task(visible_task(task_id), status=403)
    except DubanError as err:
        flash_error(err)
        return None
    flash(success, "success")
    return None


@bp.post("/tasks/<int:task_id>/comments")
@login_required
def comment(task_id):
    task = visible_task(task_id)
    text = (request.form.get("text") or "").strip()
    if not text:
        flash(_("Write a comment first."), "error")
    elif run_operation(lambda ops: ops.comment(task.instance_id, current_user.actor, text, task_id=task.id)):
        flash(_("Comment added."), "success")
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="comments"))


@bp.post("/tasks/<int:task_id>/send-back")
@login_required
def send_back(task_id):
    visible_task(task_id)
    reason = _reason()
    to = "first" if request.form.get("to") == "first" else "previous"
    record = record_details(None, None, current_user)
    if reason and run_operation(lambda ops: ops.send_back(task_id, current_user.actor, reason, to=to, record=record)):
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
    elif reason and run_operation(lambda ops: ops.transfer(task_id, current_user.actor, reason, to_user=to_user,
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
    elif reason:
        refused = _hand_over(task_id, lambda ops: ops.delegate(task_id, current_user.actor, to_user, reason),
                             _("The task was delegated; it comes back to you when they are done."))
        if refused is not None:
            return refused
    return _back_or_inbox(task_id)


@bp.post("/tasks/<int:task_id>/cosigners")
@login_required
def add_cosigner(task_id):
    visible_task(task_id)
    reason = _reason()
    username = (request.form.get("username") or "").strip()
    if reason and not username:
        flash(_("Choose the co-handler."), "error")
    elif reason:
        refused = _hand_over(task_id, lambda ops: ops.add_cosigner(task_id, current_user.actor, username, reason),
                             _("Co-handler added; the task can be completed once they have signed."))
        if refused is not None:
            return refused
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/sign")
@login_required
def sign(task_id):
    visible_task(task_id)
    opinion = _reason("opinion")
    if opinion and run_operation(lambda ops: ops.sign(task_id, current_user.actor, opinion)):
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
    elif reason:
        refused = _hand_over(task_id, lambda ops: ops.copy(task_id, current_user.actor, recipients, reason),
                             _("Copied to %(n)s people.", n=len(set(recipients))))
        if refused is not None:
            return refused
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/remind")
@login_required
def remind(task_id):
    visible_task(task_id)
    reason = _reason()
    if reason and run_operation(lambda ops: ops.remind(task_id, current_user.actor, reason)):
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
        flash_error(err)
        return _back(task_id)
    flash(_("You took the task back; it is open for you again."), "success")
    return redirect(url_for("tasks.show", task_id=new_id))


@bp.post("/tasks/<int:task_id>/withdraw")
@login_required
def withdraw(task_id):
    task = visible_task(task_id)
    reason = _reason()
    if reason and run_operation(lambda ops: ops.withdraw(task.instance_id, current_user.actor, reason,
                                                on_withdrawn=_mark_records_withdrawn)):
        flash(_("The case was withdrawn."), "success")
        return redirect(url_for("inbox.index"))
    return _back(task_id)


def _mark_records_withdrawn(session, instance) -> None:
    """A withdrawn lead case withdraws its lead (the campaign's own status)."""
    lead = session.scalar(select(Lead).where(Lead.instance_id == instance.id))
    if lead is not None and lead.status != "closed":
        lead.status = "withdrawn"
