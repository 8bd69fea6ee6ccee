"""The signed-in user as domain.publicity's rules see them, and the record look-ups of the pages."""
from flask import abort
from flask_login import current_user
from sqlalchemy import select

from domain import publicity
from domain.models import PublicityActivity, PublicityPhoto, Unit
from engine import clock
from web.extensions import db


def who() -> publicity.Who:
    return publicity.Who.of(current_user)


def require_recorder() -> publicity.Who:
    me = who()
    if not me.may_record:
        abort(403)
    return me


def visible_activity_or_404(activity_id: int) -> PublicityActivity:
    activity = db.session.get(PublicityActivity, activity_id)
    if activity is None or not publicity.can_see(who(), activity):
        abort(404)
    return activity


def changeable_activity(activity_id: int) -> PublicityActivity:
    """The activity, if the user may change it: 404 if they may not see it, 403 if not change it."""
    activity = visible_activity_or_404(activity_id)
    if not publicity.can_change(who(), activity, clock.now()):
        abort(403)
    return activity


def visible_photo_or_404(photo_id: int) -> PublicityPhoto:
    photo = db.session.get(PublicityPhoto, photo_id)
    if photo is None or not publicity.can_see(who(), photo.activity):
        abort(404)
    return photo


def communities() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.kind == "community", Unit.active.is_(True))
                                   .order_by(Unit.id)))
