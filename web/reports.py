"""The campaign's statistics, shared by the dashboard, the monthly report and the API.

No Flask here: every function takes a SQLAlchemy session, a `Scope` (the units whose
work counts; `Scope(ALL_UNITS)` counts everything) and a `Period` (Beijing dates, both
included), and `now` where a figure is a state at a moment.

How a figure is computed
------------------------
Each figure is a *source*: one SELECT giving a row (id, key[, amount]) per record it
counts, `key` being the breakdown (channel, unit, grade ...). Its counts are one
GROUP BY over the source (`count_by`); the drill-down list is the records whose ids the
source gives for one key (`records`). Counts and lists come from the same SQL, so they
agree, and nothing is counted row by row in Python.

The figures (dates are Beijing dates; a period runs from `first` 00:00 to the day after
`last` 00:00):

- received_channel / received_unit: leads whose `received_at` is in the period, by
  channel / by responsible unit (`none`: not yet dispatched).
- closed_channel / closed_unit: leads with status `closed` whose `closed_at` is in the
  period (withdrawn leads are not closed leads).
- recovered_unit: losses recovered (追赃挽损, yuan): the sum of `recovered_amount` of
  the leads closed in the period, by responsible unit (leads with an amount above 0).
- dispatched_unit: leads received in the period and dispatched to a unit, by that unit.
- closed_on_time_unit: leads closed in the period by their feedback deadline (or without one).
- rectification_opened_unit / rectification_closed_unit: rectification items created / closed
  (销号) in the period, by responsible unit.
- on_time: tasks completed in the period that had a due time, keyed `on_time`
  (completed_at <= due_at) or `late`. On-time rate = on_time / (on_time + late).
- on_time_unit: the same tasks by unit (amount 1 when on time).
- overdue_unit: tasks open now whose due time has passed (due_at <= now), by unit.
- late_unit (monthly report): tasks overdue at some moment of the period: due before the
  period's end (or now, if sooner) and still open, or completed after their due time and
  after the period's start. Cancelled tasks are left out.
- grade: institutions/enterprises by their risk grade at the end of the period (the
  latest assessment made before it), red / orange / yellow / green.
- graded_by_rule / grade_overridden: risk assessments made in the period with a grade by rule
  (the grading table could be applied), and those of them graded otherwise (改判, with a reason),
  by the grade chosen; an institution's assessments belong to its units.
- disposal_measure / disposal_unit: disposals whose `disposed_at` is in the period, by
  measure / by the unit that took it.
- rectification_status / rectification_unit: rectification items in play during the
  period (created before its end and not closed (销号) before its start), by their status
  now: `accepted` (accepted or closed), `overdue` (not accepted, and past the deadline
  or marked overdue by its process) or `open` (the rest) / by responsible unit.

Units and scope
---------------
Leads, disposals and rectification items belong to their responsible unit (`unit` for a
disposal). An open task belongs to each unit named among its candidate groups (index
lookups in `task_candidate`), or, naming none, to its assignee's unit, as on the
supervision board; a completed task belongs to the unit of whoever completed it (its
candidate rows are dropped on completion). An institution belongs to the units of its
leads, disposals and rectification items.

A scope of some units keeps the records of those units. A record of several units (a
task with two unit groups) counts once in totals and once for each unit in a by-unit
breakdown.
"""
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from sqlalchemy import and_, case, func, literal, or_, select, union, union_all
from sqlalchemy.orm import aliased

from domain import figures as sources
from domain import publicity, wording
from domain.figures import (  # the sources shared with the monthly returns (domain.returns)
    ACCEPTED_STATUSES,
    BEIJING,
    NO_UNIT,
    Period,
    Scope,
    _closed,
    _disposals,
    _grade,
    _in,
    _received,
    _recovered,
    _subjects_of,
    latest_assessments,
)
from domain.labels import CHANNELS, GRADES, MEASURES, label
from domain.models import Disposal, Lead, RectificationItem, RiskAssessment, Subject, Unit, User
from engine.store.models import HumanTask, ProcessInstance, TaskCandidate
from web.params import date_arg

RECTIFICATION_BUCKETS = ("open", "accepted", "overdue")
ON_TIME_KEYS = ("on_time", "late")


# -- scope and period -------------------------------------------------------------

def parse_period(args, now: datetime) -> Period:
    """`from`/`to` query arguments (ISO dates); missing ones default to the campaign month."""
    default = Period.campaign_month(now)

    first, last = date_arg("from", args) or default.first, date_arg("to", args) or default.last
    if first > last:
        first, last = last, first
    return Period(first, last)


def as_beijing(moment: datetime | None) -> datetime | None:
    """A naive Beijing time (what a spreadsheet cell holds)."""
    return None if moment is None else moment.astimezone(BEIJING).replace(tzinfo=None)


# -- which units a task belongs to ------------------------------------------------------

def _open_tasks_by_unit(conditions, scope: Scope, *extra):
    """(id, key=unit, *extra) for open tasks meeting `conditions`: a row per unit among the
    task's candidate groups (index lookups in task_candidate), or for a task naming no unit,
    the unit of its assignee."""
    # Candidate rows are looked up by (kind, name IN units, task_id), all three columns of
    # ix_task_candidate_lookup: an index seek whichever side the planner starts from.
    by_group = (select(HumanTask.id.label("id"), TaskCandidate.name.label("key"), *extra)
                .join(TaskCandidate, and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(scope.codes),
                                          TaskCandidate.task_id == HumanTask.id))
                .where(HumanTask.status == "open", *conditions))
    group = aliased(TaskCandidate)
    names_a_unit = (select(literal(1)).select_from(group)
                    .where(group.kind == "group", group.name.in_(scope.all_codes),
                           group.task_id == HumanTask.id).exists())
    by_assignee = (select(HumanTask.id.label("id"), Unit.code.label("key"), *extra)
                   .join(User, User.username == HumanTask.assignee).join(Unit, Unit.id == User.unit_id)
                   .where(HumanTask.status == "open", *conditions, ~names_a_unit, scope.where(Unit.code)))
    return [by_group, by_assignee]


def _done_tasks_by_unit(conditions, scope: Scope, *extra):
    """(id, key=unit, *extra) for completed tasks meeting `conditions`: the unit of whoever
    completed the task (its candidate rows are gone once it is completed)."""
    person = func.coalesce(HumanTask.completed_by, HumanTask.assignee)
    return [select(HumanTask.id.label("id"), Unit.code.label("key"), *extra)
            .join(User, User.username == person).join(Unit, Unit.id == User.unit_id)
            .where(HumanTask.status == "completed", *conditions, scope.where(Unit.code))]


def _tasks_by_unit(scope: Scope, *extra, open_when=None, done_when=None):
    """The open tasks meeting `open_when` and the completed ones meeting `done_when`, a row
    per unit of each task within the scope."""
    parts = []
    if open_when is not None:
        parts += _open_tasks_by_unit(open_when, scope, *extra)
    if done_when is not None:
        parts += _done_tasks_by_unit(done_when, scope, *extra)
    return union_all(*parts)


# -- the figures' sources ----------------------------------------------------------------

def _completed_conditions(period):
    return (HumanTask.due_at.is_not(None), _in(HumanTask.completed_at, period))


def _on_time_key():
    return case((HumanTask.completed_at <= HumanTask.due_at, "on_time"), else_="late")


def _on_time(scope, period, now):
    """Each task once: all completed tasks, or those belonging to one of the scope's units."""
    conditions = (HumanTask.status == "completed", *_completed_conditions(period))
    query = select(HumanTask.id.label("id"), _on_time_key().label("key")).where(*conditions)
    if not scope.everything:
        in_scope = _tasks_by_unit(scope, done_when=_completed_conditions(period)).subquery()
        query = query.where(HumanTask.id.in_(select(in_scope.c.id)))
    return query


def _on_time_unit(scope, period, now):
    on_time = case((HumanTask.completed_at <= HumanTask.due_at, 1), else_=0).label("amount")
    return _tasks_by_unit(scope, on_time, done_when=_completed_conditions(period))


def _overdue_unit(scope, period, now):
    return _tasks_by_unit(scope, open_when=(HumanTask.due_at.is_not(None), HumanTask.due_at <= now))


def _late_unit(scope, period, now):
    until = min(period.end, now)
    due = (HumanTask.due_at.is_not(None), HumanTask.due_at < until)
    return _tasks_by_unit(scope, open_when=due, done_when=(
        *due, HumanTask.completed_at > HumanTask.due_at, HumanTask.completed_at > period.start))


def _assessments_in(scope, period, *conditions):
    query = select(RiskAssessment.id.label("id"), RiskAssessment.grade.label("key")).where(
        _in(RiskAssessment.assessed_at, period), RiskAssessment.computed_grade.is_not(None), *conditions)
    if not scope.everything:
        query = query.where(RiskAssessment.subject_id.in_(_subjects_of(scope)))
    return query


def _graded_by_rule(scope, period, now):
    return _assessments_in(scope, period)


def _grade_overridden(scope, period, now):
    return _assessments_in(scope, period, RiskAssessment.grade != RiskAssessment.computed_grade)


def _rectification_bucket(now):
    item = RectificationItem
    return case((item.status.in_(ACCEPTED_STATUSES), "accepted"),
                (or_(item.status == "overdue", item.deadline <= now), "overdue"), else_="open")


def _rectification(scope, period, now, by):
    item = RectificationItem
    key = _rectification_bucket(now) if by == "status" else item.responsible_unit
    return select(item.id.label("id"), key.label("key")).where(
        item.created_at < period.end, or_(item.closed_at.is_(None), item.closed_at >= period.start),
        scope.where(item.responsible_unit))


@dataclass(frozen=True)
class Figure:
    name: str
    model: type          # the records a drill-down lists
    key_kind: str        # what the key is: channel | unit | on_time | grade | measure | rectification
    source: object       # (scope, period, now) -> SELECT of id, key[, amount]
    title: str           # English; the web layer translates it
    amount: bool = False


FIGURES = {figure.name: figure for figure in (
    Figure("received_channel", Lead, "channel", lambda s, p, n: _received(s, p, n, "channel"),
           "Leads received"),
    Figure("received_unit", Lead, "unit", lambda s, p, n: _received(s, p, n, "unit"), "Leads received"),
    Figure("closed_channel", Lead, "channel", lambda s, p, n: _closed(s, p, n, "channel"), "Leads closed"),
    Figure("closed_unit", Lead, "unit", lambda s, p, n: _closed(s, p, n, "unit"), "Leads closed"),
    Figure("recovered_unit", Lead, "unit", _recovered, "Losses recovered", amount=True),
    Figure("dispatched_unit", Lead, "unit", sources.dispatched, "Leads dispatched"),
    Figure("closed_on_time_unit", Lead, "unit", sources.closed_on_time, "Leads closed on time"),
    Figure("rectification_opened_unit", RectificationItem, "unit", sources.rectification_opened,
           "Rectification items opened"),
    Figure("rectification_closed_unit", RectificationItem, "unit", sources.rectification_closed,
           "Rectification items closed"),
    Figure("on_time", HumanTask, "on_time", _on_time, "Tasks completed with a due time"),
    Figure("on_time_unit", HumanTask, "unit", _on_time_unit, "Tasks completed with a due time", amount=True),
    Figure("overdue_unit", HumanTask, "unit", _overdue_unit, "Overdue tasks now"),
    Figure("late_unit", HumanTask, "unit", _late_unit, "Tasks overdue in the period"),
    Figure("grade", Subject, "grade", _grade, "Institutions by risk grade"),
    Figure("graded_by_rule", RiskAssessment, "grade", _graded_by_rule, "Assessments graded by rule"),
    Figure("grade_overridden", RiskAssessment, "grade", _grade_overridden, "Grades changed from the rule"),
    Figure("disposal_measure", Disposal, "measure", lambda s, p, n: _disposals(s, p, n, "measure"),
           "Disposals"),
    Figure("disposal_unit", Disposal, "unit", lambda s, p, n: _disposals(s, p, n, "unit"), "Disposals"),
    Figure("rectification_status", RectificationItem, "rectification",
           lambda s, p, n: _rectification(s, p, n, "status"), "Rectification items"),
    Figure("rectification_unit", RectificationItem, "unit", lambda s, p, n: _rectification(s, p, n, "unit"),
           "Rectification items"),
)}


def source(name: str, scope: Scope, period: Period, now: datetime, session=None):
    if session is not None:
        scope = scope.resolved(session)
    return FIGURES[name].source(scope, period, now).subquery("src")


# -- counting -------------------------------------------------------------------------------

def count_by(session, name: str, scope: Scope, period: Period, now: datetime) -> dict[str, int]:
    """{key: number of records} (one GROUP BY)."""
    src = source(name, scope, period, now, session)
    return {key: int(n) for key, n in session.execute(
        select(src.c.key, func.count(func.distinct(src.c.id))).group_by(src.c.key))}


def sum_by(session, name: str, scope: Scope, period: Period, now: datetime) -> dict[str, int]:
    """{key: sum of the amount column} (one GROUP BY)."""
    src = source(name, scope, period, now, session)
    return {key: int(total or 0) for key, total in session.execute(
        select(src.c.key, func.sum(src.c.amount)).group_by(src.c.key))}


def count_sum_by(session, name: str, scope: Scope, period: Period, now: datetime) -> dict[str, tuple[int, int]]:
    """{key: (number of records, sum of the amount column)} (one GROUP BY)."""
    src = source(name, scope, period, now, session)
    return {key: (int(n), int(amount or 0)) for key, n, amount in session.execute(
        select(src.c.key, func.count(func.distinct(src.c.id)), func.sum(src.c.amount)).group_by(src.c.key))}


def count_by_with_total(session, name: str, scope: Scope, period: Period, now: datetime) -> tuple[dict, int]:
    """({key: number of records}, records counted once) of a figure, in one statement."""
    return sources.count_with_total(session, FIGURES[name].source(scope.resolved(session), period, now))


def total(session, name: str, scope: Scope, period: Period, now: datetime, key: str | None = None) -> int:
    """Records counted by the figure (for one key, or in all), each once."""
    src = source(name, scope, period, now, session)
    query = select(func.count(func.distinct(src.c.id)))
    if key:
        query = query.where(src.c.key == key)
    return int(session.scalar(query) or 0)


def ids_of(session, name: str, scope: Scope, period: Period, now: datetime, key: str | None = None):
    """SQL: ids of the records behind the figure (for one key)."""
    src = source(name, scope, period, now, session)
    query = select(src.c.id)
    return query.where(src.c.key == key) if key else query


ORDER = {
    Lead: (Lead.received_at.desc(), Lead.id.desc()),
    HumanTask: (HumanTask.due_at, HumanTask.id),
    Subject: (Subject.name, Subject.id),
    RiskAssessment: (RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()),
    Disposal: (Disposal.disposed_at.desc(), Disposal.id.desc()),
    RectificationItem: (RectificationItem.deadline, RectificationItem.id),
}


def records(session, name: str, scope: Scope, period: Period, now: datetime, key: str | None = None,
            limit: int | None = None, offset: int = 0) -> list:
    """The records behind a figure (for one key), in a sensible order."""
    model = FIGURES[name].model
    query = (select(model).where(model.id.in_(ids_of(session, name, scope, period, now, key)))
             .order_by(*ORDER[model]).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query).unique())


# -- the dashboard's figures ---------------------------------------------------------------

@dataclass
class Figures:
    scope: Scope
    period: Period
    now: datetime
    received: int = 0
    received_by_channel: dict = field(default_factory=dict)
    received_by_unit: dict = field(default_factory=dict)
    closed: int = 0
    closed_by_channel: dict = field(default_factory=dict)
    closed_by_unit: dict = field(default_factory=dict)
    completed: int = 0      # tasks completed in the period with a due time
    on_time: int = 0        # of those, by their due time
    on_time_by_unit: dict = field(default_factory=dict)   # unit -> (completed, on time)
    overdue: int = 0        # tasks overdue now
    overdue_by_unit: dict = field(default_factory=dict)
    late: int = 0           # tasks overdue at some moment of the period
    late_by_unit: dict = field(default_factory=dict)
    grades: dict = field(default_factory=dict)
    graded_by_rule: int = 0   # assessments in the period with a grade by rule
    overridden: int = 0       # of those, graded otherwise (改判), with a reason
    disposals: int = 0
    disposals_by_measure: dict = field(default_factory=dict)
    disposals_by_unit: dict = field(default_factory=dict)
    rectification: dict = field(default_factory=dict)    # open / accepted / overdue
    rectification_by_unit: dict = field(default_factory=dict)
    recovered: int = 0      # yuan
    recovered_leads: int = 0
    recovered_by_unit: dict = field(default_factory=dict)
    dispatched_by_unit: dict = field(default_factory=dict)      # received in the period and dispatched
    closed_on_time_by_unit: dict = field(default_factory=dict)  # closed by the feedback deadline
    rectification_opened_by_unit: dict = field(default_factory=dict)
    rectification_closed_by_unit: dict = field(default_factory=dict)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.completed if self.completed else None

    @property
    def graded(self) -> int:
        return sum(self.grades.values())

    @property
    def at_risk(self) -> int:
        """Institutions graded red, orange or yellow (有风险隐患的机构)."""
        return sum(self.grades.get(grade, 0) for grade in ("red", "orange", "yellow"))

    @property
    def rectification_total(self) -> int:
        return sum(self.rectification.values())

    def units(self) -> list[str]:
        """Every unit code some by-unit figure mentions."""
        codes = set()
        for table in (self.received_by_unit, self.closed_by_unit, self.on_time_by_unit, self.overdue_by_unit,
                      self.late_by_unit, self.disposals_by_unit, self.rectification_by_unit,
                      self.recovered_by_unit, self.dispatched_by_unit, self.closed_on_time_by_unit,
                      self.rectification_opened_by_unit, self.rectification_closed_by_unit):
            codes |= set(table)
        return sorted(codes)


def compute(session, scope: Scope, period: Period, now: datetime) -> Figures:
    """Every figure of the dashboard and the monthly report: a GROUP BY each."""
    f = Figures(scope, period, now)
    scope = scope.resolved(session)
    args = (scope, period, now)
    f.received_by_channel = count_by(session, "received_channel", *args)
    f.received_by_unit = count_by(session, "received_unit", *args)
    f.received = sum(f.received_by_channel.values())
    f.closed_by_channel = count_by(session, "closed_channel", *args)
    f.closed_by_unit = count_by(session, "closed_unit", *args)
    f.closed = sum(f.closed_by_channel.values())
    on_time = count_by(session, "on_time", *args)
    f.on_time, f.completed = on_time.get("on_time", 0), sum(on_time.values())
    f.on_time_by_unit = count_sum_by(session, "on_time_unit", *args)
    f.overdue_by_unit, f.overdue = count_by_with_total(session, "overdue_unit", *args)
    f.late_by_unit, f.late = count_by_with_total(session, "late_unit", *args)
    f.grades = count_by(session, "grade", *args)
    f.graded_by_rule = sum(count_by(session, "graded_by_rule", *args).values())
    f.overridden = sum(count_by(session, "grade_overridden", *args).values())
    f.disposals_by_measure = count_by(session, "disposal_measure", *args)
    f.disposals_by_unit = count_by(session, "disposal_unit", *args)
    f.disposals = sum(f.disposals_by_measure.values())
    f.rectification = {bucket: 0 for bucket in RECTIFICATION_BUCKETS} | count_by(
        session, "rectification_status", *args)
    f.rectification_by_unit = count_by(session, "rectification_unit", *args)
    recovered = count_sum_by(session, "recovered_unit", *args)
    f.recovered_by_unit = {unit: amount for unit, (_n, amount) in recovered.items()}
    f.recovered = sum(f.recovered_by_unit.values())
    f.recovered_leads = sum(n for n, _amount in recovered.values())
    f.dispatched_by_unit = count_by(session, "dispatched_unit", *args)
    f.closed_on_time_by_unit = count_by(session, "closed_on_time_unit", *args)
    f.rectification_opened_by_unit = count_by(session, "rectification_opened_unit", *args)
    f.rectification_closed_by_unit = count_by(session, "rectification_closed_unit", *args)
    return f


# -- publicity (宣传发动) -------------------------------------------------------------------------

@dataclass
class PublicityFigures:
    """Publicity figures of a scope and period (domain.publicity.RETURN_FIGURES' keys): in all, and
    by recording unit, by community (`elsewhere`: held outside the community units) and by form."""

    total: dict
    by_unit: dict
    by_community: dict
    by_form: dict


def publicity_figures(session, scope: Scope, period: Period) -> PublicityFigures:
    """From the SQL of the unit's monthly return (domain.publicity.figures_by): the same figures."""
    where = publicity.conditions(None if scope.everything else set(scope.units), period.first, period.last)
    return PublicityFigures(*(publicity.figures_by(session, by, where) for by in (None, "unit", "community", "form")))


# -- names ------------------------------------------------------------------------------

def unit_names(session, locale: str = "zh") -> dict[str, str]:
    english = locale == "en"
    names = {code: (en if english and en else zh)
             for code, zh, en in session.execute(select(Unit.code, Unit.name_zh, Unit.name_en))}
    names[NO_UNIT] = "Not dispatched" if english else "未分流"
    return names


def key_label(kind: str, key: str, units: dict[str, str], locale: str = "zh") -> str:
    """How a figure's key reads: a channel, unit, grade, measure or status name."""
    if kind == "unit":
        return units.get(key, key)
    if kind == "channel":
        return label("channel", key, locale)
    if kind == "grade":
        return label("grade", key, locale)
    if kind == "measure":
        return label("measure", key, locale)
    if kind == "rectification":
        return {"open": ("整改中", "Open"), "accepted": ("已验收", "Accepted"),
                "overdue": ("已逾期", "Overdue")}.get(key, (key, key))[locale == "en"]
    if kind == "on_time":
        return {"on_time": ("按期办结", "On time"), "late": ("超期办结", "Late")}.get(key, (key, key))[locale == "en"]
    return key


def display_names(session, usernames, locale: str = "zh") -> dict[str, str]:
    """{username: 姓名（单位）} (domain.wording)."""
    return wording.person_labels(session, usernames, locale)


def task_units_of(session, task_ids, scope: Scope = Scope()) -> dict[int, list[str]]:
    """Each listed task's units (one query)."""
    if not task_ids:
        return {}
    listed = (HumanTask.id.in_(sorted(task_ids)),)
    src = _tasks_by_unit(scope.resolved(session), open_when=listed, done_when=listed).subquery()
    found: dict[int, list[str]] = {}
    for task_id, unit in session.execute(select(src.c.id, src.c.key).order_by(src.c.id, src.c.key)):
        found.setdefault(task_id, []).append(unit)
    return found


def business_keys(session, instance_ids) -> dict[int, str]:
    wanted = sorted({i for i in instance_ids if i is not None})
    if not wanted:
        return {}
    return {i: key or "" for i, key in session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key).where(ProcessInstance.id.in_(wanted)))}


def latest_assessment_of(session, subject_ids) -> dict[int, RiskAssessment]:
    """Each listed subject's latest assessment (one query)."""
    wanted = sorted({i for i in subject_ids if i is not None})
    if not wanted:
        return {}
    latest = latest_assessments()
    rows = session.scalars(select(RiskAssessment).join(latest, latest.c.id == RiskAssessment.id)
                           .where(RiskAssessment.subject_id.in_(wanted)))
    return {row.subject_id: row for row in rows}


# -- the monthly report -------------------------------------------------------------------

@dataclass
class MonthlyReport:
    unit: str | None          # None: the whole campaign (every unit in the scope)
    scope: Scope
    period: Period
    now: datetime
    figures: Figures
    leads_received: list
    leads_closed: list
    disposals: list
    rectification_items: list
    late_tasks: list
    task_units: dict
    business_keys: dict
    people: dict


def monthly_report(session, scope: Scope, period: Period, now: datetime, unit: str | None = None,
                   locale: str = "zh") -> MonthlyReport:
    """The figures of the month and the five lists behind them."""
    scope = scope.resolved(session)
    args = (scope, period, now)
    late_tasks = records(session, "late_unit", *args)
    disposals = records(session, "disposal_measure", *args)
    return MonthlyReport(
        unit=unit, scope=scope, period=period, now=now, figures=compute(session, *args),
        leads_received=records(session, "received_channel", *args),
        leads_closed=records(session, "closed_channel", *args),
        disposals=disposals,
        rectification_items=records(session, "rectification_status", *args),
        late_tasks=late_tasks,
        task_units=task_units_of(session, [task.id for task in late_tasks], scope),
        business_keys=business_keys(session, [task.instance_id for task in late_tasks]),
        people=display_names(session, [task.assignee or task.completed_by for task in late_tasks]
                             + [d.officer for d in disposals], locale),
    )


def rectification_bucket(item: RectificationItem, now: datetime) -> str:
    """The bucket of one item, as `_rectification_bucket` says in SQL."""
    if item.status in ACCEPTED_STATUSES:
        return "accepted"
    if item.status == "overdue" or item.deadline <= now:
        return "overdue"
    return "open"


# -- the risk ledger (风险台账) --------------------------------------------------------------

GRADE_ORDER = {grade: index for index, grade in enumerate(GRADES)}


def _rule_with_table(assessment: RiskAssessment) -> str:
    """规则2：涉众规模大（100人以上）：红色（风险等级研判（红橙黄绿） v2）; blank for a grade by hand."""
    if not assessment.grading_rule:
        return ""
    table = f"（{assessment.grading_decision}）" if assessment.grading_decision else ""
    return assessment.grading_rule + table


def risk_ledger(session, scope: Scope, now: datetime) -> list[dict]:
    """One row per rectification item, and one per institution without any that was graded
    or had a measure taken against it (a disposal, from graded disposal or reported at a
    lead's 查办反馈, by one of the scope's units): the institution, the risk, its grade (with the
    grade by rule, the rule and the reason for another grade) and the four factors of its
    latest assessment (blank if never graded), the responsible unit
    and person, measures, deadline and status. Never the reporter. Disposals of a lead whose
    institution is unknown name no institution and have no row here."""
    items = session.scalars(select(RectificationItem).where(scope.where(RectificationItem.responsible_unit))
                            .order_by(RectificationItem.id)).all()
    with_items = {item.subject_id for item in items if item.subject_id is not None}

    graded = latest_assessments()
    query = select(graded.c.subject_id)
    if not scope.everything:
        query = query.where(graded.c.subject_id.in_(_subjects_of(scope)))
    disposed = select(Disposal.subject_id).where(Disposal.subject_id.is_not(None), scope.where(Disposal.unit))
    bare = sorted(set(session.scalars(union(query, disposed))) - with_items)

    subject_ids = with_items | set(bare)
    subjects = {s.id: s for s in session.scalars(select(Subject).where(Subject.id.in_(sorted(subject_ids))))}
    assessments = latest_assessment_of(session, subject_ids)
    lead_ids = {item.lead_id for item in items} | {a.lead_id for a in assessments.values()}
    leads = {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(sorted(
        i for i in lead_ids if i is not None)))).unique()}

    # A graded institution without items: its risk is the lead of its assessment, else its latest lead.
    latest_lead = {}
    if bare:
        ranked = select(Lead.id, Lead.subject_id, func.row_number().over(
            partition_by=Lead.subject_id, order_by=(Lead.received_at.desc(), Lead.id.desc())).label("rank")).where(
            Lead.subject_id.in_(bare), scope.where(Lead.responsible_unit)).subquery()
        latest_lead = dict(session.execute(select(ranked.c.subject_id, ranked.c.id).where(ranked.c.rank == 1)).all())
        missing = set(latest_lead.values()) - set(leads)
        if missing:
            leads.update({lead.id: lead for lead in session.scalars(
                select(Lead).where(Lead.id.in_(sorted(missing)))).unique()})
    measures: dict[int, list[str]] = {}
    if bare:
        for subject_id, measure in session.execute(
                select(Disposal.subject_id, Disposal.measure).where(Disposal.subject_id.in_(bare),
                                                                    scope.where(Disposal.unit))
                .group_by(Disposal.subject_id, Disposal.measure).order_by(Disposal.subject_id, Disposal.measure)):
            measures.setdefault(subject_id, []).append(measure)

    def base(subject_id, lead):
        subject = subjects.get(subject_id)
        assessment = assessments.get(subject_id)
        return {
            "subject_id": subject_id,
            "subject": subject.name if subject else (lead.subject_name if lead else "") or "",
            "credit_code": (subject.credit_code if subject else None) or "",
            "grade": assessment.grade if assessment else (subject.grade if subject else None),
            # graded by rule: the table's grade and rule beside the grade chosen, and why another was chosen
            "computed_grade": assessment.computed_grade if assessment else None,
            "grading_rule": _rule_with_table(assessment) if assessment else "",
            "override_reason": (assessment.override_reason or "") if assessment else "",
            "people_involved": assessment.people_involved if assessment else None,
            "money_at_risk": assessment.money_at_risk if assessment else None,
            "opinion_heat": assessment.opinion_heat if assessment else None,
            "stability_risk": assessment.stability_risk if assessment else None,
            "lead_number": lead.number if lead else "",
        }

    rows = []
    for item in items:
        lead = leads.get(item.lead_id)
        rows.append(base(item.subject_id, lead) | {
            "kind": "rectification", "id": item.id, "number": item.number, "risk": item.problem,
            "unit": item.responsible_unit, "person": item.responsible_person or "", "measures": item.measures,
            "deadline": item.deadline, "status": ("rectification_status", item.status),
            "bucket": rectification_bucket(item, now)})
    for subject_id in bare:
        assessment = assessments.get(subject_id)
        lead = leads.get(assessment.lead_id) if assessment and assessment.lead_id in leads else None
        lead = lead or leads.get(latest_lead.get(subject_id))
        rows.append(base(subject_id, lead) | {
            "kind": "subject", "id": subject_id, "number": "", "risk": lead.summary if lead else (
                assessment.note or "" if assessment else ""),
            "unit": lead.responsible_unit if lead else None, "person": "",
            "measures": "；".join(label("measure", m) for m in measures.get(subject_id, [])),
            "deadline": lead.feedback_deadline if lead else None,
            "status": ("lead_status", lead.status) if lead else None, "bucket": None})
    rows.sort(key=lambda row: (GRADE_ORDER.get(row["grade"], len(GRADES)), row["subject"], row["kind"], row["id"]))
    return rows


# -- spreadsheets (Chinese headers) ---------------------------------------------------------------

LEDGER_HEADERS = ["序号", "机构/企业名称", "统一社会信用代码", "风险问题", "风险等级", "按规则评定等级", "适用规则",
                  "改判理由", "涉众人数", "风险敞口（元）", "舆论热度", "涉稳隐患", "责任单位", "责任人", "整改措施",
                  "整改期限", "状态", "关联线索"]
LEADS_RECEIVED_HEADERS = ["序号", "线索编号", "接收时间", "线索来源", "涉及机构/企业", "整治领域", "线索内容",
                          "责任单位", "状态", "重大线索"]
LEADS_CLOSED_HEADERS = ["序号", "线索编号", "接收时间", "办结时间", "线索来源", "涉及机构/企业", "责任单位",
                        "核实结果", "追赃挽损金额（元）"]
DISPOSAL_HEADERS = ["序号", "处置时间", "机构/企业", "处置措施", "处置单位", "经办人", "关联线索", "备注"]
RECTIFICATION_HEADERS = ["序号", "整改编号", "机构/企业", "问题", "责任单位", "责任人", "整改措施", "整改期限",
                         "状态", "统计口径"]
LATE_TASK_HEADERS = ["序号", "任务", "业务编号", "责任单位", "办理人", "办理期限", "办结时间", "状态"]
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _sheet(workbook, title, headers, rows, widths=None):
    from openpyxl.styles import Alignment, Font, PatternFill
    sheet = workbook.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, row in enumerate(rows, start=1):
        sheet.append([index, *row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            cell.alignment = Alignment(vertical="top", wrap_text=isinstance(cell.value, str) and len(cell.value) > 20)
    sheet.freeze_panes = "B2"
    from openpyxl.utils import get_column_letter
    for number, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    return sheet


def _save(workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ledger_workbook(rows: list[dict], units: dict[str, str], now: datetime) -> bytes:
    from openpyxl import Workbook
    workbook = Workbook()
    workbook.remove(workbook.active)

    def status(row):
        return label(*row["status"]) if row["status"] else ""

    _sheet(workbook, "风险台账", LEDGER_HEADERS, [[
        row["subject"], row["credit_code"], row["risk"], label("grade", row["grade"]) if row["grade"] else "",
        label("grade", row["computed_grade"]) if row["computed_grade"] else "", row["grading_rule"],
        row["override_reason"], row["people_involved"], row["money_at_risk"],
        label("intensity", row["opinion_heat"]) if row["opinion_heat"] else "",
        label("intensity", row["stability_risk"]) if row["stability_risk"] else "",
        units.get(row["unit"], row["unit"] or ""), row["person"], row["measures"], as_beijing(row["deadline"]),
        status(row), row["lead_number"]] for row in rows],
        widths=[6, 30, 22, 50, 10, 12, 40, 40, 10, 16, 10, 10, 22, 24, 50, 18, 12, 18])
    sheet = workbook["风险台账"]
    sheet.oddFooter.center.text = f"导出时间 {as_beijing(now):%Y-%m-%d %H:%M}"
    return _save(workbook)


def report_title(report: MonthlyReport, units: dict[str, str]) -> str:
    if report.unit:
        who = units.get(report.unit, report.unit)
    else:
        who = "全部单位" if report.scope.everything else "所辖单位"
    return f"{report.period.first.year}年{report.period.first.month}月 {who} 打击整治养老诈骗专项行动月报"


def figure_rows(f: Figures) -> list[tuple[str, object]]:
    """(Chinese name, value) of the headline figures, in the report's order."""
    rate = f"{f.on_time_rate * 100:.1f}%" if f.on_time_rate is not None else "—"
    return [
        ("受理线索（条）", f.received),
        ("办结线索（条）", f.closed),
        ("有期限任务办结（件）", f.completed),
        ("其中按期办结（件）", f.on_time),
        ("按期办结率", rate),
        ("本期逾期事项（件）", f.late),
        ("当前逾期任务（件）", f.overdue),
        ("有风险隐患机构（家，红橙黄）", f.at_risk),
        ("其中红色", f.grades.get("red", 0)),
        ("其中橙色", f.grades.get("orange", 0)),
        ("其中黄色", f.grades.get("yellow", 0)),
        ("绿色", f.grades.get("green", 0)),
        ("按规则评定风险等级（次）", f.graded_by_rule),
        ("其中改判等级（次）", f.overridden),
        ("处置措施（次）", f.disposals),
        ("整改事项（项）", f.rectification_total),
        ("其中整改中", f.rectification.get("open", 0)),
        ("其中已验收", f.rectification.get("accepted", 0)),
        ("其中已逾期", f.rectification.get("overdue", 0)),
        ("追赃挽损金额（元）", f.recovered),
    ]


def report_workbook(report: MonthlyReport, units: dict[str, str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    f = report.figures
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "统计数据"
    sheet.append(["指标", "数值"])
    for row in figure_rows(f):
        sheet.append(list(row))
    sheet.append([])
    sheet.append(["线索来源", "受理线索（条）", "办结线索（条）"])
    for channel in CHANNELS:
        sheet.append([label("channel", channel), f.received_by_channel.get(channel, 0),
                      f.closed_by_channel.get(channel, 0)])
    sheet.append([])
    sheet.append(["处置措施", "次数"])
    for measure in MEASURES:
        sheet.append([label("measure", measure), f.disposals_by_measure.get(measure, 0)])
    sheet.append([])
    sheet.append(["单位", "受理线索", "办结线索", "有期限任务办结", "按期办结", "本期逾期事项", "当前逾期任务",
                  "处置措施", "整改事项", "追赃挽损金额（元）"])
    for code in f.units():
        completed, on_time = f.on_time_by_unit.get(code, (0, 0))
        sheet.append([units.get(code, code), f.received_by_unit.get(code, 0), f.closed_by_unit.get(code, 0),
                      completed, on_time, f.late_by_unit.get(code, 0), f.overdue_by_unit.get(code, 0),
                      f.disposals_by_unit.get(code, 0), f.rectification_by_unit.get(code, 0),
                      f.recovered_by_unit.get(code, 0)])
    sheet.append([])
    sheet.append(["报告期", f"{report.period.first.isoformat()} 至 {report.period.last.isoformat()}"])
    sheet.append(["生成时间", as_beijing(report.now)])
    sheet.append(["报告", report_title(report, units)])
    for row in sheet.iter_rows():
        if row and row[0].value in ("指标", "线索来源", "处置措施", "单位"):
            for cell in row:
                cell.font = Font(bold=True)
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
    sheet.column_dimensions["A"].width = 34
    for letter in "BCDEFGHIJ":
        sheet.column_dimensions[letter].width = 16

    def unit_name(code):
        return units.get(code, code) if code else ""

    _sheet(workbook, "受理线索", LEADS_RECEIVED_HEADERS, [[
        lead.number, as_beijing(lead.received_at), label("channel", lead.channel), lead.subject_display_name,
        label("sector", lead.sector), lead.summary, unit_name(lead.responsible_unit), label("lead_status", lead.status),
        "是" if lead.major else "否"] for lead in report.leads_received],
        widths=[6, 18, 18, 18, 28, 24, 60, 22, 10, 10])
    _sheet(workbook, "办结线索", LEADS_CLOSED_HEADERS, [[
        lead.number, as_beijing(lead.received_at), as_beijing(lead.closed_at), label("channel", lead.channel),
        lead.subject_display_name, unit_name(lead.responsible_unit), label("result", lead.result),
        lead.recovered_amount or 0] for lead in report.leads_closed],
        widths=[6, 18, 18, 18, 18, 28, 22, 12, 18])
    _sheet(workbook, "处置措施", DISPOSAL_HEADERS, [[
        as_beijing(d.disposed_at), d.subject.name if d.subject else (d.lead.subject_display_name if d.lead else ""),
        label("measure", d.measure), unit_name(d.unit), report.people.get(d.officer, d.officer or ""),
        d.lead.number if d.lead else "", d.note] for d in report.disposals],
        widths=[6, 18, 28, 16, 22, 12, 18, 50])
    _sheet(workbook, "整改事项", RECTIFICATION_HEADERS, [[
        item.number, item.subject.name if item.subject else "", item.problem, unit_name(item.responsible_unit),
        item.responsible_person, item.measures, as_beijing(item.deadline), label("rectification_status", item.status),
        key_label("rectification", rectification_bucket(item, report.now), units)]
        for item in report.rectification_items],
        widths=[6, 18, 28, 50, 22, 24, 50, 18, 12, 12])
    _sheet(workbook, "逾期事项", LATE_TASK_HEADERS, [[
        task.name, report.business_keys.get(task.instance_id, ""),
        "、".join(unit_name(code) for code in report.task_units.get(task.id, [])),
        report.people.get(task.assignee or task.completed_by, task.assignee or task.completed_by or ""),
        as_beijing(task.due_at), as_beijing(task.completed_at),
        "办理中（已逾期）" if task.status == "open" else "超期办结"] for task in report.late_tasks],
        widths=[6, 24, 18, 24, 12, 18, 18, 16])
    return _save(workbook)
