"""The notifications in the page header: unread count, list, mark read."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import clock
from notifications.inbox import list_inbox, mark_all_read, mark_read
from web.access import local_target
from web.extensions import db

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    items = list_inbox(db.session, current_user.username, limit=100)
    return render_template("notifications/index.html", items=items)


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id):
    mark_read(db.session, current_user.username, notification_id, clock.now)
    db.session.commit()
    return redirect(local_target(request.form.get("next"), url_for("notifications.index")))


@bp.post("/read-all")
@login_required
def read_all():
    mark_all_read(db.session, current_user.username, clock.now)
    db.session.commit()
    return redirect(url_for("notifications.index"))
