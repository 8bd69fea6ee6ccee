"""The notifications in the page header: unread count, list, mark read; and each user's
choice of channels (WeCom, SMS, e-mail ...) per kind of message."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from engine import clock
from notifications.inbox import list_inbox, mark_all_read, mark_read
from notifications.preferences import PERSONAL_CHANNELS, channels_for, load_choices, save_choices
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


# -- each user's choice of channels per kind of message ----------------------------------------

# The kinds a user can route, in the order an officer meets them, with their labels.
CHOOSABLE_KINDS = (
    ("task.assigned", _l("New task")),
    ("task.reminder", _l("Reminder before the deadline")),
    ("task.overdue", _l("Task overdue")),
    ("escalation.raised", _l("Escalation (yellow or red card)")),
    ("supervision.started", _l("Supervised handling started")),
    ("accountability.opened", _l("Accountability opened")),
)
CHANNEL_LABELS = {"inapp": _l("In the app"), "email": _l("E-mail"), "webhook": _l("Webhook"),
                  "wecom": _l("WeCom"), "sms": _l("SMS")}


def _enabled() -> frozenset[str]:
    from web import runtime_of  # web imports this module while building the app

    return runtime_of(current_app).notifier.config.enabled_channels()


def _offered_channels() -> list[str]:
    """Configured personal channels: one not configured on this server is not offered."""
    return [c for c in PERSONAL_CHANNELS if c in _enabled()]


@bp.get("/channels")
@login_required
def channels():
    enabled = _enabled()
    offered = _offered_channels()
    rows = []
    for kind, label in CHOOSABLE_KINDS:
        choices = load_choices(db.session, [current_user.username], kind).get(current_user.username)
        rows.append((kind, label, set(channels_for(kind, enabled, choices))))
    return render_template("notifications/channels.html", rows=rows, offered=offered,
                           channel_labels=CHANNEL_LABELS, saved=request.args.get("saved"))


@bp.post("/channels")
@login_required
def save_channels():
    offered = set(_offered_channels())
    for kind, _label in CHOOSABLE_KINDS:
        # A checkbox named "<kind>:<channel>"; channels not offered here are left as they were.
        ticked = {c for c in offered if request.form.get(f"{kind}:{c}")}
        save_choices(db.session, current_user.username, kind, ticked, frozenset(offered))
    db.session.commit()
    return redirect(url_for("notifications.channels", saved=1))
