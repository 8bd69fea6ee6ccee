"""Inspection pages (机构排查): the list, recording one, its page, and starting graded disposal
for a risk it found.

    GET       /inspections                      the list (from, to, unit, sector, finding)
    GET/POST  /inspections/new                  record an inspection of the recorder's unit
    GET       /inspections/<id>                 an inspection, its checklist and its disposal
    POST      /inspections/<id>/disposal        启动风险研判处置 (once; a risk was found)

Who: staff (officers, supervisors, office leaders) of the special office and of member units
record inspections of their own unit. An inspection is seen by its unit, the supervisors of
that unit and whoever sees every unit (the office, administrators); anyone else gets 404.
Disposal is started by staff of the inspecting unit or of the office.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import pgettext
from flask_login import current_user, login_required
from sqlalchemy import func, select, union

from domain import inspections as domain
from domain.checklists import ChecklistError, checklist
from domain.errors import DubanError, ValidationFailed
from domain.labels import INSPECTION_FINDING, SECTOR, SECTORS
from domain.models import Disposal, Inspection, Lead, RectificationItem, Subject, Unit
from domain.wording import person_labels
from engine import clock
from web.access import ALL_UNITS
from web.errors import engine_message
from web.extensions import db
from web.i18n import short_locale
from web.params import date_arg, page_arg
from web.presenters import BEIJING

bp = Blueprint("inspections", __name__)
PAGE_SIZE = 20
CONTEXT = "inspections"


@bp.errorhandler(ChecklistError)
def checklist_broken(err):
    """A checklist file an administrator got wrong: said as such (which file, what fault), not a traceback."""
    message = pgettext("inspections", "A sector's checklist cannot be used: %(fault)s", fault=str(err))
    return render_template("error.html", code=500, message=message), 500


def _unit_names() -> dict[str, str]:
    from web.cases import _unit_names as names
    return names()


# -- who ----------------------------------------------------------------------------------------

def may_record() -> bool:
    """Staff of the office or of a member unit (not communities, grid workers, administrators)."""
    if not current_user.has_role(*domain.INSPECTING_ROLES) or not current_user.unit_code:
        return False
    kind = db.session.scalar(select(Unit.kind).where(Unit.code == current_user.unit_code))
    return kind in domain.INSPECTING_UNIT_KINDS


def can_see(inspection: Inspection) -> bool:
    return current_user.can_see_unit(inspection.unit)


def may_start_disposal(inspection: Inspection) -> bool:
    return may_record() and current_user.unit_code in (inspection.unit, "office")


def visible_clause():
    visible = current_user.visible_units()
    return None if visible is ALL_UNITS else Inspection.unit.in_(sorted(visible))


def visible_or_404(inspection_id: int) -> Inspection:
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None or not can_see(inspection):
        abort(404)
    return inspection


def subject_inspections(subject_id: int) -> list[Inspection]:
    """The subject's inspections the user may see, newest first (the subject page)."""
    query = select(Inspection).where(Inspection.subject_id == subject_id)
    clause = visible_clause()
    if clause is not None:
        query = query.where(clause)
    return list(db.session.scalars(query.order_by(Inspection.inspected_on.desc(), Inspection.id.desc())))


def _subject_choices() -> list:
    """(id, name, credit code, sector) of the institutions the user may name: every one for those
    who see every unit, else those their units hold a lead, disposal, rectification item or
    inspection of (an inspection never opens another unit's institution: domain.leads rules)."""
    query = select(Subject.id, Subject.name, Subject.credit_code, Subject.sector).order_by(Subject.name).limit(2000)
    visible = current_user.visible_units()
    if visible is not ALL_UNITS:
        units = sorted(visible)
        ids = union(select(Lead.subject_id).where(Lead.responsible_unit.in_(units)),
                    select(Disposal.subject_id).where(Disposal.unit.in_(units)),
                    select(RectificationItem.subject_id).where(RectificationItem.responsible_unit.in_(units)),
                    select(Inspection.subject_id).where(Inspection.unit.in_(units)))
        query = query.where(Subject.id.in_(select(ids.subquery().c[0])))
    return db.session.execute(query).all()


# -- the list -------------------------------------------------------------------------------------

@bp.get("/inspections")
@login_required
def index():
    args = request.args
    query = select(Inspection)
    clause = visible_clause()
    if clause is not None:
        query = query.where(clause)
    first, last = date_arg("from"), date_arg("to")
    if first:
        query = query.where(Inspection.inspected_on >= first)
    if last:
        query = query.where(Inspection.inspected_on <= last)
    unit = (args.get("unit") or "").strip()
    if unit:
        query = query.where(Inspection.unit == unit)
    if args.get("sector") in SECTOR:
        query = query.where(Inspection.sector == args["sector"])
    if args.get("finding") in INSPECTION_FINDING:
        query = query.where(Inspection.finding == args["finding"])
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_arg()
    rows = db.session.scalars(query.order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    paging = {"page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total}
    visible = current_user.visible_units()
    unit_choices = db.session.scalars(select(Unit.code).where(Unit.kind.in_(domain.INSPECTING_UNIT_KINDS))
                                      .order_by(Unit.id)).all()
    if visible is not ALL_UNITS:
        unit_choices = [code for code in unit_choices if code in visible]
    return render_template("inspections/index.html", rows=rows, paging=paging, args=args, units=_unit_names(),
                           unit_choices=unit_choices, sectors=SECTOR, findings=INSPECTION_FINDING,
                           may_record=may_record())


# -- recording ----------------------------------------------------------------------------------------

FORM_FIELDS = ("inspected_on", "unit", "officers", "subject_mode", "subject_id", "subject_name",
               "subject_credit_code", "sector", "checklist", "finding", "note")


def _default_values() -> dict:
    return {"inspected_on": clock.now().astimezone(BEIJING).date().isoformat(), "officers": [current_user.username],
            "subject_mode": "existing", "subject_id": "", "subject_name": "", "subject_credit_code": "",
            "sector": "", "finding": "", "note": "", "answers": {}}


def _form_values(form) -> dict:
    values = {name: (form.get(name) or "").strip() for name in (
        "inspected_on", "subject_id", "subject_name", "subject_credit_code", "sector", "finding", "note")}
    values["subject_mode"] = form.get("subject_mode") if form.get("subject_mode") in ("existing", "new") else "new"
    values["officers"] = [name.strip() for name in form.getlist("officers") if name.strip()]
    # Each sector's checklist is on the page (the one that applies is shown): keep every answer given,
    # so the page re-renders them; only the sector that applies is sent to the domain.
    answers = {}
    for sector in SECTORS:
        for point in checklist(sector)["points"]:
            problem = form.get(f"problem-{sector}-{point['id']}") == "1"
            note = (form.get(f"note-{sector}-{point['id']}") or "").strip()
            if problem or note:
                answers.setdefault(sector, {})[point["id"]] = {"problem": problem, "note": note}
    values["answers"] = answers
    return values


def _effective_sector(values: dict, subjects) -> str | None:
    if values["sector"] in SECTOR:
        return values["sector"]
    if values["subject_mode"] == "existing" and values["subject_id"]:
        return next((sector for sid, _n, _c, sector in subjects if str(sid) == values["subject_id"]), None)
    return None


def _inspection_data(values: dict, sector: str | None) -> dict:
    data = {key: values[key] for key in ("inspected_on", "sector", "finding", "note") if values[key]}
    data["unit"] = current_user.unit_code
    data["officers"] = values["officers"]
    if values["subject_mode"] == "existing":
        if values["subject_id"]:
            data["subject_id"] = values["subject_id"]
    else:
        for key in ("subject_name", "subject_credit_code"):
            if values[key]:
                data[key] = values[key]
    data["answers"] = values["answers"].get(sector, {}) if sector else {}
    return data


def _form_page(values, errors=None, status=200):
    errors = errors or {}
    other = [text for name, texts in errors.items() if name not in FORM_FIELDS for text in texts]
    subjects = _subject_choices()
    officers = domain.unit_officers(db.session, current_user.unit_code)
    locale = short_locale()
    people = person_labels(db.session, [user.username for user in officers], locale)
    return render_template(
        "inspections/new.html", values=values, errors=errors, other_errors=other, subjects=subjects,
        officers=[(user.username, user.display_name) for user in officers], people=people, sectors=SECTOR,
        checklists={sector: checklist(sector) for sector in SECTORS}, active_sector=_effective_sector(values, subjects),
        findings=INSPECTION_FINDING, unit_name=_unit_names().get(current_user.unit_code, ""), locale=locale), status


@bp.route("/inspections/new", methods=["GET", "POST"])
@login_required
def new():
    if not may_record():
        abort(403)
    if request.method == "GET":
        return _form_page(_default_values())
    values = _form_values(request.form)
    sector = _effective_sector(values, _subject_choices())
    locale = short_locale()
    from web.cases import can_see_subject
    try:
        inspection = domain.record_inspection(
            db.session, _inspection_data(values, sector), current_user.actor, locale,
            allowed_units={current_user.unit_code}, may_link_subject=can_see_subject)
        inspection_id = inspection.id
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        return _form_page(values, errors=_flat(err.messages), status=422)
    flash(pgettext("inspections", "Inspection recorded."), "success")
    return redirect(url_for("inspections.show", inspection_id=inspection_id))


def _flat(messages) -> dict[str, list[str]]:
    from web.cases import _flat_errors
    return _flat_errors(messages)


# -- an inspection ---------------------------------------------------------------------------------------

@bp.get("/inspections/<int:inspection_id>")
@login_required
def show(inspection_id):
    inspection = visible_or_404(inspection_id)
    from web.cases import can_see_subject, holders
    people = person_labels(db.session, list(inspection.officers or []) + [inspection.created_by], short_locale())
    instance_ids = {inspection.instance_id} if inspection.instance_id else set()
    return render_template(
        "inspections/show.html", inspection=inspection, units=_unit_names(), people=people,
        holders=holders(instance_ids), subject_visible=can_see_subject(inspection.subject), locale=short_locale(),
        may_start=inspection.finding == "risk_found" and inspection.instance_id is None
        and may_start_disposal(inspection)), 200, {"Cache-Control": "no-store"}


@bp.post("/inspections/<int:inspection_id>/disposal")
@login_required
def start_disposal(inspection_id):
    """启动风险研判处置: graded disposal of the institution, with the inspecting unit responsible."""
    inspection = visible_or_404(inspection_id)
    if not may_start_disposal(inspection):
        abort(403)
    db.session.rollback()  # end the read before the engine writes (SQLite: one writer)
    from web.cases import _engine
    try:
        domain.start_disposal(_engine(), current_user.actor, inspection_id)
    except domain.DisposalRefused as refused:
        text = (pgettext("inspections", "Graded disposal was already started for this inspection.")
                if refused.reason == "already_started"
                else pgettext("inspections", "No risk was found in this inspection: there is nothing to dispose of."))
        flash(text, "warning")
        return redirect(url_for("inspections.show", inspection_id=inspection_id))
    except DubanError as err:
        flash(engine_message(err), "error")
        return redirect(url_for("inspections.show", inspection_id=inspection_id))
    flash(pgettext("inspections", "Graded disposal started: its risk assessment is in the inspecting unit's inbox."),
          "success")
    return redirect(url_for("inspections.show", inspection_id=inspection_id))
