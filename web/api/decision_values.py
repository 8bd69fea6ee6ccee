"""A decision's inputs and outputs as JSON values.

Output cells are FEEL literals (engine.dmn.feel): besides text, numbers and booleans they may be
dates, dates and times (Beijing time, without offset) and durations, and an input read as a date
is one too; JSON has none of these, so they travel as ISO 8601 text.
"""
from datetime import date, datetime, timedelta
from decimal import Decimal


def plain(value):
    """`value` with every date, time, duration and Decimal in it made JSON."""
    if isinstance(value, dict):
        return {str(name): plain(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, (datetime, date)):  # datetime first would not matter: both have isoformat()
        return value.isoformat()
    if isinstance(value, timedelta):
        return iso_duration(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def iso_duration(span: timedelta) -> str:
    """`P1DT2H30M`, as FEEL's duration("...") reads it back; `-P1D` for a negative span."""
    sign = "-" if span < timedelta(0) else ""
    span = abs(span)
    hours, rest = divmod(span.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    seconds += span.microseconds / 1_000_000
    day_part = f"{span.days}D" if span.days else ""
    time_part = "".join(f"{amount:g}{unit}" for amount, unit in ((hours, "H"), (minutes, "M"), (seconds, "S"))
                        if amount)
    if not day_part and not time_part:
        return "PT0S"
    return f"{sign}P{day_part}" + (f"T{time_part}" if time_part else "")
