"""Turning `camunda:dueDate` text into a due time, within sane bounds.

Accepted: an ISO 8601 date-time (`2026-12-01T09:00:00+08:00`), an ISO duration
counted from the task's creation (`P3D`, `PT2H`), a working-day duration
(`P15WD`, ending at the close of its last working day: see engine.workcal), or an
expression (`${deadline}` or Python) whose value is any of those or a datetime.

Bounds: a duration of more than MAX_WORKDAYS working days, or more than
MAX_SPAN of calendar time, is refused before anything is counted (counting
99,999,999 working days takes minutes); so is a due time further than MAX_SPAN
ahead of the moment it is counted from. The deploy checks (engine.bpmn.checks) and
the run time use the same functions.
"""
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine import clock, workcal
from engine.bpmn.parser import is_iso_literal

# A date-time written without an offset (`2026-03-04T18:00:00`, as the properties panel suggests)
# is Beijing time wherever the server runs: SpiffWorkflow reads it in the machine's zone.
spiff_timer.LOCALTZ = workcal.CHINA_TZ

MAX_WORKDAYS = 1000
# A little more than 1,000 working days come to in calendar time (about four years and a month).
MAX_SPAN = timedelta(days=1500)

_SECONDS = {"years": 365.25 * 86400, "months": 365.25 / 12 * 86400, "weeks": 7 * 86400, "days": 86400,
            "hours": 3600, "minutes": 60, "seconds": 1}


class DeadlineError(ValueError):
    """A due time or duration that is not one, or lies beyond the bounds."""


def check_duration(text: str) -> None:
    """Raise DeadlineError unless `text` is a duration within the bounds (without counting it)."""
    text = str(text).strip()
    try:
        if "WD" in text.upper():
            duration = workcal.parse_duration(text)
            if duration.workdays > MAX_WORKDAYS:
                raise DeadlineError(f"{text} is more than {MAX_WORKDAYS} working days")
            parts = {"hours": duration.hours, "minutes": duration.minutes, "seconds": duration.seconds}
        else:
            parts = TimerEventDefinition.parse_iso_duration(text)
    except DeadlineError:
        raise
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow's parser raises a bare Exception
        raise DeadlineError(f"{text!r} is not a duration (P3D, PT2H, P15WD): {err}") from None
    seconds = sum(float(value) * _SECONDS[name] for name, value in parts.items())
    if seconds > MAX_SPAN.total_seconds():
        raise DeadlineError(f"{text} is longer than {MAX_SPAN.days} days")


def _within_bounds(moment: datetime, start: datetime, what: str) -> datetime:
    # Only the future is bounded: a due time long past simply falls due at once.
    if moment - start > MAX_SPAN:
        raise DeadlineError(f"{what} {moment.isoformat()} is more than {MAX_SPAN.days} days from "
                            f"{start.isoformat()}")
    return moment


def _add_duration(start: datetime, text: str, calendar=None) -> datetime:
    check_duration(text)
    if "WD" in text.upper():
        return workcal.add_duration(start, text, calendar)
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


def to_datetime(value, start: datetime, calendar=None) -> datetime | None:
    """Interpret a literal or evaluated due value relative to `start`."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=workcal.CHINA_TZ)
    text = str(value).strip()
    if text.upper().startswith("P"):
        return _add_duration(start, text, calendar)
    return TimerEventDefinition.get_datetime(text)


def due_from(value, start: datetime, calendar=None, what: str = "due date") -> datetime | None:
    """`to_datetime` for a due time: DeadlineError (naming the value) unless it is a date or duration
    within the bounds."""
    if not isinstance(value, (str, datetime)) and value is not None:
        raise DeadlineError(f"{what} is {value!r}, not a date-time or a duration")
    try:
        moment = to_datetime(value, start, calendar)
    except DeadlineError:
        raise
    except (ValueError, TypeError, OverflowError) as err:
        raise DeadlineError(f"{what} {value!r} is not a date-time or a duration: {err}") from None
    if moment is None or (isinstance(value, str) and value.strip().upper().startswith("P")):
        return moment  # a duration was checked before it was counted
    return _within_bounds(moment, start, what)


def resolve_due_at(text: str | None, start: datetime, evaluate, calendar=None) -> datetime | None:
    """`evaluate(expression)` evaluates an expression against the task's data."""
    if not text:
        return None
    value = text.strip() if is_iso_literal(text) else evaluate(text)
    return due_from(value, start, calendar)


def check_workdays(n) -> int:
    """`n` as a count of working days, refused (DeadlineError) outside 0..MAX_WORKDAYS."""
    if isinstance(n, bool) or not isinstance(n, (int, float, str)):
        raise DeadlineError(f"{n!r} is not a number of working days")
    try:
        count = int(n)
    except ValueError:
        raise DeadlineError(f"{n!r} is not a number of working days") from None
    if not 0 <= count <= MAX_WORKDAYS:
        raise DeadlineError(f"{count} working days is outside 0 to {MAX_WORKDAYS}")
    return count


def script_functions(calendar) -> dict:
    """Deadline helpers BPMN scripts and expressions may call."""

    def workdays_after(n, start=None) -> str:
        """ISO date-time of the end of the `n`-th working day after now (or after `start`): 18:00 Beijing
        by default (engine.workcal, DUBAN_WORKDAY_END)."""
        count = check_workdays(n)
        begin = to_datetime(start, clock.now()) if start else clock.now()
        return calendar.add_workdays(begin, count).isoformat()

    def duration_due(text) -> str:
        """ISO date-time of now + an ISO or working-day duration (used for WD timers)."""
        return _add_duration(clock.now(), str(text), calendar).isoformat()

    def date_due(value) -> str:
        """A timer's date (an ISO date-time, a datetime or a duration from now) as ISO text, within bounds."""
        moment = due_from(value, clock.now(), calendar, what="timer date")
        if moment is None:
            raise DeadlineError("timer date is empty")
        return moment.isoformat()

    def local_time(value) -> str:
        """An ISO date-time (or datetime) as officers read it: Beijing time, `2026-03-05 10:00`."""
        if not value:
            return ""
        moment = to_datetime(value, clock.now(), calendar)
        return moment.astimezone(workcal.CHINA_TZ).strftime("%Y-%m-%d %H:%M")

    return {"workdays_after": workdays_after, "duration_due": duration_due, "date_due": date_due,
            "local_time": local_time}
