"""Counts and links in the navigation bar, on every page."""
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import pgettext
from flask import url_for
from flask_login import current_user
from sqlalchemy import func, select

from domain.grid_reports import is_grid_worker
from domain.publicity import Who
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
    if is_grid_worker(current_user):
        # Grid workers report and follow their reports; they hold no tasks and see no cases.
        extra = [{"id": "grid-report", "url": url_for("grid.report"), "label": _("Report a lead")},
                 {"id": "grid-mine", "url": url_for("grid.index"), "label": _("My reports")},
                 # 入户走访: the door-to-door publicity rounds they record (web.publicity)
                 {"id": "publicity", "url": url_for("publicity.mine"), "label": _("Door-to-door visits")}]
        return {"nav_counts": counts, "nav_extra": extra, "current_locale": locale, "nav_casework": False,
                "nav_home": url_for("grid.index")}
    extra = [{"id": "leads", "url": url_for("cases.leads"), "label": _("Leads")}]
    if not current_user.has_role("grid_worker") or len(current_user.roles) > 1:  # 网格员 inspect nothing
        extra.append({"id": "inspections", "url": url_for("inspections.index"),
                      "label": pgettext("inspections", "Inspections")})
    if current_user.unit_code == "office" or current_user.has_role("office_leader", "administrator"):
        extra.append({"id": "register", "url": url_for("cases.register"), "label": _("Register a lead")})
    from web.strike import sees_details, t as strike_t
    if sees_details():
        extra.append({"id": "strike", "url": url_for("strike.index"), "label": strike_t("Criminal cases")})
    # 宣传发动: whoever records activities, and those who see every unit's (web.publicity)
    who = Who.of(current_user)
    if who.may_record or who.sees_all:
        extra.append({"id": "publicity", "url": url_for("publicity.index"), "label": _("Publicity")})
    if current_user.roles != {"grid_worker"}:
        extra.append({"id": "returns", "url": url_for("returns.index"), "label": _("Monthly returns")})
    if current_user.is_supervisor:
        extra.append({"id": "supervise", "url": url_for("supervise.index"), "label": _("Supervision")})
        extra.append({"id": "dashboard", "url": url_for("dashboard.index"), "label": _("Dashboard")})
        extra.append({"id": "campaign", "url": url_for("campaign.page"), "label": _("Campaign")})
    if current_user.has_role("administrator"):
        extra.append({"id": "admin", "url": url_for("admin.index"), "label": _("Administration")})
    return {"nav_counts": counts, "nav_extra": extra, "current_locale": locale, "nav_casework": True,
            "nav_home": url_for("inbox.index")}
