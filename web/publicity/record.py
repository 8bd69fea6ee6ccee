"""Recording, changing and deleting publicity activities, and the grid worker's phone pages.

A form that fails comes back with HTTP 422 and the message beside each field; nothing of it is
kept (neither the record nor any photo sent with it)."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from domain import publicity
from domain.errors import PermissionDenied, ValidationFailed
from domain.labels import PUBLICITY_FORMS, PUBLICITY_ITEM
from domain.models import PublicityActivity, PublicityPhoto
from engine import clock
from web.extensions import db
from web.i18n import short_locale
from web.publicity import bp, t
from web.publicity.access import changeable_activity, communities, require_recorder
from web.reports import unit_names
from web.uploads import IMAGE_TYPES, UploadRejected, discard, save_checked_file

FIELDS = ("held_on", "form", "community", "place", "title", "description", "audience", "materials", "items")
VISIT_TITLE = "入户走访宣传"  # records are kept in Chinese, whoever types them


def _today_text() -> str:
    return publicity.beijing_today(clock.now()).isoformat()


def _values(form) -> dict:
    return {name: (form.get(name) or "").strip() for name in FIELDS}


def _store_photos(files, already: int, errors: dict) -> list:
    """Each chosen photo checked and written (web.uploads); refusals go to errors["photos"]."""
    stored = []
    chosen = [storage for storage in files if storage and storage.filename]
    if already + len(chosen) > publicity.MAX_PHOTOS:
        errors.setdefault("photos", []).append(t("At most %(n)s photos per activity.", n=publicity.MAX_PHOTOS))
        return stored
    for storage in chosen:
        try:
            stored.append(save_checked_file(storage, IMAGE_TYPES))
        except UploadRejected as err:
            errors.setdefault("photos", []).append(str(err))
    return stored


def _save(write, files, already: int = 0):
    """Run `write(session) -> activity` and attach the photos, all or nothing: (activity, None) or
    (None, errors)."""
    errors: dict = {}
    activity = None
    try:
        activity = write(db.session)
    except ValidationFailed as err:
        errors.update(err.messages)
    stored = _store_photos(files, already, errors)
    if errors:
        db.session.rollback()
        discard(*(s.storage_name for s in stored))
        return None, errors
    me, now = publicity.Who.of(current_user), clock.now()
    try:
        for s in stored:
            publicity.add_photo(db.session, activity, me, now, filename=s.filename, storage_name=s.storage_name,
                                content_type=s.content_type, size=s.size, sha256=s.sha256)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        discard(*(s.storage_name for s in stored))
        raise
    return activity, None


def _form_page(template, values, errors=None, activity=None, status=200, **extra):
    return render_template(template, values=values, errors=errors or {}, activity=activity,
                           forms=PUBLICITY_FORMS, item_forms=list(PUBLICITY_ITEM), communities=communities(),
                           names=unit_names(db.session, short_locale()), max_photos=publicity.MAX_PHOTOS,
                           today=_today_text(), **extra), status


# -- record --------------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    me = require_recorder()
    if request.method == "GET":
        values = dict.fromkeys(FIELDS, "")
        values.update(held_on=_today_text(), form=request.args.get("form") if request.args.get("form") in
                      PUBLICITY_FORMS else "", community=me.unit if me.unit in {u.code for u in communities()} else "")
        return _form_page("publicity/form.html", values)
    values = _values(request.form)
    activity, errors = _save(lambda session: publicity.record_activity(
        session, values, me, clock.now(), short_locale()), request.files.getlist("photos"))
    if errors:
        return _form_page("publicity/form.html", values, errors, status=422)
    flash(t("Publicity activity recorded."), "success")
    return redirect(url_for("publicity.show", activity_id=activity.id))


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(activity_id):
    activity = changeable_activity(activity_id)
    if request.method == "GET":
        values = {name: getattr(activity, name) for name in FIELDS}
        values["held_on"] = activity.held_on.isoformat()
        values["community"] = activity.community or ""
        values = {name: "" if value is None else str(value) for name, value in values.items()}
        return _form_page("publicity/form.html", values, activity=activity)
    values = _values(request.form)
    me = publicity.Who.of(current_user)
    remove = {int(v) for v in request.form.getlist("remove_photo") if v.isdigit() and len(v) < 19}
    keep = [photo for photo in activity.photos if photo.id not in remove]
    removed: list[str] = []

    def write(session):
        publicity.update_activity(session, activity, values, me, clock.now(), short_locale())
        for photo in list(activity.photos):
            if photo.id in remove:
                removed.append(publicity.remove_photo(session, photo, me))
        session.expire(activity, ["photos"])
        return activity

    try:
        saved, errors = _save(write, request.files.getlist("photos"), already=len(keep))
    except PermissionDenied:
        db.session.rollback()
        return redirect(url_for("publicity.show", activity_id=activity_id))
    if errors:
        activity = changeable_activity(activity_id)
        return _form_page("publicity/form.html", values, errors, activity=activity, status=422)
    discard(*removed)
    flash(t("Publicity activity saved."), "success")
    return redirect(url_for("publicity.show", activity_id=saved.id))


@bp.post("/<int:activity_id>/delete")
@login_required
def delete(activity_id):
    activity = changeable_activity(activity_id)
    stored = publicity.delete_activity(db.session, activity, publicity.Who.of(current_user), clock.now())
    db.session.commit()
    discard(*stored)
    flash(t("Publicity activity deleted."), "success")
    return redirect(url_for("publicity.index"))


# -- the grid worker's phone pages ----------------------------------------------------------------

VISIT_FIELDS = ("held_on", "community", "place", "items", "audience", "materials", "description")


@bp.route("/visits/new", methods=["GET", "POST"])
@login_required
def new_visit():
    """入户走访 from a phone: date, community, households, people, leaflets, photos from the camera."""
    me = require_recorder()
    if request.method == "GET":
        values = dict.fromkeys(VISIT_FIELDS, "")
        values.update(held_on=_today_text(),
                      community=me.unit if me.unit in {u.code for u in communities()} else "")
        return _form_page("publicity/visit.html", values)
    values = {name: (request.form.get(name) or "").strip() for name in VISIT_FIELDS}
    data = dict(values, form="door_to_door", title=VISIT_TITLE)
    activity, errors = _save(lambda session: publicity.record_activity(
        session, data, me, clock.now(), short_locale()), request.files.getlist("photos"))
    if errors:
        return _form_page("publicity/visit.html", values, errors, status=422)
    flash(t("Door-to-door visit recorded."), "success")
    return redirect(url_for("publicity.mine"))


@bp.get("/mine")
@login_required
def mine():
    """The user's own records, newest first (the phone list)."""
    me = require_recorder()
    rows = list(db.session.scalars(select(PublicityActivity).where(PublicityActivity.recorded_by == me.username)
                                   .order_by(PublicityActivity.held_on.desc(), PublicityActivity.id.desc())
                                   .limit(200)))
    photo_counts = _photo_counts([row.id for row in rows])
    return render_template("publicity/mine.html", rows=rows, photo_counts=photo_counts,
                           names=unit_names(db.session, short_locale()))


def _photo_counts(ids) -> dict[int, int]:
    if not ids:
        return {}
    return dict(db.session.execute(select(PublicityPhoto.activity_id, func.count(PublicityPhoto.id))
                                   .where(PublicityPhoto.activity_id.in_(ids))
                                   .group_by(PublicityPhoto.activity_id)).all())
