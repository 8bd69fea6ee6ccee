"""The one source of "now" for all deadline logic.

Tests install a `ManualClock` and move it instead of sleeping. SpiffWorkflow's
timer module calls `datetime.now()` directly, so `install()` swaps the name
`datetime` in that module for a subclass whose `now()` reads our clock.
"""
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None):
        start = start or datetime.now(timezone.utc)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    __call__ = now  # usable wherever a `now()` callable is expected

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(timezone.utc)

    def advance(self, delta: timedelta | None = None, **kwargs) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


_current = SystemClock()


def now() -> datetime:
    """Aware UTC now from the installed clock."""
    return _current.now()


def current():
    return _current


def install(clock) -> None:
    """Make `clock` the source of now for Duban and SpiffWorkflow's timers."""
    global _current
    _current = clock


class _DatetimeMeta(type):
    # Spiff checks isinstance(value, datetime) on values built elsewhere.
    def __instancecheck__(cls, obj):
        return isinstance(obj, datetime)


class _ClockedDatetime(datetime, metaclass=_DatetimeMeta):
    @classmethod
    def now(cls, tz=None):
        moment = _current.now()
        return moment.astimezone(tz) if tz is not None else moment


_spiff_timer.datetime = _ClockedDatetime
