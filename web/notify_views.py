"""The notifications in the page header: unread count, list, mark read; and each user's
choice of channels (WeCom, SMS, e-mail ...) per kind of message."""
import re

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from domain.models import User
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


# WeCom's rule for a member's UserID: 1-64 bytes of letters, digits and _-@.
WECOM_USERID = re.compile(r"[A-Za-z0-9_\-@.]{1,64}")
MOBILE = re.compile(r"1[3-9][0-9]{9}")


def _channels_page(addresses=None, errors=None, status=200):
    enabled = _enabled()
    offered = _offered_channels()
    rows = []
    for kind, label in CHOOSABLE_KINDS:
        choices = load_choices(db.session, [current_user.username], kind).get(current_user.username)
        rows.append((kind, label, set(channels_for(kind, enabled, choices))))
    user = db.session.get(User, current_user.id)
    addresses = addresses or {"wecom_userid": user.wecom_userid or "", "phone": user.phone or ""}
    return render_template("notifications/channels.html", rows=rows, offered=offered,
                           channel_labels=CHANNEL_LABELS, saved=request.args.get("saved"),
                           addresses=addresses, errors=errors or {}), status


@bp.get("/channels")
@login_required
def channels():
    return _channels_page()


def _address_errors(addresses: dict) -> dict:
    errors = {}
    if addresses["wecom_userid"] and not WECOM_USERID.fullmatch(addresses["wecom_userid"]):
        errors["wecom_userid"] = [_("WeCom account: 1-64 letters, digits or _ - @ .")]
    if addresses["phone"] and not MOBILE.fullmatch(addresses["phone"]):
        errors["phone"] = [_("Mobile number: 11 digits starting with 1.")]
    return errors


@bp.post("/channels")
@login_required
def save_channels():
    offered = set(_offered_channels())
    user = db.session.get(User, current_user.id)
    # Where messages reach the user: their WeCom account (application messages) and mobile (SMS).
    addresses = {"wecom_userid": (request.form.get("wecom_userid", user.wecom_userid or "") or "").strip(),
                 "phone": (request.form.get("phone", user.phone or "") or "").strip().replace(" ", "")}
    errors = _address_errors(addresses)
    if errors:
        return _channels_page(addresses, errors, 422)
    user.wecom_userid, user.phone = addresses["wecom_userid"] or None, addresses["phone"] or None
    for kind, _label in CHOOSABLE_KINDS:
        # A checkbox named "<kind>:<channel>"; channels not offered here are left as they were.
        ticked = {c for c in offered if request.form.get(f"{kind}:{c}")}
        save_choices(db.session, current_user.username, kind, ticked, frozenset(offered))
    db.session.commit()
    return redirect(url_for("notifications.channels", saved=1))
