"""依法打击: the criminal cases (涉养老诈骗刑事案件) of the law-enforcement units and the office.

    GET       /strike-cases              the list (filters: from, to (filing dates), stage, charge, unit)
    GET       /strike-cases.xlsx         the same list as a spreadsheet
    GET/POST  /strike-cases/new          立案: record a case (?lead=XS-... links a lead)
    GET       /strike-cases/<id>         a case, with the form moving it to its next stage
    GET/POST  /strike-cases/<id>/edit    correct its details
    POST      /strike-cases/<id>/stage   移送审查起诉 / 审结

Only users who may see the details (domain.strike.may_see_details: law-enforcement units and the
special office) open these pages; anyone else gets 403. The lead and institution pages show the
linked cases through `linked_strike_cases` (a template helper): in full for those users, just their
existence and stage for the others.
"""
from functools import wraps
from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import pgettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from domain import strike, wording
from domain.errors import ValidationFailed
from domain.labels import CHARGES, STRIKE_STAGES, label
from domain.models import StrikeCase, Subject
from engine import clock
from web.extensions import db
from web.i18n import short_locale
from web.params import date_arg, page_arg
from web.presenters import BEIJING

bp = Blueprint("strike", __name__)
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_FIELDS = ("case_number", "unit", "charge", "summary", "filed_on", "lead_numbers", "gangs", "suspects",
               "frozen_amount", "recovered_amount", "returned_amount")


def t(text: str, **variables) -> str:
    """This area's strings (msgctxt `strike`, web/translations/strike)."""
    return pgettext("strike", text, **variables)


def sees_details() -> bool:
    user = getattr(current_user, "user", None)
    return bool(current_user.is_authenticated and user is not None
                and strike.may_see_details(user.unit, current_user.roles))


def details_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not sees_details():
            abort(403)
        return view(*args, **kwargs)
    return wrapped


@bp.app_context_processor
def _helpers():
    def linked_strike_cases(lead_id=None, subject_id=None):
        return strike.shown_cases(db.session, sees_details(), lead_id, subject_id)
    return {"linked_strike_cases": linked_strike_cases, "strike_t": t, "sees_strike_details": sees_details}


def _units() -> dict[str, str]:
    return wording.unit_names(db.session, short_locale())


def _case_or_404(case_id: int) -> StrikeCase:
    record = db.session.get(StrikeCase, case_id)
    if record is None:
        abort(404)
    return record


# -- the list -----------------------------------------------------------------------------------

def _filters():
    args = request.args
    return {"first": date_arg("from", args), "last": date_arg("to", args),
            "stage": args.get("stage") if args.get("stage") in STRIKE_STAGES else None,
            "charge": args.get("charge") if args.get("charge") in CHARGES else None,
            "unit": (args.get("unit") or "").strip() or None}


@bp.get("/strike-cases")
@details_required
def index():
    filters = _filters()
    query = strike.list_query(**filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page_arg(), pages)
    rows = db.session.scalars(query.order_by(StrikeCase.filed_on.desc(), StrikeCase.id.desc())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).unique().all()
    sums = db.session.execute(select(
        func.coalesce(func.sum(StrikeCase.gangs), 0), func.coalesce(func.sum(StrikeCase.suspects), 0),
        func.coalesce(func.sum(StrikeCase.frozen_amount), 0), func.coalesce(func.sum(StrikeCase.recovered_amount), 0),
        func.coalesce(func.sum(StrikeCase.returned_amount), 0)).where(
        StrikeCase.id.in_(query.with_only_columns(StrikeCase.id)))).one()
    return render_template("strike/index.html", cases=rows, total=total, page=page, pages=pages, sums=sums,
                           args=request.args, filters=filters, stages=STRIKE_STAGES, charges=CHARGES,
                           law_units=strike.law_enforcement_units(db.session), units=_units(), t=t)


@bp.get("/strike-cases.xlsx")
@details_required
def export():
    rows = db.session.scalars(strike.list_query(**_filters()).order_by(StrikeCase.filed_on, StrikeCase.id)).unique()
    content = strike.workbook(list(rows), wording.unit_names(db.session, "zh"))
    stamp = clock.now().astimezone(BEIJING).strftime("%Y%m%d")
    response = send_file(BytesIO(content), mimetype=XLSX, as_attachment=True,
                         download_name=f"strike-cases-{stamp}.xlsx", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- recording and correcting a case -------------------------------------------------------------

def _form_values(form) -> dict:
    values = {name: (form.get(name) or "").strip() for name in TEXT_FIELDS}
    values["summary"] = (form.get("summary") or "").strip()
    values["subject_ids"] = [value for value in form.getlist("subject_ids") if value.strip()]
    return values


def _values_of(record: StrikeCase) -> dict:
    values = {name: getattr(record, name) for name in TEXT_FIELDS if name != "lead_numbers"}
    values["filed_on"] = record.filed_on.isoformat()
    values["lead_numbers"] = " ".join(lead.number for lead in record.leads)
    values["subject_ids"] = [str(subject.id) for subject in record.subjects]
    return values


def _form_page(values, errors=None, record=None, status=200):
    subjects = db.session.execute(select(Subject.id, Subject.name).order_by(Subject.name).limit(2000)).all()
    return render_template("strike/form.html", values=values, errors=errors or {}, record=record,
                           law_units=strike.law_enforcement_units(db.session), charges=CHARGES,
                           subjects=subjects, t=t), status


@bp.route("/strike-cases/new", methods=["GET", "POST"])
@details_required
def new():
    if request.method == "GET":
        own = current_user.user.unit
        values = {name: "" for name in TEXT_FIELDS} | {
            "unit": own.code if own is not None and own.law_enforcement else "",
            "filed_on": clock.now().astimezone(BEIJING).date().isoformat(),
            "lead_numbers": (request.args.get("lead") or "").strip()[:60], "subject_ids": [],
            "gangs": "0", "suspects": "0", "frozen_amount": "0", "recovered_amount": "0", "returned_amount": "0"}
        return _form_page(values)
    values = _form_values(request.form)
    try:
        record = strike.record_case(db.session, values, current_user.actor, short_locale())
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        return _form_page(values, errors=err.messages, status=422)
    flash(t("Criminal case %(number)s recorded.", number=record.case_number), "success")
    return redirect(url_for("strike.show", case_id=record.id))


@bp.route("/strike-cases/<int:case_id>/edit", methods=["GET", "POST"])
@details_required
def edit(case_id):
    record = _case_or_404(case_id)
    if request.method == "GET":
        return _form_page(_values_of(record), record=record)
    values = _form_values(request.form)
    try:
        strike.update_case(db.session, record, values, current_user.actor, short_locale())
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        return _form_page(values, errors=err.messages, record=_case_or_404(case_id), status=422)
    flash(t("Criminal case %(number)s updated.", number=record.case_number), "success")
    return redirect(url_for("strike.show", case_id=record.id))


# -- a case and its stages -----------------------------------------------------------------------

def _show_page(record: StrikeCase, stage_values=None, errors=None, status=200):
    people = wording.person_labels(db.session, [record.created_by, record.prosecuted_by, record.judged_by],
                                   short_locale())
    next_stage = strike.NEXT_STAGE.get(record.stage)
    values = stage_values or {"stage": next_stage or "",
                              "on": clock.now().astimezone(BEIJING).date().isoformat(), "judgment": ""}
    return render_template("strike/show.html", case=record, units=_units(), people=people, next_stage=next_stage,
                           values=values, errors=errors or {}, t=t), status


@bp.get("/strike-cases/<int:case_id>")
@details_required
def show(case_id):
    return _show_page(_case_or_404(case_id))


@bp.post("/strike-cases/<int:case_id>/stage")
@details_required
def move_stage(case_id):
    record = _case_or_404(case_id)
    values = {name: (request.form.get(name) or "").strip() for name in ("stage", "on", "judgment")}
    try:
        strike.advance_stage(db.session, record, values["stage"], values["on"], values["judgment"],
                             current_user.actor, short_locale())
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        return _show_page(_case_or_404(case_id), values, err.messages, status=422)
    flash(t("The case is now: %(stage)s.", stage=strike_stage_label(record.stage)), "success")
    return redirect(url_for("strike.show", case_id=record.id))


def strike_stage_label(stage: str) -> str:
    return label("strike_stage", stage, short_locale())

