"""Monthly returns (月报表): the unit's return and the special office's sum.

Routes:

    /returns/                              the months and statuses of the user's units' returns
    /returns/<unit>/<yyyy-mm>              a unit's return: members edit and submit, overseers read
    /returns/<unit>/<yyyy-mm>/send-back    (POST) the office returns a submitted return for correction
    /returns/summary/<yyyy-mm>             the office's return: by unit, total, units not reported
    /returns/summary/<yyyy-mm>.xlsx        the same as the workbook the office forwards upward
    /returns/summary/<yyyy-mm>/print       the same as a printable 公文 table (and .docx)

A unit's members (officers, supervisors) edit its return; whoever may see the unit reads it;
only the special office (its staff, leaders, administrators) sums and returns returns.
"""
import re
from io import BytesIO

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import pgettext
from flask_login import current_user, login_required
from sqlalchemy import select

from domain import returns
from domain.errors import ValidationFailed
from domain.models import MonthlyReturn, Unit
from domain.documents.render import document_dir
from domain.returns_export import print_values, summary_docx, summary_html, summary_title, summary_workbook
from engine import clock
from engine.store.models import HumanTask
from web.commands import current_runtime, run_command
from web.extensions import db
from web.i18n import short_locale

bp = Blueprint("returns", __name__, url_prefix="/returns")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MONTH = re.compile(r"^\d{4}-\d{2}$")
EDITOR_ROLES = ("officer", "supervisor")


def t(text: str, **variables) -> str:
    """This area's strings (msgctxt `returns`)."""
    return pgettext("returns", text, **variables)


@bp.context_processor
def _helpers():
    return {"t": t, "month_label": returns.month_label}


# -- who may do what ---------------------------------------------------------------------

def is_office() -> bool:
    """The special office sums returns and sends them back."""
    return current_user.sees_everything


def may_edit(unit: str) -> bool:
    return current_user.unit_code == unit and current_user.has_role(*EDITOR_ROLES)


def _month(month: str) -> str:
    if not MONTH.match(month or "") or returns.Period.parse_month(month) is None:
        abort(404)
    return month


def _unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None or unit.kind not in returns.RETURN_UNIT_KINDS:
        abort(404)
    if not current_user.can_see_unit(code):
        abort(403)
    return unit


def _current_month() -> str:
    today = clock.now().astimezone(returns.BEIJING).date()
    return f"{today.year:04d}-{today.month:02d}"


# -- the list ------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    visible = current_user.visible_units()
    query = select(MonthlyReturn).order_by(MonthlyReturn.month.desc(), MonthlyReturn.unit)
    if visible is not None:
        query = query.where(MonthlyReturn.unit.in_(sorted(visible)))
    rows = list(db.session.scalars(query.limit(500)))
    names = {u.code: u.name(short_locale()) for u in db.session.scalars(select(Unit))}
    months = sorted({r.month for r in rows}, reverse=True)
    own = current_user.unit_code if may_edit(current_user.unit_code or "") else None
    own_kind = db.session.scalar(select(Unit.kind).where(Unit.code == own)) if own else None
    return render_template("returns/index.html", rows=rows, names=names, months=months, office=is_office(),
                           own=own if own_kind in returns.RETURN_UNIT_KINDS else None,
                           current_month=_current_month(), now=clock.now())


# -- one return ---------------------------------------------------------------------------

def _record_or_blank(unit: str, month: str) -> MonthlyReturn:
    record = returns.get_return(db.session, unit, month)
    if record is None:  # not opened yet: the figures so far, nothing stored
        record = MonthlyReturn(number="", unit=unit, month=month, status="draft", manual={}, corrections={}, figures={},
                               progress="", measures="", difficulties="", next_steps="",
                               due_at=returns.due_at(month))
    return record


def _open_task(record: MonthlyReturn) -> HumanTask | None:
    if record.instance_id is None:
        return None
    return db.session.scalar(select(HumanTask).where(HumanTask.instance_id == record.instance_id,
                                                     HumanTask.element_id == returns.TASK_ID,
                                                     HumanTask.status == "open"))


def _render(unit: Unit, record: MonthlyReturn, form=None, errors=None, status=200):
    locale = short_locale()
    return render_template(
        "returns/edit.html", unit=unit, record=record, table=returns.table(db.session, record), locale=locale,
        form=form, errors=errors or {}, editable=returns.editable(record) and may_edit(unit.code),
        office=is_office(), texts=returns.TEXT_FIELDS, task=_open_task(record) if record.id else None,
        title=t("Monthly return · %(unit)s · %(month)s", unit=unit.name(locale),
                month=returns.month_label(record.month, locale))), status


@bp.get("/<unit_code>/<month>")
@login_required
def show(unit_code, month):
    month = _month(month)
    unit = _unit(unit_code)
    return _render(unit, _record_or_blank(unit.code, month))


@bp.post("/<unit_code>/<month>")
@login_required
def save(unit_code, month):
    month = _month(month)
    unit = _unit(unit_code)
    if not may_edit(unit.code):
        abort(403)
    submit = request.form.get("action") == "submit"
    record = returns.get_return(db.session, unit.code, month)
    if month > _current_month():
        abort(404)
    if record is not None and not returns.editable(record):
        flash(t("This return was submitted and can no longer be changed."), "warning")
        return redirect(url_for("returns.show", unit_code=unit.code, month=month))
    try:
        if submit and month >= _current_month():  # a month's figures are complete once it has ended
            raise ValidationFailed({"status": [t("A month's return can be submitted once the month has ended.")]})
        values = returns.validate(db.session, record or _record_or_blank(unit.code, month), request.form, submit,
                                  short_locale())
    except ValidationFailed as err:
        db.session.rollback()
        return _render(unit, record or _record_or_blank(unit.code, month), request.form, err.messages, 422)
    task = _open_task(record) if record is not None else None
    if submit and task is not None:
        # The task's completion writes the return (its process's script), in one transaction.
        details = returns.step_details(current_user, month)
        if run_command(lambda engine: engine.complete(task.id, current_user.actor, {"return_values": values},
                                                      record=details)) is None:
            return redirect(url_for("returns.show", unit_code=unit.code, month=month))
    else:
        if record is None:
            record = returns.new_return(db.session, unit.code, month, current_user.username)
        returns.apply(db.session, record, values, current_user.username, submit)
        db.session.commit()
    flash(t("The return was submitted.") if submit else t("The return was saved."), "success")
    return redirect(url_for("returns.show", unit_code=unit.code, month=month))


@bp.post("/<unit_code>/<month>/send-back")
@login_required
def send_back(unit_code, month):
    month = _month(month)
    unit = _unit(unit_code)
    if not is_office():
        abort(403)
    record = returns.get_return(db.session, unit.code, month)
    if record is None:
        abort(404)
    reason = request.form.get("reason", "")
    try:
        returns.send_back(db.session, record, reason, current_user.username, short_locale())  # checks only
    except ValidationFailed as err:
        db.session.rollback()
        return _render(unit, record, None, err.messages, 422)
    record_id, record_number = record.id, record.number
    db.session.rollback()
    due = current_runtime().engine.calendar().add_workdays(clock.now(), returns.CORRECTION_WORKDAYS)

    def prepare(session):
        again = session.get(MonthlyReturn, record_id)
        returns.send_back(session, again, reason, current_user.username, short_locale())
        return returns.start_data(again, due)

    def started(session, instance):
        session.get(MonthlyReturn, record_id).instance_id = instance.id

    if run_command(lambda engine: engine.start(returns.PROCESS_ID, {}, current_user.actor, prepare=prepare,
                                               started=started, business_key=record_number)) is None:
        return redirect(url_for("returns.show", unit_code=unit.code, month=month))
    flash(t("The return was sent back to the unit for correction."), "success")
    return redirect(url_for("returns.show", unit_code=unit.code, month=month))


# -- the office's sum -----------------------------------------------------------------------

def _office_summary(month: str):
    if not is_office():
        abort(403)
    return returns.summary(db.session, _month(month))


def _names(locale: str) -> dict:
    return {u.code: u.name(locale) for u in db.session.scalars(select(Unit))}


@bp.get("/summary/<month>")
@login_required
def summary(month):
    data = _office_summary(month)
    locale = short_locale()
    return render_template("returns/summary.html", s=data, sections=returns.SECTIONS, names=_names(locale),
                           locale=locale, title=summary_title(db.session, month, locale))


@bp.get("/summary/<month>.xlsx")
@login_required
def summary_xlsx(month):
    data = _office_summary(month)
    content = summary_workbook(db.session, data, clock.now())
    response = send_file(BytesIO(content), mimetype=XLSX, as_attachment=True, max_age=0,
                         download_name=f"monthly-return-{data.month}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/summary/<month>/print")
@login_required
def summary_print(month):
    """The print page, from the official documents' templates (processes/documents/monthly_return.html)."""
    data = _office_summary(month)
    values = print_values(db.session, data, clock.now())
    response = Response(summary_html(document_dir(current_app.config.get("DUBAN_DOCUMENT_DIR")), values),
                        mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/summary/<month>.docx")
@login_required
def summary_docx_file(month):
    data = _office_summary(month)
    content = summary_docx(print_values(db.session, data, clock.now()))
    response = send_file(BytesIO(content), mimetype=DOCX, as_attachment=True, max_age=0,
                         download_name=f"monthly-return-{data.month}.docx")
    response.headers["Cache-Control"] = "no-store"
    return response
