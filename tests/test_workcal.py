from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from engine.store.calendar_models import CalendarOverride, CalendarYear, OfficialDay
from engine.workcal import (
    WorkCalendar,
    add_duration,
    is_working_duration,
    parse_duration,
    workday_end,
)

BJ = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def bj(y, m, d, hh=10, mm=0):
    """A Beijing wall-clock moment."""
    return datetime(y, m, d, hh, mm, tzinfo=BJ)


@pytest.fixture
def cal():
    return WorkCalendar()


# --- the library data the tests rely on -----------------------------------

def test_library_knows_national_day_2025_and_spring_festival_2026():
    for d in range(1, 9):
        assert chinese_calendar.is_holiday(date(2025, 10, d))
    assert chinese_calendar.is_workday(date(2025, 9, 28))  # Sunday, 调休
    assert chinese_calendar.is_workday(date(2025, 10, 11))  # Saturday, 调休
    for d in range(15, 24):
        assert chinese_calendar.is_holiday(date(2026, 2, d))
    assert chinese_calendar.is_workday(date(2026, 2, 14))  # Saturday, 调休
    assert chinese_calendar.is_workday(date(2026, 2, 28))  # Saturday, 调休


# --- is_workday ------------------------------------------------------------

def test_is_workday_national_day_2025(cal):
    assert cal.is_workday(date(2025, 9, 26))  # Friday
    assert not cal.is_workday(date(2025, 9, 27))  # Saturday
    assert cal.is_workday(date(2025, 9, 28))  # Sunday, adjusted working day
    assert not cal.is_workday(date(2025, 10, 1))  # Wednesday, holiday
    assert not cal.is_workday(date(2025, 10, 8))  # Wednesday, holiday
    assert cal.is_workday(date(2025, 10, 9))
    assert cal.is_workday(date(2025, 10, 11))  # Saturday, adjusted working day
    assert not cal.is_workday(date(2025, 10, 12))  # Sunday


def test_is_workday_of_datetime_uses_beijing_date(cal):
    # 2025-09-30 23:30 UTC is 2025-10-01 07:30 in Beijing: a holiday.
    assert not cal.is_workday(datetime(2025, 9, 30, 23, 30, tzinfo=UTC))
    assert cal.is_workday(datetime(2025, 9, 30, 15, 30, tzinfo=UTC))


def test_outside_library_range_falls_back_to_monday_friday(cal):
    # No library has data for 2101 (chinesecalendar ends in 2026, holidays in 2100); see test_workcal_2027.py.
    assert cal.is_workday(date(2101, 1, 7))  # Friday
    assert not cal.is_workday(date(2101, 1, 8))  # Saturday
    assert cal.is_workday(date(1949, 1, 3))  # Monday, before the data
    assert cal.add_workdays(bj(2101, 1, 7), 1) == bj(2101, 1, 10, 18).astimezone(UTC)


# --- add_workdays ----------------------------------------------------------

def test_add_workdays_across_national_day_2025(cal):
    start = bj(2025, 9, 26, 9, 15)  # Friday
    assert cal.add_workdays(start, 1) == bj(2025, 9, 28, 18)  # Sunday 调休, at the end of the working day
    assert cal.add_workdays(start, 3) == bj(2025, 9, 30, 18)
    assert cal.add_workdays(start, 4) == bj(2025, 10, 9, 18)  # after the holiday
    assert cal.add_workdays(start, 6) == bj(2025, 10, 11, 18)  # Saturday 调休
    assert cal.add_workdays(start, 7) == bj(2025, 10, 13, 18)


def test_add_workdays_returns_utc(cal):
    result = cal.add_workdays(bj(2025, 9, 30, 10), 1)
    assert result.tzinfo is UTC
    assert result == datetime(2025, 10, 9, 10, 0, tzinfo=UTC)  # 18:00 Beijing


def test_add_workdays_across_spring_festival_2026(cal):
    start = bj(2026, 2, 13, 17, 30)  # Friday before the holiday
    assert cal.add_workdays(start, 1) == bj(2026, 2, 14, 18)  # Saturday 调休
    assert cal.add_workdays(start, 2) == bj(2026, 2, 24, 18)  # first day after
    assert cal.add_workdays(start, 5) == bj(2026, 2, 27, 18)
    assert cal.add_workdays(start, 6) == bj(2026, 2, 28, 18)  # Saturday 调休
    assert cal.add_workdays(start, 7) == bj(2026, 3, 2, 18)


def test_start_on_non_working_day_counts_from_next_working_day(cal):
    # Oct 1 2025 is a holiday: moved to Oct 9 (next working day), then counted.
    assert cal.add_workdays(bj(2025, 10, 1), 0) == bj(2025, 10, 9, 18)
    assert cal.add_workdays(bj(2025, 10, 1), 1) == bj(2025, 10, 10, 18)
    # Ordinary weekend: Saturday -> Monday, + 1 -> Tuesday.
    assert cal.add_workdays(bj(2025, 11, 8), 1) == bj(2025, 11, 11, 18)
    # n = 0 on a working day is the end of that day; after it, the start itself.
    assert cal.add_workdays(bj(2025, 11, 7, 8, 1), 0) == bj(2025, 11, 7, 18)
    late = bj(2025, 11, 7, 19, 30)
    assert cal.add_workdays(late, 0) == late


def test_add_workdays_timezone_start_late_utc_is_next_day_in_beijing(cal):
    # Monday 29 Sept 23:30 UTC is Tuesday 30 Sept 07:30 in Beijing.
    start = datetime(2025, 9, 29, 23, 30, tzinfo=UTC)
    assert cal.add_workdays(start, 1) == datetime(2025, 10, 9, 10, 0, tzinfo=UTC)  # Oct 9 18:00 BJ
    # Friday 10 Oct 23:30 UTC is Saturday 11 Oct 07:30 Beijing, a 调休 working day.
    start = datetime(2025, 10, 10, 23, 30, tzinfo=UTC)
    assert cal.add_workdays(start, 1) == datetime(2025, 10, 13, 10, 0, tzinfo=UTC)  # Mon 13 18:00 BJ


def test_add_workdays_accepts_other_timezones(cal):
    start = datetime(2025, 9, 30, 4, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # 10:00 Beijing
    assert cal.add_workdays(start, 1) == bj(2025, 10, 9, 18)


# --- the end of the working day ---------------------------------------------------

def test_a_deadline_ends_at_18_00_whatever_the_minute_it_was_sent(cal):
    # Sent at 04:06, 09:00 or 17:59 on Monday 2 March 2026: due Wednesday 4 March 18:00 all the same.
    for hour, minute in ((4, 6), (9, 0), (17, 59), (18, 0), (23, 10)):
        assert cal.add_workdays(bj(2026, 3, 2, hour, minute), 2) == bj(2026, 3, 4, 18), (hour, minute)
    assert cal.add_duration(bj(2026, 3, 2, 4, 6), "P2WD") == bj(2026, 3, 4, 18)
    assert add_duration(bj(2026, 3, 2, 4, 6), "P15WD") == bj(2026, 3, 23, 18)


def test_the_end_of_the_working_day_is_configurable(monkeypatch):
    assert WorkCalendar(day_end=time(17, 30)).add_workdays(bj(2026, 3, 2, 9), 1) == bj(2026, 3, 3, 17, 30)
    monkeypatch.setenv("DUBAN_WORKDAY_END", "17:30")
    assert workday_end() == time(17, 30)
    assert WorkCalendar().add_duration(bj(2026, 3, 2, 9), "P2WD") == bj(2026, 3, 4, 17, 30)
    monkeypatch.setenv("DUBAN_WORKDAY_END", "")
    assert workday_end() == time(18, 0)
    for wrong in ("6pm", "24:00", "18", "18:60"):
        monkeypatch.setenv("DUBAN_WORKDAY_END", wrong)
        with pytest.raises(ValueError, match="DUBAN_WORKDAY_END"):
            WorkCalendar()


def test_add_workdays_rejects_naive_and_negative(cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_workdays(datetime(2025, 9, 30, 10), 1)
    with pytest.raises(ValueError, match=">= 0"):
        cal.add_workdays(bj(2025, 9, 30), -1)


# --- local overrides -------------------------------------------------------

def test_overrides_day_off_and_weekend_workday():
    cal = WorkCalendar({
        date(2025, 10, 9): False,  # local day off right after the holiday
        date(2025, 10, 12): True,  # Sunday declared a working day
    })
    assert not cal.is_workday(date(2025, 10, 9))
    assert cal.is_workday(date(2025, 10, 12))
    start = bj(2025, 9, 30)
    assert cal.add_workdays(start, 1) == bj(2025, 10, 10, 18)
    assert cal.add_workdays(start, 2) == bj(2025, 10, 11, 18)
    assert cal.add_workdays(start, 3) == bj(2025, 10, 12, 18)
    assert cal.add_workdays(start, 4) == bj(2025, 10, 13, 18)
    assert cal.workdays_between(start, bj(2025, 10, 13)) == 4


def test_override_can_cancel_an_adjusted_working_weekend():
    cal = WorkCalendar({date(2025, 9, 28): False})
    assert cal.add_workdays(bj(2025, 9, 26), 1) == bj(2025, 9, 29, 18)


def test_override_keys_must_be_dates():
    with pytest.raises(TypeError):
        WorkCalendar({datetime(2025, 10, 9, tzinfo=UTC): False})


def test_from_session_loads_overrides():
    engine = create_engine("sqlite://")
    CalendarOverride.metadata.create_all(engine, tables=[CalendarOverride.__table__, CalendarYear.__table__,
                                                       OfficialDay.__table__])
    with Session(engine) as session:
        session.add_all([
            CalendarOverride(day=date(2025, 10, 9), is_workday=False, note="local day off"),
            CalendarOverride(day=date(2025, 10, 12), is_workday=True, note="catch-up Sunday"),
        ])
        session.commit()
        cal = WorkCalendar.from_session(session)
    assert cal.overrides == {date(2025, 10, 9): False, date(2025, 10, 12): True}
    assert not cal.is_workday(date(2025, 10, 9))
    assert cal.is_workday(date(2025, 10, 12))


# --- workdays_between ------------------------------------------------------

def test_workdays_between_across_national_day(cal):
    assert cal.workdays_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert cal.workdays_between(date(2025, 9, 26), date(2025, 10, 13)) == 7
    assert cal.workdays_between(date(2025, 10, 9), date(2025, 10, 9)) == 0
    # Overdue: negative.
    assert cal.workdays_between(date(2025, 10, 13), date(2025, 9, 26)) == -7


def test_workdays_between_is_inverse_of_add_workdays_from_working_day(cal):
    start = bj(2026, 2, 13, 17, 30)
    for n in range(0, 12):
        assert cal.workdays_between(start, cal.add_workdays(start, n)) == n


def test_workdays_between_uses_beijing_dates(cal):
    # 23:30 UTC on Sept 30 is already the Oct 1 holiday in Beijing.
    a = datetime(2025, 9, 30, 23, 30, tzinfo=UTC)
    assert cal.workdays_between(a, bj(2025, 10, 9)) == 1
    assert cal.workdays_between(datetime(2025, 9, 29, 15, 0, tzinfo=UTC), bj(2025, 10, 9)) == 2


def test_workdays_between_rejects_naive(cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.workdays_between(datetime(2025, 9, 30), date(2025, 10, 9))


# --- durations -------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("P15WD", True),
    ("P2WDT4H", True),
    ("p0wd", True),
    (" P1WDT30M ", True),
    ("P3D", False),
    ("PT2H", False),
    ("P1M", False),
    ("P2W", False),
    ("P1Y2M10DT2H30M5S", False),
])
def test_is_working_duration(text, expected):
    assert is_working_duration(text) is expected


def test_parse_duration_fields():
    d = parse_duration("P2WDT4H30M")
    assert (d.workdays, d.hours, d.minutes, d.days) == (2, 4, 30, 0)
    assert parse_duration("PT1,5H").time_part == timedelta(minutes=90)
    assert parse_duration("P3D").workdays is None


def test_add_duration_working_days_across_national_day(cal):
    start = bj(2025, 9, 26)  # Friday
    assert cal.add_duration(start, "P15WD") == bj(2025, 10, 23, 18)
    assert add_duration(start, "P15WD") == bj(2025, 10, 23, 18)


def test_add_duration_working_days_then_hours(cal):
    # Sept 30 20:00 + 2 working days = the end of Oct 10 (18:00), + 4 h = Oct 10 22:00 Beijing.
    result = cal.add_duration(bj(2025, 9, 30, 20), "P2WDT4H")
    assert result == bj(2025, 10, 10, 22)
    assert result == datetime(2025, 10, 10, 14, 0, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_add_duration_uses_overrides():
    cal = WorkCalendar({date(2025, 10, 9): False})
    assert cal.add_duration(bj(2025, 9, 30), "P1WD") == bj(2025, 10, 10, 18)
    assert add_duration(bj(2025, 9, 30), "P1WD", cal) == bj(2025, 10, 10, 18)
    assert add_duration(bj(2025, 9, 30), "P1WD") == bj(2025, 10, 9, 18)


def test_add_duration_ordinary_iso(cal):
    start = bj(2025, 9, 30)
    assert cal.add_duration(start, "P3D") == bj(2025, 10, 3)  # holidays not skipped
    assert cal.add_duration(start, "PT2H") == bj(2025, 9, 30, 12)
    assert cal.add_duration(start, "P1W") == bj(2025, 10, 7)
    assert cal.add_duration(start, "P1DT1H30M") == bj(2025, 10, 1, 11, 30)
    assert cal.add_duration(start, "PT1.5H") == bj(2025, 9, 30, 11, 30)
    assert cal.add_duration(start, "PT0S") == start


def test_add_duration_calendar_months_clamp_to_month_end(cal):
    assert cal.add_duration(bj(2025, 1, 31), "P1M") == bj(2025, 2, 28)
    assert cal.add_duration(bj(2024, 1, 31), "P1M") == bj(2024, 2, 29)
    assert cal.add_duration(bj(2024, 2, 29), "P1Y") == bj(2025, 2, 28)
    assert cal.add_duration(bj(2025, 11, 30), "P3M") == bj(2026, 2, 28)
    assert cal.add_duration(bj(2025, 1, 15), "P1Y13M") == bj(2027, 2, 15)


def test_add_duration_month_uses_beijing_date(cal):
    # Jan 31 18:00 UTC is Feb 1 02:00 in Beijing: + 1 month is Mar 1 02:00 Beijing.
    start = datetime(2025, 1, 31, 18, 0, tzinfo=UTC)
    assert cal.add_duration(start, "P1M") == bj(2025, 3, 1, 2)


def test_add_duration_rejects_naive(cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_duration(datetime(2025, 9, 30, 10), "P1WD")


@pytest.mark.parametrize("text, message", [
    ("", "invalid duration ''"),
    ("P", "no components"),
    ("PT", "no components"),
    ("P1DT", "'T' must be followed"),
    ("15WD", "expected an ISO 8601 duration"),
    ("P15DW", "expected an ISO 8601 duration"),
    ("P15 WD", "expected an ISO 8601 duration"),
    ("PT4H2WD", "expected an ISO 8601 duration"),
    ("P1.5WD", "expected an ISO 8601 duration"),
    ("P1.5D", "expected an ISO 8601 duration"),
    ("P-1D", "expected an ISO 8601 duration"),
    ("P1D1D", "expected an ISO 8601 duration"),
    ("P1M2WD", "cannot be combined"),
    ("P1D2WD", "cannot be combined"),
    ("P1W2WD", "cannot be combined"),
])
def test_bad_duration_syntax_rejected(cal, text, message):
    with pytest.raises(ValueError, match=message) as exc:
        cal.add_duration(bj(2025, 9, 30), text)
    assert repr(text) in str(exc.value)
    with pytest.raises(ValueError):
        is_working_duration(text)


def test_non_string_duration_rejected():
    with pytest.raises(ValueError, match="must be a string"):
        parse_duration(15)
