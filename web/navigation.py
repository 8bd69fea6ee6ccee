"""Counts and links in the navigation bar, on every page."""
from flask_babel import get_locale
from flask_babel import gettext as _
from flask import url_for
from flask_login import current_user
from sqlalchemy import func, select

from engine.store.models import TaskCopy
from notifications.inbox import unread_count
from web.extensions import db
from web.queries import todo_count


def inject_navigation():
    locale = str(get_locale() or "zh")
    if not current_user or not current_user.is_authenticated:
        return {"nav_counts": {}, "nav_extra": [], "current_locale": locale}
    counts = {
        "todo": todo_count(db.session, current_user),
        "unread": unread_count(db.session, current_user.username),
        "cc": db.session.scalar(select(func.count()).select_from(TaskCopy).where(
            TaskCopy.recipient == current_user.username, TaskCopy.read_at.is_(None))),
    }
    extra = [{"id": "leads", "url": url_for("cases.leads"), "label": _("Leads")}]
    if current_user.unit_code == "office" or current_user.has_role("office_leader", "administrator"):
        extra.append({"id": "register", "url": url_for("cases.register"), "label": _("Register a lead")})
    if current_user.roles != {"grid_worker"}:
        extra.append({"id": "returns", "url": url_for("returns.index"), "label": _("Monthly returns")})
    if current_user.is_supervisor:
        extra.append({"id": "supervise", "url": url_for("supervise.index"), "label": _("Supervision")})
        extra.append({"id": "dashboard", "url": url_for("dashboard.index"), "label": _("Dashboard")})
    if current_user.has_role("administrator"):
        extra.append({"id": "admin", "url": url_for("admin.index"), "label": _("Administration")})
    return {"nav_counts": counts, "nav_extra": extra, "current_locale": locale}
