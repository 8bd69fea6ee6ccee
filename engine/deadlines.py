"""Turning `camunda:dueDate` text into a due time.

Accepted: an ISO 8601 date-time (`2026-12-01T09:00:00+08:00`), an ISO duration
counted from the task's creation (`P3D`, `PT2H`), a working-day duration
(`P15WD`, ending at the close of its last working day: see engine.workcal), or an
expression (`${deadline}` or Python) whose value is any of those or a datetime.
"""
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine import clock, workcal
from engine.bpmn.parser import is_iso_literal


def _add_duration(start: datetime, text: str, calendar=None) -> datetime:
    if "WD" in text.upper():
        return workcal.add_duration(start, text, calendar)
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


def to_datetime(value, start: datetime, calendar=None) -> datetime | None:
    """Interpret a literal or evaluated due value relative to `start`."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value).strip()
    if text.upper().startswith("P"):
        return _add_duration(start, text, calendar)
    return TimerEventDefinition.get_datetime(text)


def resolve_due_at(text: str | None, start: datetime, evaluate, calendar=None) -> datetime | None:
    """`evaluate(expression)` evaluates an expression against the task's data."""
    if not text:
        return None
    value = text.strip() if is_iso_literal(text) else evaluate(text)
    return to_datetime(value, start, calendar)


def script_functions(calendar) -> dict:
    """Deadline helpers BPMN scripts and expressions may call."""

    def workdays_after(n, start=None) -> str:
        """ISO date-time of the end of the `n`-th working day after now (or after `start`): 18:00 Beijing
        by default (engine.workcal, DUBAN_WORKDAY_END)."""
        begin = to_datetime(start, clock.now()) if start else clock.now()
        return calendar.add_workdays(begin, int(n)).isoformat()

    def duration_due(text) -> str:
        """ISO date-time of now + an ISO or working-day duration (used for WD timers)."""
        return _add_duration(clock.now(), str(text), calendar).isoformat()

    def local_time(value) -> str:
        """An ISO date-time (or datetime) as officers read it: Beijing time, `2026-03-05 10:00`."""
        if not value:
            return ""
        moment = to_datetime(value, clock.now(), calendar)
        return moment.astimezone(workcal.CHINA_TZ).strftime("%Y-%m-%d %H:%M")

    return {"workdays_after": workdays_after, "duration_due": duration_due, "local_time": local_time}
