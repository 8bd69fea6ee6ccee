"""Where a year's working days come from (engine.workcal's layers 2-5).

A year's calendar is a `YearCalendar`: its source and its marked days, i.e. the
holidays and the make-up working days (调休); any other day is a working day
from Monday to Friday. The libraries' years are worked out once per process
(their data does not change while it runs); an entered official schedule is
built by the calendar that loaded it.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import chinese_calendar

logger = logging.getLogger("engine.workcal")

# Sources, best first. LOCAL marks the local office's overrides (engine.workcal).
LOCAL, OFFICIAL, CHINESECALENDAR, HOLIDAYS, WEEKDAYS = "local", "official", "chinesecalendar", "holidays", "weekdays"
# Sources that know the 调休 working weekends.
KNOWS_MAKEUP_DAYS = frozenset({OFFICIAL, CHINESECALENDAR})

_CHINESECALENDAR_YEARS = (min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year)


@dataclass(frozen=True)
class MarkedDay:
    """A holiday (is_workday False) or a make-up working day (True), and who says so."""

    day: date
    is_workday: bool
    name: str
    source: str
    name_en: str = ""


@dataclass(frozen=True)
class YearCalendar:
    year: int
    source: str
    days: Mapping[date, MarkedDay] = field(default_factory=dict)

    def is_workday(self, d: date) -> bool:
        marked = self.days.get(d)
        return marked.is_workday if marked is not None else d.weekday() < 5

    @property
    def knows_makeup_days(self) -> bool:
        return self.source in KNOWS_MAKEUP_DAYS


def official_year(year: int, days: Mapping[date, tuple[bool, str]]) -> YearCalendar:
    """An administrator's schedule {date: (is_workday, name)}: it alone decides the year."""
    marked = {}
    for day, (is_workday, name) in days.items():
        if day.year != year:
            raise ValueError(f"{day} is not in {year}")
        marked[day] = MarkedDay(day, bool(is_workday), name or "", OFFICIAL)
    return YearCalendar(year, OFFICIAL, marked)


def chinesecalendar_covers(year: int) -> bool:
    return _CHINESECALENDAR_YEARS[0] <= year <= _CHINESECALENDAR_YEARS[1]


@functools.lru_cache(maxsize=None)
def library_year(year: int) -> YearCalendar:
    """The best library's calendar of `year`: chinesecalendar, else holidays, else Monday-Friday."""
    if chinesecalendar_covers(year):
        return _from_chinesecalendar(year)
    found = _from_holidays(year)
    if found is not None:
        logger.warning(
            "chinesecalendar has no data for %s; using the holidays package's China calendar, which has the "
            "public holidays but no adjusted working weekends (调休): enter the State Council's schedule for %s "
            "at /admin/calendar", year, year)
        return found
    logger.warning(
        "no holiday data for %s; treating Monday-Friday as working days (enter the State Council's schedule "
        "for %s at /admin/calendar)", year, year)
    return YearCalendar(year, WEEKDAYS)


def forget_library_years() -> None:
    """Work the libraries' years out again (and warn again): for tests."""
    library_year.cache_clear()


def _from_chinesecalendar(year: int) -> YearCalendar:
    marked = {}
    for table, is_workday in ((chinese_calendar.holidays, False), (chinese_calendar.workdays, True)):
        for day, english in table.items():
            if day.year == year:
                holiday = chinese_calendar.Holiday(english)
                marked[day] = MarkedDay(day, is_workday, holiday.chinese, CHINESECALENDAR, english)
    return YearCalendar(year, CHINESECALENDAR, dict(sorted(marked.items())))


def _from_holidays(year: int) -> YearCalendar | None:
    import holidays  # imported when first needed: it is only the fallback

    if not holidays.China.start_year <= year <= holidays.China.end_year:
        return None
    chinese = holidays.China(years=year, language="zh_CN")
    english = holidays.China(years=year, language="en_US")
    if not chinese:
        return None
    marked = {day: MarkedDay(day, False, name, HOLIDAYS, english.get(day, ""))
              for day, name in sorted(chinese.items())}
    return YearCalendar(year, HOLIDAYS, marked)
