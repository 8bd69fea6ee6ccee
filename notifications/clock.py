"""Injectable time source.

All notification logic asks a `Clock` for the time instead of reading the
system clock, so tests can move time forward without sleeping.
"""
from datetime import datetime, timezone
from typing import Callable

# The one injectable clock of Duban: notifications move with the engine's time.
from engine.clock import ManualClock  # noqa: F401  (re-exported)
from engine.clock import now as system_clock  # noqa: F401

Clock = Callable[[], datetime]


def read_clock(clock: Clock) -> datetime:
    """Call `clock` and insist on an aware datetime, normalised to UTC.

    A naive datetime would be silently misread as local time by some drivers,
    so it is rejected here rather than stored.
    """
    value = clock()
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("clock returned a naive datetime; an aware UTC datetime is required")
    return value.astimezone(timezone.utc)
