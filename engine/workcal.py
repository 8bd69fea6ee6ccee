"""Working-day (工作日) calendar and deadline arithmetic.

Campaign deadlines are counted in working days in China local time
(Asia/Shanghai). Whether a date is a working day comes from the first of these
layers that has an answer:

1. the local office's overrides (table ``calendar_override``: a date declared
   a working day or a day off);
2. the State Council's schedule for the date's year as an administrator
   entered it (tables ``calendar_year``/``calendar_official_day``, page
   /admin/calendar): holidays and 调休 working weekends, Monday-Friday
   otherwise;
3. the ``chinesecalendar`` library for the years it covers (2004-2026 in
   version 1.11): holidays and adjusted working weekends (调休);
4. the ``holidays`` package's China calendar (years 1950-2100): public
   holidays only, it knows no 调休 working weekends, so a warning is logged
   once per year it is used for;
5. plain Monday to Friday, with a warning once per year.

A year's answer from layers 2-5 is worked out once and kept (per calendar for
an entered schedule, per process for the libraries): deadline arithmetic
looks days up in a dict.

All functions take and return timezone-aware datetimes; results are in UTC.
Naive datetimes are rejected with ValueError.

Adding working days
-------------------
A deadline counted in working days is read as a date ("12月20日前"): it ends
at the close of that working day, not at the minute the work was sent.
``add_workdays(start, n)`` converts ``start`` to Beijing time and returns the
end of the working day (18:00 Beijing, or ``DUBAN_WORKDAY_END``, e.g.
``17:30``) of the n-th working day after the start's local date. If the start
falls on a non-working day (weekend, holiday, local day off), it is first
moved to the next working day and the n working days are counted from there.
So with n = 1:

- Friday 10:00 -> Monday 18:00 (next working day);
- Saturday 10:00 -> Tuesday 18:00 (received "on Monday", one full working
  day later);
- n = 0 is the end of the start's working day (of the next working day on a
  non-working day); a start already past the end of its working day is
  returned unchanged.

``workdays_between(a, b)`` counts the working days d with
local_date(a) < d <= local_date(b): the working days remaining until b (for
"剩N天" countdowns). It is negative when b is before a (overdue). When the
start is a working day, ``workdays_between(start, add_workdays(start, n)) == n``;
from a non-working day it also counts the first working day the start would
be moved onto, so the countdown does not change over a weekend.

Duration syntax (BPMN timer durations)
--------------------------------------
Durations are ISO 8601 durations, extended with a working-day designator
``WD``::

    P[nY][nM][nW][nD][T[nH][nM][nS]]    ordinary ISO 8601 duration
    P<n>WD[T[nH][nM][nS]]               working-day duration

Examples:

- ``P15WD``    15 working days
- ``P2WDT4H``  2 working days, then 4 hours
- ``P3D``      3 calendar days (holidays are not skipped)
- ``PT2H30M``  2 hours 30 minutes
- ``P1M``      1 calendar month
- ``P1Y2M10DT2H30M``, ``P2W``, ``PT1.5H`` (a fraction with ``.`` or ``,``
  is allowed on hours, minutes and seconds only)

Rules:

- Letters may be upper or lower case; surrounding whitespace is ignored.
- Components must appear in the order shown; each at most once; at least one
  component is required, and ``T`` must be followed by a time component.
- ``WD`` cannot be combined with ``Y``, ``M``, ``W`` or ``D`` (mixing working
  days and calendar days has no clear meaning); it can be followed by a time
  part.
- Negative durations are not supported.

Evaluation, in Beijing time:

- ``Y`` and ``M`` are calendar arithmetic on the local date, clamped to the
  end of the month: 31 January + ``P1M`` = 28 (or 29) February;
  29 February 2024 + ``P1Y`` = 28 February 2025. (SpiffWorkflow's own timer
  parser instead adds the month's length in days; use this module's
  ``add_duration`` when the exact calendar date matters.)
- ``W`` and ``D`` add 7 and 1 calendar days, keeping the local time of day.
- ``WD`` adds working days exactly as ``add_workdays`` (ending at the end of
  the working day; the rule for a start on a non-working day included).
- The time part (``H``, ``M``, ``S``) is then added as elapsed time; it is not
  working time: ``P1WDT4H`` from Friday 10:00 ends on Monday 22:00.
"""
from __future__ import annotations

import os
import re
from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from engine.calendar_sources import LOCAL, MarkedDay, YearCalendar, library_year, official_year

CHINA_TZ = ZoneInfo("Asia/Shanghai")
WORKDAY_END_ENV = "DUBAN_WORKDAY_END"
DEFAULT_WORKDAY_END = time(18, 0)


def workday_end(text: str | None = None) -> time:
    """When a working day's deadlines end, Beijing time: `text` or DUBAN_WORKDAY_END (HH:MM), else 18:00."""
    text = os.environ.get(WORKDAY_END_ENV) if text is None else text
    if not text or not text.strip():
        return DEFAULT_WORKDAY_END
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if match is None:
        raise ValueError(f"{WORKDAY_END_ENV} must be a time of day such as 18:00 or 17:30, got {text!r}")
    return time(int(match[1]), int(match[2]))


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


def _local_date(value: date | datetime, name: str) -> date:
    """The Beijing date of an aware datetime, or a plain date unchanged."""
    if isinstance(value, datetime):
        _require_aware(value, name)
        return value.astimezone(CHINA_TZ).date()
    return value


def _at_local_time(day: date, clock: time) -> datetime:
    """Beijing wall-clock `clock` on `day`, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=CHINA_TZ).astimezone(timezone.utc)


# --------------------------------------------------------------------------
# Durations

_NUM = r"\d+"
_FRAC = r"\d+(?:[.,]\d+)?"
_DURATION_RE = re.compile(
    rf"P(?:(?P<years>{_NUM})Y)?(?:(?P<months>{_NUM})M)?(?:(?P<weeks>{_NUM})W)?"
    rf"(?:(?P<days>{_NUM})D)?(?:(?P<workdays>{_NUM})WD)?"
    rf"(?:(?P<t>T)(?:(?P<hours>{_FRAC})H)?(?:(?P<minutes>{_FRAC})M)?(?:(?P<seconds>{_FRAC})S)?)?"
)
_SYNTAX_HINT = (
    "expected an ISO 8601 duration such as P3D, PT2H, P1M, P1DT12H, "
    "or a working-day duration such as P15WD, P2WDT4H"
)


@dataclass(frozen=True)
class Duration:
    """A parsed duration. `workdays` is None for an ordinary ISO 8601 duration."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    workdays: int | None = None
    hours: float = 0
    minutes: float = 0
    seconds: float = 0

    @property
    def is_working(self) -> bool:
        return self.workdays is not None

    @property
    def time_part(self) -> timedelta:
        return timedelta(hours=self.hours, minutes=self.minutes, seconds=self.seconds)


def parse_duration(text: str) -> Duration:
    """Parse a duration (see the module docstring); ValueError if invalid."""
    if not isinstance(text, str):
        raise ValueError(f"duration must be a string, got {type(text).__name__}")
    cleaned = text.strip().upper()
    m = _DURATION_RE.fullmatch(cleaned)
    if m is None:
        raise ValueError(f"invalid duration {text!r}: {_SYNTAX_HINT}")
    parts = {k: v for k, v in m.groupdict().items() if v is not None and k != "t"}
    if not parts:
        raise ValueError(f"invalid duration {text!r}: no components; {_SYNTAX_HINT}")
    time_keys = {"hours", "minutes", "seconds"}
    if m.group("t") and not time_keys & parts.keys():
        raise ValueError(f"invalid duration {text!r}: 'T' must be followed by hours, minutes or seconds")
    if "workdays" in parts and {"years", "months", "weeks", "days"} & parts.keys():
        raise ValueError(
            f"invalid duration {text!r}: working days (WD) cannot be combined with "
            "years, months, weeks or days; use e.g. P15WD or P2WDT4H"
        )
    values = {
        k: float(v.replace(",", ".")) if k in time_keys else int(v)
        for k, v in parts.items()
    }
    return Duration(**values)


def is_working_duration(text: str) -> bool:
    """True if `text` is a working-day duration (``P15WD``, ``P2WDT4H``),
    False if it is an ordinary ISO 8601 duration; ValueError if it is neither."""
    return parse_duration(text).is_working


def _add_months(day: date, months: int) -> date:
    """Calendar month arithmetic, clamping the day to the end of the month."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


# --------------------------------------------------------------------------
# Calendar


class WorkCalendar:
    """Working days in China (the layers of the module docstring); deadlines counted in working
    days end at `day_end` (Beijing time; default DUBAN_WORKDAY_END or 18:00).

    `overrides` ``{date: is_workday}`` are the local office's exceptions; `official`
    ``{year: {date: (is_workday, name)}}`` the State Council's schedules administrators entered
    (a year present with no days is plain Monday-Friday).
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None, day_end: time | None = None,
                 official: Mapping[int, Mapping[date, tuple[bool, str]]] | None = None,
                 override_notes: Mapping[date, str] | None = None):
        self.day_end = workday_end() if day_end is None else day_end
        self.overrides: dict[date, bool] = {}
        for day, is_workday in (overrides or {}).items():
            if isinstance(day, datetime):
                raise TypeError(f"override keys must be dates, not datetimes: {day!r}")
            self.overrides[day] = bool(is_workday)
        self.override_notes = dict(override_notes or {})
        self._official = {year: official_year(year, days) for year, days in (official or {}).items()}
        self._years: dict[int, YearCalendar] = {}
        self._known: dict[date, bool] = {}  # countdowns ask about the same days on every page

    @classmethod
    def from_session(cls, session) -> WorkCalendar:
        """Build a calendar with the local overrides and the entered official schedules."""
        from sqlalchemy import select

        from engine.store.calendar_models import CalendarOverride, CalendarYear, OfficialDay

        overrides, notes = {}, {}
        for day, is_workday, note in session.execute(
                select(CalendarOverride.day, CalendarOverride.is_workday, CalendarOverride.note)):
            overrides[day], notes[day] = is_workday, note or ""
        official: dict[int, dict[date, tuple[bool, str]]] = {
            year: {} for year in session.scalars(select(CalendarYear.year).where(CalendarYear.entered_at.is_not(None)))}
        for year, day, is_workday, name in session.execute(
                select(OfficialDay.year, OfficialDay.day, OfficialDay.is_workday, OfficialDay.name)):
            if year in official:
                official[year][day] = (is_workday, name)
        return cls(overrides, official=official, override_notes=notes)

    def year(self, year: int) -> YearCalendar:
        """`year`'s calendar without the local overrides: the entered schedule, else the libraries'."""
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = self._official.get(year) or library_year(year)
        return found

    def marked_days(self, year: int) -> list[MarkedDay]:
        """The year's holidays and make-up working days as deadlines count them, local overrides included."""
        days = dict(self.year(year).days)
        for day, is_workday in self.overrides.items():
            if day.year == year:
                days[day] = MarkedDay(day, is_workday, self.override_notes.get(day, ""), LOCAL)
        return [days[day] for day in sorted(days)]

    def is_workday(self, d: date | datetime) -> bool:
        """Whether a date (or the Beijing date of an aware datetime) is a working day."""
        d = _local_date(d, "d")
        if d in self.overrides:
            return self.overrides[d]
        known = self._known.get(d)
        if known is None:
            known = self._known[d] = self.year(d.year).is_workday(d)
        return known

    def next_workday(self, d: date, include_self: bool = True) -> date:
        """The first working day on or after `d` (strictly after if not include_self)."""
        if not include_self:
            d += timedelta(days=1)
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    def add_workdays(self, start: datetime, n: int) -> datetime:
        """The end of the n-th working day after `start`'s date (`day_end`, Beijing time).

        A start on a non-working day is first moved to the next working day; with n = 0 a
        start after the end of its working day is returned as it is. Returns aware UTC.
        """
        _require_aware(start, "start")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        local = start.astimezone(CHINA_TZ)
        day = self.next_workday(local.date())
        for _ in range(n):
            day = self.next_workday(day, include_self=False)
        return max(_at_local_time(day, self.day_end), start.astimezone(timezone.utc))

    def workdays_between(self, a: date | datetime, b: date | datetime) -> int:
        """Working days d with date(a) < d <= date(b), in Beijing dates.

        Negative (the count from b to a) when b is before a.
        """
        start, end = _local_date(a, "a"), _local_date(b, "b")
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        count = 0
        day = start + timedelta(days=1)
        while day <= end:
            count += self.is_workday(day)
            day += timedelta(days=1)
        return sign * count

    def add_duration(self, start: datetime, text: str) -> datetime:
        """`start` plus a duration (see the module docstring), as aware UTC."""
        _require_aware(start, "start")
        duration = parse_duration(text)
        if duration.is_working:
            moment = self.add_workdays(start, duration.workdays)
        else:
            local = start.astimezone(CHINA_TZ)
            day = _add_months(local.date(), duration.years * 12 + duration.months)
            day += timedelta(days=duration.weeks * 7 + duration.days)
            if day == local.date():
                moment = start
            else:
                moment = _at_local_time(day, local.time())
        return (moment + duration.time_part).astimezone(timezone.utc)


def add_duration(start: datetime, text: str, calendar: WorkCalendar | None = None) -> datetime:
    """`start` plus a duration. Without `calendar`, working days follow the
    national calendar only (no local overrides)."""
    return (calendar or WorkCalendar()).add_duration(start, text)
