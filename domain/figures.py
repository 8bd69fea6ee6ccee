"""The SQL behind the campaign's figures, shared by the dashboard (web.reports) and the
monthly returns (domain.returns), so that a figure reads the same in both.

Every source takes a `Scope` (the units whose records count), a `Period` (Beijing dates,
both included) and `now`, and gives a SELECT of (id, key[, amount]) per record it counts;
web.reports documents each figure. No Flask here.
"""
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, literal, or_, select, true, union, union_all

from domain.models import Disposal, Lead, RectificationItem, RiskAssessment, Unit

BEIJING = ZoneInfo("Asia/Shanghai")
ALL_UNITS = None  # as web.access.ALL_UNITS: no unit restriction
NO_UNIT = "none"  # key of leads not yet dispatched to a unit
ACCEPTED_STATUSES = ("accepted", "closed")
AT_RISK_GRADES = ("red", "orange", "yellow")  # 有风险隐患的机构


# -- scope and period -------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """The units whose records count: a set of unit codes, or ALL_UNITS (None)."""

    units: frozenset | None = ALL_UNITS
    # Filled in by `resolved`: the scope's unit codes, and every unit code, as literal lists
    # (index seeks on task_candidate need the names, not a join with the unit table).
    codes: tuple = ()
    all_codes: tuple = ()

    def resolved(self, session) -> "Scope":
        if self.all_codes:
            return self
        every = tuple(sorted(session.scalars(select(Unit.code))))
        mine = every if self.units is ALL_UNITS else tuple(sorted(self.units))
        return replace(self, codes=mine, all_codes=every)

    @classmethod
    def of(cls, visible, unit: str | None = None) -> "Scope":
        """The user's visible units (ALL_UNITS or codes), narrowed to `unit` if given."""
        if unit:
            return cls(frozenset({unit}) if visible is ALL_UNITS or unit in visible else frozenset())
        return cls(ALL_UNITS if visible is ALL_UNITS else frozenset(visible))

    @property
    def everything(self) -> bool:
        return self.units is ALL_UNITS

    def where(self, column):
        """SQL: `column` is one of the scope's units (always true for ALL_UNITS)."""
        if self.units is ALL_UNITS:
            return true()
        return column.in_(sorted(self.units)) if self.units else false()


@dataclass(frozen=True)
class Period:
    """Beijing calendar days `first`..`last`, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), BEIJING).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:  # exclusive
        return datetime.combine(self.last + timedelta(days=1), time(0), BEIJING).astimezone(timezone.utc)

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        first = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        return cls(first, following - timedelta(days=1))

    @classmethod
    def parse_month(cls, text: str | None) -> "Period | None":
        """'2026-03' -> the whole month; None when the text is not a month."""
        try:
            year, month = (int(part) for part in (text or "").split("-"))
            return cls.month(year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None
        except ValueError:
            return None

    @classmethod
    def campaign_month(cls, now: datetime) -> "Period":
        """The default: this month in Beijing, from its first day to today."""
        today = now.astimezone(BEIJING).date()
        return cls(today.replace(day=1), today)

    @property
    def month_text(self) -> str:
        return f"{self.first.year:04d}-{self.first.month:02d}"

    def args(self) -> dict:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def count_with_total(session, source) -> tuple[dict[str, int], int]:
    """({key: number of records}, records counted once) of a source SELECT (id, key), in one
    statement: the source is a CTE used twice, which SQLite and PostgreSQL compute once."""
    src = source.cte("src")
    by_key = select(src.c.key, func.count(func.distinct(src.c.id)).label("n")).group_by(src.c.key)
    overall = select(literal(None).label("key"), func.count(func.distinct(src.c.id)).label("n"))
    counts, everything = {}, 0
    for key, n in session.execute(union_all(by_key, overall)):
        if key is None:
            everything = int(n)
        else:
            counts[key] = int(n)
    return counts, everything


# -- the figures' sources ----------------------------------------------------------------

def _in(column, period: Period):
    return and_(column >= period.start, column < period.end)


def _lead_unit():
    return func.coalesce(Lead.responsible_unit, NO_UNIT)


def _received(scope, period, now, by):
    key = Lead.channel if by == "channel" else _lead_unit()
    return select(Lead.id.label("id"), key.label("key")).where(
        _in(Lead.received_at, period), scope.where(Lead.responsible_unit))


def _closed_conditions(scope, period):
    return (Lead.status == "closed", _in(Lead.closed_at, period), scope.where(Lead.responsible_unit))


def _closed(scope, period, now, by):
    key = Lead.channel if by == "channel" else _lead_unit()
    return select(Lead.id.label("id"), key.label("key")).where(*_closed_conditions(scope, period))


def _recovered(scope, period, now):
    return select(Lead.id.label("id"), _lead_unit().label("key"), Lead.recovered_amount.label("amount")).where(
        *_closed_conditions(scope, period), Lead.recovered_amount > 0)


def _subjects_of(scope: Scope):
    """SQL: ids of the institutions that belong to the scope's units."""
    units = sorted(scope.units or ())
    return union(select(Lead.subject_id).where(Lead.subject_id.is_not(None), Lead.responsible_unit.in_(units)),
                 select(Disposal.subject_id).where(Disposal.subject_id.is_not(None), Disposal.unit.in_(units)),
                 select(RectificationItem.subject_id).where(RectificationItem.subject_id.is_not(None),
                                                            RectificationItem.responsible_unit.in_(units)))


def latest_assessments(before: datetime | None = None):
    """Subquery: each subject's latest risk assessment (made before `before`)."""
    ranked = select(RiskAssessment.id, RiskAssessment.subject_id, RiskAssessment.grade, func.row_number().over(
        partition_by=RiskAssessment.subject_id,
        order_by=(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc())).label("rank"))
    if before is not None:
        ranked = ranked.where(RiskAssessment.assessed_at < before)
    ranked = ranked.subquery("ranked")
    return select(ranked.c.id, ranked.c.subject_id, ranked.c.grade).where(ranked.c.rank == 1).subquery("latest")


def _grade(scope, period, now):
    latest = latest_assessments(period.end)
    query = select(latest.c.subject_id.label("id"), latest.c.grade.label("key"))
    if not scope.everything:
        query = query.where(latest.c.subject_id.in_(_subjects_of(scope)))
    return query


def _disposals(scope, period, now, by):
    key = Disposal.measure if by == "measure" else Disposal.unit
    return select(Disposal.id.label("id"), key.label("key")).where(
        _in(Disposal.disposed_at, period), scope.where(Disposal.unit))


def _dispatched(scope, period, now):
    """Leads received in the period and dispatched (分流交办) to a unit, by that unit."""
    return select(Lead.id.label("id"), Lead.responsible_unit.label("key")).where(
        _in(Lead.received_at, period), Lead.responsible_unit.is_not(None), scope.where(Lead.responsible_unit))


def _closed_on_time(scope, period, now):
    """Leads closed in the period no later than their feedback deadline (a lead without one
    had nothing to be late for), by responsible unit."""
    return select(Lead.id.label("id"), _lead_unit().label("key")).where(
        *_closed_conditions(scope, period),
        or_(Lead.feedback_deadline.is_(None), Lead.closed_at <= Lead.feedback_deadline))


def _rectification_opened(scope, period, now):
    """Rectification items created (整改事项下发) in the period, by responsible unit."""
    item = RectificationItem
    return select(item.id.label("id"), item.responsible_unit.label("key")).where(
        _in(item.created_at, period), scope.where(item.responsible_unit))


def _rectification_closed(scope, period, now):
    """Rectification items closed (销号) in the period, by responsible unit."""
    item = RectificationItem
    return select(item.id.label("id"), item.responsible_unit.label("key")).where(
        item.status == "closed", _in(item.closed_at, period), scope.where(item.responsible_unit))


# -- counting ---------------------------------------------------------------------------

def count_rows(session, query) -> dict[str, int]:
    """{key: number of records} of a source (one GROUP BY; a record counts once per key)."""
    src = query.subquery("src")
    return {key: int(n) for key, n in session.execute(
        select(src.c.key, func.count(func.distinct(src.c.id))).group_by(src.c.key))}


def sum_rows(session, query) -> dict[str, int]:
    """{key: sum of the amount column} of a source (one GROUP BY)."""
    src = query.subquery("src")
    return {key: int(amount or 0) for key, amount in session.execute(
        select(src.c.key, func.sum(src.c.amount)).group_by(src.c.key))}


# Public names of the sources (the dashboard's FIGURES and the returns' sections use them).
received = _received
closed = _closed
recovered = _recovered
grade = _grade
disposals = _disposals
dispatched = _dispatched
closed_on_time = _closed_on_time
rectification_opened = _rectification_opened
rectification_closed = _rectification_closed
