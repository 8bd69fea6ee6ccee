"""The State Council's holiday schedule per year, entered and confirmed by administrators (audited).

An entered schedule replaces the libraries for its year (engine.workcal); saving an empty
schedule removes it, so the libraries decide again. "Confirmed" records that an administrator
checked the year's working-day calendar against the published notice: from 1 November until
next year's is confirmed, administrators are warned (`year_needing_confirmation`).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select

from domain.audit import actor_name, audit
from engine import clock
from engine.calendar_sources import chinesecalendar_covers
from engine.store.calendar_models import CalendarYear, OfficialDay
from engine.workcal import CHINA_TZ

WARN_FROM_MONTH = 11  # the State Council publishes next year's schedule in November or December
FIRST_YEAR, LAST_YEAR = 2000, 2100


def year_record(session, year: int) -> CalendarYear | None:
    return session.get(CalendarYear, year)


def entered_days(session, year: int) -> list[OfficialDay]:
    return list(session.scalars(select(OfficialDay).where(OfficialDay.year == year).order_by(OfficialDay.day)))


def save_schedule(session, year: int, days: dict[date, tuple[bool, str]], actor, confirmed: bool) -> CalendarYear:
    """Replace the year's entered schedule with `days` (none: remove it) and set whether it is confirmed.

    The caller commits; the year's row is locked so two administrators saving at once do not mix schedules.
    """
    record = session.get(CalendarYear, year, with_for_update=True)
    if record is None:
        record = CalendarYear(year=year)
        session.add(record)
        session.flush()
    now, who = clock.now(), actor_name(actor)
    session.execute(delete(OfficialDay).where(OfficialDay.year == year))
    session.add_all(OfficialDay(year=year, day=day, is_workday=is_workday, name=name)
                    for day, (is_workday, name) in sorted(days.items()))
    record.entered_at, record.entered_by = (now, who) if days else (None, None)
    was_confirmed = record.confirmed
    if confirmed and not was_confirmed:
        record.confirmed_at, record.confirmed_by = now, who
    elif not confirmed:
        record.confirmed_at, record.confirmed_by = None, None
    audit(session, actor, "calendar.schedule_saved", year=year, confirmed=confirmed,
          days=[[day.isoformat(), is_workday, name] for day, (is_workday, name) in sorted(days.items())])
    if confirmed != was_confirmed:
        audit(session, actor, "calendar.year_confirmed" if confirmed else "calendar.confirmation_withdrawn",
              year=year)
    return record


def year_needing_confirmation(session, now: datetime | None = None) -> int | None:
    """The year administrators should confirm now, or None.

    Next year from 1 November (Beijing time) until it is confirmed; the current year too
    while it is unconfirmed and chinesecalendar has no data for it (its 调休 would be missing).
    """
    today = (now or clock.now()).astimezone(CHINA_TZ).date()
    candidates = []
    if not chinesecalendar_covers(today.year):
        candidates.append(today.year)
    if today.month >= WARN_FROM_MONTH:
        candidates.append(today.year + 1)
    if not candidates:
        return None
    confirmed = set(session.scalars(select(CalendarYear.year).where(
        CalendarYear.year.in_(candidates), CalendarYear.confirmed_at.is_not(None))))
    return next((year for year in candidates if year not in confirmed), None)


def default_year(session, now: datetime | None = None) -> int:
    """The year the calendar page opens on: the one to confirm, else next year from November, else this one."""
    today = (now or clock.now()).astimezone(CHINA_TZ).date()
    pending = year_needing_confirmation(session, now)
    if pending is not None:
        return pending
    return today.year + 1 if today.month >= WARN_FROM_MONTH else today.year
