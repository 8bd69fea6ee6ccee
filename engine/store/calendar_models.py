"""Tables of the working-day calendar (see engine.workcal).

- ``calendar_override``: the local office's exceptions (a date declared a day
  off, or a weekend declared a working day); they win over everything.
- ``calendar_year`` and ``calendar_official_day``: the State Council's holiday
  schedule for a year (放假安排: holidays and 调休 working weekends) as an
  administrator entered it. Once entered it replaces the libraries for that
  year; "confirmed" records that an administrator checked the year's calendar
  against the published notice.
"""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base


class CalendarOverride(Base):
    __tablename__ = "calendar_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(255), default="")

    def __repr__(self) -> str:
        kind = "workday" if self.is_workday else "day off"
        return f"<CalendarOverride {self.day} {kind} {self.note!r}>"


class CalendarYear(Base):
    """One year's official schedule: whether one is entered, and whether the year is confirmed."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Set while an official schedule is entered (its days may be none: plain Monday-Friday).
    entered_at: Mapped[datetime | None]
    entered_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(200))

    @property
    def entered(self) -> bool:
        return self.entered_at is not None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class OfficialDay(Base):
    """A day of an entered schedule: a holiday (is_workday False) or a make-up working day (True)."""

    __tablename__ = "calendar_official_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_year.year"), index=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool]
    name: Mapped[str] = mapped_column(String(100), default="")

    def __repr__(self) -> str:
        kind = "workday" if self.is_workday else "holiday"
        return f"<OfficialDay {self.day} {kind} {self.name!r}>"
