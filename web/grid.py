"""Grid workers' pages (网格员), made for the phone: report a lead from the field with photos, and
follow what became of one's reports (received, dispatched, closed), never what the units found.

    /grid                  my reports and their status
    /grid/report           report a lead (what, where, institution if known, photos)
    /grid/reports/<id>     one report's status
"""
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from domain.audit import audit
from domain.errors import DubanError, ValidationFailed
from domain.grid_reports import (GRID_INTAKE, STAGE_LABELS, STAGES, is_grid_worker, register_grid_report,
                                 report_of, reports_of, stage_of)
from domain.labels import SECTOR, pick
from domain.models import User
from engine.store.models import Attachment
from web.cases import _flat_errors, start_lead_handling
from web.errors import engine_message, status_of
from web.extensions import db
from web.i18n import short_locale
from web.uploads import IMAGE_TYPES, UploadRejected, browser_file_limit, discard, save_checked_file, size_text

bp = Blueprint("grid", __name__, url_prefix="/grid")

MAX_PHOTOS = 9
TEXT_FIELDS = ("summary", "address", "subject_name", "sector")


def grid_worker_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_grid_worker(current_user):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _stage_label(stage: str) -> str:
    return pick(STAGE_LABELS[stage], short_locale())


@bp.get("/")
@grid_worker_required
def index():
    reports = reports_of(db.session, current_user.username)
    rows = [{"report": report, "lead": report.lead, "stage": stage_of(report.lead),
             "stage_label": _stage_label(stage_of(report.lead))} for report in reports]
    return render_template("grid/index.html", rows=rows)


def _report_page(values, errors=None, status=200):
    sectors = {code: pick(text, short_locale()) for code, text in SECTOR.items()}
    return render_template("grid/report.html", values=values, errors=errors or {}, sectors=sectors,
                           max_photos=MAX_PHOTOS, file_limit=browser_file_limit(),
                           file_limit_text=size_text(browser_file_limit())), status


def _receive_photos(files) -> list:
    """Check and store the photos (JPG or PNG, by content); on a refusal none of them stays."""
    if len(files) > MAX_PHOTOS:
        raise UploadRejected(_("At most %(count)d photos.", count=MAX_PHOTOS))
    received = []
    try:
        for storage in files:
            received.append(save_checked_file(storage, IMAGE_TYPES))
    except BaseException:
        _discard(received)
        raise
    return received


def _discard(photos) -> None:
    discard(*(photo.storage_name for photo in photos))


def _attach_photos(photos, session, instance) -> None:
    """The photos become evidence of the new case in the same transaction, uploaded by 网格员上报."""
    for photo in photos:
        row = Attachment(instance_id=instance.id, filename=photo.filename[:255], storage_name=photo.storage_name,
                         content_type=photo.content_type, size=photo.size, sha256=photo.sha256,
                         uploaded_by=GRID_INTAKE.username, uploaded_at=instance.started_at)
        session.add(row)
        session.flush()
        audit(session, GRID_INTAKE, "attachment.added", instance_id=instance.id, attachment_id=row.id,
              filename=row.filename, size=row.size, sha256=row.sha256)


@bp.route("/report", methods=["GET", "POST"])
@grid_worker_required
def report():
    if request.method == "GET":
        return _report_page({name: "" for name in TEXT_FIELDS})
    values = {name: (request.form.get(name) or "").strip() for name in TEXT_FIELDS}
    files = [storage for storage in request.files.getlist("photos") if storage and storage.filename]
    try:
        photos = _receive_photos(files)
    except UploadRejected as err:
        return _report_page(values, {"photos": [str(err)]}, 422)
    locale = short_locale()
    user_id = current_user.id

    def register(session):
        return register_grid_report(session, values, session.get(User, user_id), locale)

    try:
        lead_id, number = start_lead_handling(GRID_INTAKE, register,
                                              lambda session, instance: _attach_photos(photos, session, instance))
    except ValidationFailed as err:
        _discard(photos)
        return _report_page(values, _flat_errors(err.messages), 422)
    except DubanError as err:
        _discard(photos)
        return _report_page(values, {"_form": [engine_message(err)]}, status_of(err))
    flash(_("Reported as lead %(number)s. The special office will handle it.", number=number), "success")
    report_row = next(row for row in reports_of(db.session, current_user.username) if row.lead_id == lead_id)
    return redirect(url_for("grid.show", report_id=report_row.id))


@bp.get("/reports/<int:report_id>")
@grid_worker_required
def show(report_id):
    row = report_of(db.session, current_user.username, report_id)
    if row is None:
        abort(404)
    lead = row.lead
    photos = db.session.query(Attachment).filter(Attachment.instance_id == lead.instance_id,
                                                 Attachment.uploaded_by == GRID_INTAKE.username).count() \
        if lead.instance_id else 0
    stage = stage_of(lead)
    steps = [{"stage": code, "label": _stage_label(code), "done": STAGES.index(code) <= STAGES.index(stage)}
             for code in STAGES]
    return render_template("grid/show.html", report=row, lead=lead, stage=stage, steps=steps, photos=photos,
                           withdrawn=stage == "closed" and lead.responsible_unit is None)
