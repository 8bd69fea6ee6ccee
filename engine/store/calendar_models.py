"""Local working-day overrides for the deadline calendar (see engine.workcal).

The national calendar (weekends, public holidays, adjusted working weekends)
comes from the chinesecalendar library; this table only records the local
office's exceptions: a date declared a day off, or a weekend declared a
working day.
"""
from datetime import date

from sqlalchemy import Date, String
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
