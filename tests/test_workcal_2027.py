"""Working days in years chinesecalendar 1.11 does not know (2027 on): the holidays package's
China calendar, an administrator's entered State Council schedule over both libraries, and
Monday-Friday with a warning where no library has data."""
import logging
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from engine import calendar_sources
from engine.workcal import WorkCalendar

BJ = ZoneInfo("Asia/Shanghai")
SPRING_FESTIVAL_2027 = [date(2027, 2, d) for d in range(5, 11)]  # Fri 5 .. Wed 10 February (除夕 .. 初六)


def bj(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=BJ)


def test_a_15_working_day_deadline_from_late_january_2027_skips_the_spring_festival():
    cal = WorkCalendar()
    for day in SPRING_FESTIVAL_2027:
        assert not cal.is_workday(day), day
    # Mon 25 Jan: 26-29 Jan, 1-4 Feb (8), then 11, 12 Feb (10) and 15-19 Feb (15) -- not Mon 15 Feb.
    assert cal.add_workdays(bj(2027, 1, 25), 15) == bj(2027, 2, 19, 18).astimezone(timezone.utc)
    assert cal.add_duration(bj(2027, 1, 25), "P15WD") == bj(2027, 2, 19, 18).astimezone(timezone.utc)
    assert not cal.is_workday(date(2027, 1, 1))  # New Year's Day, a Friday
    assert cal.year(2027).source == calendar_sources.HOLIDAYS
    assert not cal.year(2027).knows_makeup_days


def test_an_entered_schedule_overrides_both_libraries():
    official = {2027: {
        **{day: (False, "春节") for day in SPRING_FESTIVAL_2027},
        date(2027, 2, 11): (False, "春节"),       # one more holiday than the holidays package says
        date(2027, 2, 20): (True, "春节调休"),     # a make-up working Saturday
    }}
    cal = WorkCalendar(official=official)
    assert not cal.is_workday(date(2027, 2, 11))
    assert cal.is_workday(date(2027, 2, 20))
    assert cal.is_workday(date(2027, 4, 5))  # the libraries' Tomb-Sweeping Day: not in this schedule
    # 26-29 Jan, 1-4 Feb (8), 12 Feb (9), 15-19 Feb (14), Sat 20 Feb (15).
    assert cal.add_workdays(bj(2027, 1, 25), 15) == bj(2027, 2, 20, 18).astimezone(timezone.utc)
    marked = {m.day: (m.is_workday, m.source) for m in cal.marked_days(2027)}
    assert marked[date(2027, 2, 20)] == (True, calendar_sources.OFFICIAL)
    # A year chinesecalendar covers gives way to an entered schedule too (here: no holidays at all).
    cal_2026 = WorkCalendar(official={2026: {date(2026, 2, 14): (False, "")}})
    assert cal_2026.is_workday(date(2026, 2, 16))  # chinesecalendar: Spring Festival holiday
    assert not cal_2026.is_workday(date(2026, 2, 14))  # chinesecalendar: a 调休 working Saturday
    # Local overrides still come first.
    cal_local = WorkCalendar({date(2027, 2, 20): False}, official=official)
    assert not cal_local.is_workday(date(2027, 2, 20))


def test_a_year_without_data_falls_back_to_monday_friday_with_a_warning(caplog):
    calendar_sources.forget_library_years()
    with caplog.at_level(logging.WARNING, logger="engine.workcal"):
        cal = WorkCalendar()
        assert cal.add_workdays(bj(2101, 1, 7), 1) == bj(2101, 1, 10, 18).astimezone(timezone.utc)  # Fri -> Mon
        assert cal.is_workday(date(2101, 1, 3))
    assert cal.year(2101).source == calendar_sources.WEEKDAYS
    assert [r.getMessage() for r in caplog.records if "2101" in r.getMessage()] == [
        "no holiday data for 2101; treating Monday-Friday as working days (enter the State Council's schedule "
        "for 2101 at /admin/calendar)"]


def test_the_holidays_fallback_warns_once_per_year(caplog):
    calendar_sources.forget_library_years()
    with caplog.at_level(logging.WARNING, logger="engine.workcal"):
        for _ in range(3):
            WorkCalendar().is_workday(date(2027, 2, 8))
    assert sum("2027" in r.getMessage() and "调休" in r.getMessage() for r in caplog.records) == 1


def test_an_entered_day_must_be_in_its_year():
    with pytest.raises(ValueError):
        WorkCalendar(official={2027: {date(2026, 12, 31): (False, "")}})
