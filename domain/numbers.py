"""Human-readable record numbers: XS-2026-000123 (线索), ZG-… (整改), DB-… (督办), PC-… (排查).

One counter row per prefix and year, incremented with an atomic upsert, so
concurrent registrations never get the same number (the row lock is held
until the transaction ends; a rolled-back transaction gives its number back).
"""
from datetime import datetime

from sqlalchemy import select, update

from domain.models import NumberCounter
from engine import clock
from engine.workcal import CHINA_TZ

LEAD_PREFIX = "XS"
RECTIFICATION_PREFIX = "ZG"
SUPERVISION_PREFIX = "DB"
INSPECTION_PREFIX = "PC"  # 排查 (domain.inspections)
RETURN_PREFIX = "YB"  # 月报表 (domain.returns)


def _upsert(session, key: str) -> int:
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        table = NumberCounter.__table__
        statement = insert(table).values(key=key, value=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key], set_={"value": table.c.value + 1}).returning(table.c.value)
        return session.execute(statement).scalar_one()
    # Other databases: lock the row, or create it.
    value = session.execute(select(NumberCounter.value).where(NumberCounter.key == key)
                            .with_for_update()).scalar()
    if value is None:
        session.add(NumberCounter(key=key, value=1))
        session.flush()
        return 1
    session.execute(update(NumberCounter).where(NumberCounter.key == key).values(value=value + 1))
    return value + 1


def next_serial(session, key: str) -> int:
    """The next value of the counter `key` (at most 40 characters), drawn in the caller's
    transaction: 1, 2, 3 … without gaps or duplicates (official documents' 文号 use it)."""
    return _upsert(session, key)


def next_number(session, prefix: str, at: datetime | None = None) -> str:
    """The next number for `prefix` in the (Beijing) year of `at` (default: now)."""
    year = (at or clock.now()).astimezone(CHINA_TZ).year
    key = f"{prefix}-{year}"
    return f"{key}-{_upsert(session, key):06d}"
