"""Administrators: the working-day calendar of a year, and the State Council's schedule for it.

Pages (Chinese by default):
    GET  /admin/calendar/             the year to look at now (next year from November)
    GET  /admin/calendar/<year>       holidays and make-up working days as deadlines count them, where each
                                      comes from; the entered schedule (?prefill=1: the days shown, to edit)
    POST /admin/calendar/<year>       save the schedule (form: schedule, one date per line; confirmed)
                                      -> 302 back; 400 with the page naming each bad line

From 1 November until next year's calendar is confirmed, administrators' pages carry a banner
linking here (`calendar_banner`, shown by base.html).
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from domain.calendar_text import parse_schedule, schedule_text
from domain.models import User
from domain.official_calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    default_year,
    entered_days,
    save_schedule,
    year_needing_confirmation,
    year_record,
)
from engine import calendar_sources as sources
from engine import clock
from engine.workcal import WorkCalendar
from web.access import roles_required
from web.commands import current_runtime
from web.extensions import db
from web.i18n import short_locale

bp = Blueprint("admin_calendar", __name__, url_prefix="/admin/calendar")
admin_only = roles_required("administrator")


def day_source_names() -> dict[str, str]:
    return {
        sources.LOCAL: _("Local adjustment"),
        sources.OFFICIAL: _("State Council schedule"),
        sources.CHINESECALENDAR: _("chinesecalendar library"),
        sources.HOLIDAYS: _("holidays library"),
    }


def year_source_names() -> dict[str, str]:
    """What a whole year is computed from (the page's headline)."""
    return {
        sources.OFFICIAL: _("State Council schedule (entered)"),
        sources.CHINESECALENDAR: _("chinesecalendar library"),
        sources.HOLIDAYS: _("holidays library (no make-up working days)"),
        sources.WEEKDAYS: _("Monday to Friday only (no holiday data)"),
    }


def _display_name(username: str | None) -> str:
    if not username:
        return ""
    return db.session.scalar(select(User.display_name).where(User.username == username)) or _("a former user")


def _page(year: int, text: str | None = None, problems=(), status: int = 200):
    calendar = WorkCalendar.from_session(db.session)
    record = year_record(db.session, year)
    if text is None:
        days = calendar.year(year).days.values() if request.args.get("prefill") else entered_days(db.session, year)
        text = schedule_text(days)
    english = short_locale() == "en"
    rows = [{"day": m.day, "weekday": format_date(m.day, "EEE"), "is_workday": m.is_workday,
             "name": (m.name_en or m.name) if english else m.name, "source": m.source}
            for m in calendar.marked_days(year)]
    return render_template(
        "admin/calendar.html", year=year, rows=rows, year_source=calendar.year(year).source,
        knows_makeup_days=calendar.year(year).knows_makeup_days, record=record, text=text,
        problems=[_(p.template, **p.values) for p in problems], year_sources=year_source_names(),
        day_sources=day_source_names(),
        entered_by=_display_name(record.entered_by if record else None),
        confirmed_by=_display_name(record.confirmed_by if record else None),
        first_year=FIRST_YEAR, last_year=LAST_YEAR), status


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)


@bp.get("/")
@bp.get("/<int:year>")
@admin_only
def page(year: int | None = None):
    if year is None:
        year = request.args.get("year", type=int) or default_year(db.session)
    _check_year(year)
    return _page(year)


@bp.post("/<int:year>")
@admin_only
def save(year: int):
    _check_year(year)
    text = request.form.get("schedule") or ""
    confirmed = request.form.get("confirmed") == "1"
    parsed = parse_schedule(text, year)
    if parsed.problems:
        return _page(year, text, parsed.problems, 400)
    try:
        save_schedule(db.session, year, parsed.days, current_user.actor, confirmed)
        db.session.commit()
    except IntegrityError:  # another administrator saved the same year at the same moment
        db.session.rollback()
        flash(_("Someone else saved this year's schedule at the same time; check it and save again."), "warning")
        return redirect(url_for("admin_calendar.page", year=year))
    current_runtime().engine.forget_calendar()  # new deadlines use the schedule at once
    if confirmed:
        flash(_("The working-day calendar of %(year)s is saved and confirmed.", year=year), "success")
    else:
        flash(_("The working-day calendar of %(year)s is saved.", year=year), "success")
    return redirect(url_for("admin_calendar.page", year=year))


@bp.app_context_processor
def calendar_banner():
    """The year administrators should confirm, for the banner on their pages."""
    if not current_user or not current_user.is_authenticated or not current_user.has_role("administrator"):
        return {}
    if (request.endpoint or "").startswith("admin_calendar."):
        return {}  # the calendar page says it itself
    try:
        return {"calendar_banner": year_needing_confirmation(db.session, clock.now())}
    except SQLAlchemyError:  # an error page must still render
        return {}
