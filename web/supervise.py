"""Supervisors: escalations, the overdue board, a unit's workload, and 督办 actions.

Who sees what: the units of `current_user.visible_units()` (ALL_UNITS: every
unit). Escalation items addressed to the special office's leaders
(`audience == "leaders"`) are shown to office leaders and administrators.

Every figure is one GROUP BY over the flat tables (human_task, the candidate
rows of open tasks, escalation, supervision_mark); nothing is counted row by
row in Python, so the board stays quick with 100,000 tasks.

A task's unit, as in domain.directory: each unit named among its candidate
groups; a task without a unit group belongs to its assignee's unit. Open tasks
are found through their task_candidate rows; finished tasks, which keep no
candidate rows, through their `candidate_groups` list.

The board's figures, per unit (`unit_figures`):
  open tasks      tasks with status open
  overdue now     open tasks with due_at <= now
  oldest overdue  working days from the earliest due_at of the overdue tasks to now
  on-time rate    of the tasks completed within the date range (Beijing dates, both
                  included; by default the 30 days up to today) that have a due time,
                  the share with completed_at <= due_at
  completed late  those of them with completed_at > due_at
  active cards    supervision marks of the unit, yellow or red, not cancelled
  score           100 less the configured points of every active mark (Escalator.unit_score)
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, case, exists, false, func, literal, or_, select, true, union_all
from sqlalchemy.orm import aliased

from domain import wording
from domain.models import Unit, User
from engine import clock
from engine.errors import ConflictError, DubanError
from engine.escalation import LEVELS
from engine.store.models import HumanTask, ProcessDefinition, TaskCandidate
from engine.store.supervision_models import Escalation, SupervisionMark
from web.access import ALL_UNITS, roles_required
from web.commands import current_runtime, run_command
from web.errors import engine_message, flash_engine_error
from web.extensions import db
from web.i18n import short_locale
from web.params import date_arg, page_arg
from web.presenters import BEIJING
from web.reports import Period

bp = Blueprint("supervise", __name__, url_prefix="/supervise")
SUPERVISING_ROLES = ("supervisor", "office_leader", "administrator")
LEADER_ROLES = ("office_leader", "administrator")
PAGE_SIZE = 50
DEFAULT_RANGE_DAYS = 30
DEFAULT_DUE_TIME = time(18, 0)
CARD_LEVELS = ("yellow", "red")
TASK_FILTERS = ("open", "overdue", "completed", "late", "cards", "marks")

supervisor_only = roles_required(*SUPERVISING_ROLES)


# -- labels --------------------------------------------------------------------

def rung_name(rung: str | None) -> str:
    """The ladder rung as supervisors call it (domain.wording): 催办提醒 / 逾期 / 提级领导督办 / 问责 ..."""
    return wording.rung_name(rung, short_locale())


def case_labels(tasks) -> dict[int, str]:
    """{instance id: "XS-2026-000021 新塘康泰养生会馆"} of the listed tasks (domain.wording)."""
    return wording.case_labels(db.session, [task.instance_id for task in tasks], short_locale())


def level_choice(level: str) -> str:
    return {"ordinary": _("Ordinary supervision"), "yellow": _("Yellow card supervision"),
            "red": _("Red card supervision")}[level]


def page_url(page: int, **changes) -> str:
    """This page's URL with its query string, another page number (or other changes)."""
    args = {**request.args.to_dict(), **changes, "page": page}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@bp.context_processor
def _helpers():
    return {"rung_name": rung_name, "level_choice": level_choice, "page_url": page_url}


# -- scope -----------------------------------------------------------------------

def _visible():
    return current_user.visible_units()


def _all_unit_codes() -> list[str]:
    return list(db.session.scalars(select(Unit.code)))


def _units_in_view() -> list[Unit]:
    """The units this supervisor oversees, in the directory's order."""
    query = select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)
    visible = _visible()
    if visible is not ALL_UNITS:
        query = query.where(Unit.code.in_(sorted(visible)))
    return list(db.session.scalars(query))


def _units_of_task(task: HumanTask) -> set[str]:
    codes = set(_all_unit_codes())
    units = {group for group in task.candidate_group_list if group in codes}
    if not units and task.assignee:
        unit = db.session.scalar(select(Unit.code).join(User, User.unit_id == Unit.id)
                                 .where(User.username == task.assignee))
        if unit:
            units.add(unit)
    return units


def _task_in_scope(task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None:
        abort(404)
    visible = _visible()
    if visible is not ALL_UNITS and not (_units_of_task(task) & visible):
        abort(404)  # another unit's task is not acknowledged to exist
    return task


def _escalation_scope():
    """SQL condition: escalation items this user is the audience of."""
    visible = _visible()
    units = true() if visible is ALL_UNITS else Escalation.unit.in_(sorted(visible))
    leaders = true() if current_user.has_role(*LEADER_ROLES) else false()
    return or_(and_(Escalation.audience == "supervisors", units), and_(Escalation.audience == "leaders", leaders))


def _mark_in_scope(mark_id: int) -> SupervisionMark:
    mark = db.session.get(SupervisionMark, mark_id)
    if mark is None:
        abort(404)
    visible = _visible()
    if visible is not ALL_UNITS and mark.unit not in visible:
        abort(404)
    return mark


# -- the figures -----------------------------------------------------------------

def _names_unit(unit_code):
    """SQL: the task's comma list of candidate groups names `unit_code` (a column or a literal)."""
    padded = literal(",") + HumanTask.candidate_groups + literal(",")
    pattern = literal("%,") + func.replace(unit_code, "_", "\\_") + literal(",%")
    return padded.like(pattern, escape="\\")


def _no_unit_group(all_units: list[str]):
    """SQL: none of the task's candidate groups is a unit (the task counts for its assignee's unit)."""
    other = aliased(Unit)
    return and_(HumanTask.candidate_groups.not_in(all_units),
                or_(~HumanTask.candidate_groups.like("%,%"),
                    ~exists().where(other.code.in_(all_units), _names_unit(other.code))))


def _users_of(units: list[str]):
    return select(User.username).join(Unit, Unit.id == User.unit_id).where(Unit.code.in_(units))


def open_task_ids(unit: str, all_units: list[str]):
    """Ids of the unit's open tasks: its candidate rows (an index lookup; only open tasks have
    them), and the open tasks of its people that name no unit at all."""
    return union_all(
        select(TaskCandidate.task_id).where(TaskCandidate.kind == "group", TaskCandidate.name == unit),
        select(HumanTask.id).where(HumanTask.status == "open", HumanTask.assignee.in_(_users_of([unit])),
                                   _no_unit_group(all_units)))


def of_unit(unit: str, all_units: list[str]):
    """SQL: the task is the unit's, by its comma list of groups (finished tasks keep no candidate rows)."""
    return or_(HumanTask.candidate_groups == unit,
               and_(HumanTask.candidate_groups.like("%,%"), _names_unit(literal(unit))),
               and_(HumanTask.assignee.in_(_users_of([unit])), _no_unit_group(all_units)))


SUM, MIN = "sum", "min"


def per_unit(aggregates: list[tuple], where, units: list[str], all_units: list[str]) -> dict[str, list]:
    """Aggregate the human_task rows matching `where` per unit, in one GROUP BY over the table.

    `aggregates` are (SQL aggregate, SUM or MIN). Rows are grouped by their comma
    list of candidate groups (there are few distinct lists) and, for lists naming no
    unit, by assignee; each group's figures then go to every unit its list names, or
    to its assignee's unit. Python only adds up these aggregated rows (a few per
    distinct list of groups, never one per task)."""
    wanted, known = set(units), set(all_units)
    # Lists that are exactly one unit (nearly all) need no assignee; the rest are split by assignee.
    holder = case((HumanTask.candidate_groups.in_(all_units), None), else_=HumanTask.assignee).label("holder")
    query = (select(HumanTask.candidate_groups, holder, *[column for column, _kind in aggregates])
             .where(where).group_by(HumanTask.candidate_groups, holder))
    others = sorted(known - wanted)
    if others:
        query = query.where(HumanTask.candidate_groups.not_in(others))
    rows = db.session.execute(query).all()

    def named(groups):
        return {group for group in (groups or "").split(",") if group in known}

    holders = sorted({row.holder for row in rows if row.holder and not named(row.candidate_groups)})
    home = dict(db.session.execute(select(User.username, Unit.code).join(Unit, Unit.id == User.unit_id)
                                   .where(User.username.in_(holders))).all()) if holders else {}
    result: dict[str, list] = {}
    for groups, assignee, *values in rows:
        units_named = named(groups)
        if not units_named and assignee in home:
            units_named = {home[assignee]}
        for code in units_named & wanted:
            totals = result.setdefault(code, [0 if kind == SUM else None for _column, kind in aggregates])
            for i, (value, (_column, kind)) in enumerate(zip(values, aggregates)):
                if kind == SUM:
                    totals[i] += value or 0
                elif value is not None and (totals[i] is None or value < totals[i]):
                    totals[i] = value
    return result


def date_range(args) -> Period:
    """`from`/`to` (Beijing dates, both included); by default the last 30 days up to today."""
    today = clock.now().astimezone(BEIJING).date()

    last = date_arg("to", args) or today
    first = date_arg("from", args) or last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first > last:
        first, last = last, first
    return Period(first, last)


@dataclass
class UnitFigures:
    unit: Unit
    open: int = 0
    overdue: int = 0
    oldest_due: datetime | None = None
    oldest_age_workdays: int | None = None
    completed: int = 0          # completed in the range, with a due time
    on_time: int = 0            # of those, completed_at <= due_at
    cards: int = 0              # active yellow and red cards
    marks: dict | None = None   # active marks by level
    score: int = 100

    @property
    def late(self) -> int:
        return self.completed - self.on_time

    @property
    def on_time_rate(self) -> float | None:
        return None if not self.completed else self.on_time / self.completed


def _completed_in(period: Period) -> tuple:
    """Completed in the range, with a due time: the tasks the on-time rate is about."""
    return (HumanTask.status == "completed", HumanTask.due_at.is_not(None),
            HumanTask.completed_at >= period.start, HumanTask.completed_at < period.end)


def unit_figures(units: list[Unit], period: Period) -> list[UnitFigures]:
    """The board for all the units at once: one GROUP BY over human_task, one over supervision_mark."""
    if not units:
        return []
    now = clock.now()
    codes = [unit.code for unit in units]
    figures = {unit.code: UnitFigures(unit, marks={level: 0 for level in LEVELS}) for unit in units}

    all_units = _all_unit_codes()
    calendar = current_runtime().engine.calendar()
    is_open = HumanTask.status == "open"
    overdue = and_(is_open, HumanTask.due_at <= now)
    completed = and_(*_completed_in(period))
    on_time = and_(completed, HumanTask.completed_at <= HumanTask.due_at)

    def count(condition):
        return func.sum(case((condition, 1), else_=0)), SUM

    totals = per_unit([count(is_open), count(overdue), (func.min(case((overdue, HumanTask.due_at))), MIN),
                       count(completed), count(on_time)], or_(is_open, completed), codes, all_units)
    for code, (n_open, n_overdue, oldest, n_completed, n_on_time) in totals.items():
        row = figures[code]
        row.open, row.overdue, row.oldest_due = int(n_open), int(n_overdue), oldest
        row.completed, row.on_time = int(n_completed), int(n_on_time)
        if oldest is not None:
            row.oldest_age_workdays = calendar.workdays_between(oldest, now)

    deductions = current_runtime().escalator.deductions
    for code, level, count in db.session.execute(
            select(SupervisionMark.unit, SupervisionMark.level, func.count())
            .where(SupervisionMark.unit.in_(codes), SupervisionMark.cancelled_at.is_(None))
            .group_by(SupervisionMark.unit, SupervisionMark.level)):
        row = figures[code]
        row.marks[level] = row.marks.get(level, 0) + count
        if level in CARD_LEVELS:
            row.cards += count
        row.score -= deductions.get(level, 0) * count  # as Escalator.unit_score, base 100
    return [figures[code] for code in codes]


def open_escalation_counts(units: list[str] | None) -> dict[str | None, int]:
    query = (select(Escalation.unit, func.count()).where(Escalation.status == "open", _escalation_scope())
             .group_by(Escalation.unit))
    if units is not None:
        query = query.where(Escalation.unit.in_(units))
    return dict(db.session.execute(query).all())


def lateness(task: HumanTask, now: datetime, calendar) -> int | None:
    """Working days past the due time (until completion, or until now while open); None if not late."""
    if task.due_at is None:
        return None
    end = task.completed_at if task.status != "open" and task.completed_at else now
    if task.status not in ("open", "completed") or end <= task.due_at:
        return None
    return calendar.workdays_between(task.due_at, end)


# -- what the lists need ---------------------------------------------------------------

def _list_context() -> dict:
    process_names = dict(db.session.execute(select(ProcessDefinition.process_id, func.max(ProcessDefinition.name))
                                            .group_by(ProcessDefinition.process_id)).all())
    return {"calendar": current_runtime().engine.calendar(), "now": clock.now(), "lateness": lateness,
            "process_names": process_names}


def _unit_names() -> dict[str, str]:
    english = short_locale() == "en"
    return {code: (en if english and en else zh)
            for code, zh, en in db.session.execute(select(Unit.code, Unit.name_zh, Unit.name_en))}


def _paging(total: int) -> dict:
    page = page_arg()
    return {"page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total}


# -- pages ---------------------------------------------------------------------------

@bp.get("/")
@supervisor_only
def index():
    units = _units_in_view()
    counts = open_escalation_counts(None)
    return render_template("supervise/index.html", units=units, open_escalations=sum(counts.values()),
                           names=_unit_names())


@bp.get("/escalations")
@supervisor_only
def escalations():
    status = "acknowledged" if request.args.get("status") == "acknowledged" else "open"
    query = (select(Escalation, HumanTask).join(HumanTask, HumanTask.id == Escalation.task_id)
             .where(Escalation.status == status, _escalation_scope()))
    rung = request.args.get("rung")
    if rung:
        query = query.where(Escalation.rung == rung)
    unit = request.args.get("unit")
    if unit:
        query = query.where(Escalation.unit == unit)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    paging = _paging(total)
    rows = db.session.execute(query.order_by(Escalation.raised_at.desc(), Escalation.id.desc())
                              .limit(PAGE_SIZE).offset((paging["page"] - 1) * PAGE_SIZE)).all()
    rungs = sorted(set(db.session.scalars(select(Escalation.rung).where(
        Escalation.status == status, _escalation_scope()).distinct())))
    return render_template("supervise/escalations.html", rows=rows, paging=paging, status=status, rung=rung,
                           unit=unit, rungs=rungs, units=_units_in_view(), names=_unit_names(),
                           cases=case_labels([task for _item, task in rows]), **_list_context())


@bp.get("/board")
@supervisor_only
def board():
    period = date_range(request.args)
    units = _units_in_view()
    return render_template("supervise/board.html", figures=unit_figures(units, period), period=period,
                           escalations=open_escalation_counts([u.code for u in units]))


@bp.get("/units/<code>")
@supervisor_only
def unit(code):
    unit_row = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit_row is None:
        abort(404)
    if not current_user.can_see_unit(code):
        abort(403)
    period = date_range(request.args)
    selected = request.args.get("filter") if request.args.get("filter") in TASK_FILTERS else "open"
    assignee = request.args.get("assignee")
    figures = unit_figures([unit_row], period)[0]
    now = clock.now()

    all_units = _all_unit_codes()
    in_unit = HumanTask.id.in_(open_task_ids(code, all_units))
    is_open = HumanTask.status == "open"
    overdue = and_(is_open, HumanTask.due_at <= now)
    workload = db.session.execute(
        select(HumanTask.assignee, func.count(), func.sum(case((HumanTask.due_at <= now, 1), else_=0)))
        .where(in_unit, is_open).group_by(HumanTask.assignee)
        .order_by(HumanTask.assignee.is_(None).desc(), func.count().desc(), HumanTask.assignee)).all()

    if selected in ("cards", "marks"):
        levels = CARD_LEVELS if selected == "cards" else LEVELS
        query = select(HumanTask).where(HumanTask.id.in_(
            select(SupervisionMark.task_id).where(SupervisionMark.unit == code, SupervisionMark.level.in_(levels),
                                                  SupervisionMark.cancelled_at.is_(None))))
        order = (HumanTask.status != "open", HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    elif selected in ("completed", "late"):
        query = select(HumanTask).where(*_completed_in(period), of_unit(code, all_units))
        if selected == "late":
            query = query.where(HumanTask.completed_at > HumanTask.due_at)
        order = (HumanTask.completed_at.desc(), HumanTask.id.desc())
    else:
        query = select(HumanTask).where(in_unit, overdue if selected == "overdue" else is_open)
        if assignee == "-":
            query = query.where(HumanTask.assignee.is_(None))
        elif assignee:
            query = query.where(HumanTask.assignee == assignee)
        order = (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    paging = _paging(total)
    tasks = list(db.session.scalars(query.order_by(*order).limit(PAGE_SIZE)
                                    .offset((paging["page"] - 1) * PAGE_SIZE)))
    return render_template("supervise/unit.html", unit=unit_row, figures=figures, period=period,
                           selected=selected, assignee=assignee, workload=workload, tasks=tasks,
                           paging=paging, names=_unit_names(), cases=case_labels(tasks), **_list_context())


@bp.get("/tasks/<int:task_id>")
@supervisor_only
def task(task_id):
    """Everything a supervisor may do to one task: its open escalation items, active marks and the
    action forms. A whole page, or (for htmx, when a list's 处理 is opened) just the panel."""
    row = _task_in_scope(task_id)
    units = sorted(_units_of_task(row))
    items = db.session.scalars(select(Escalation).where(
        Escalation.task_id == task_id, Escalation.status == "open", _escalation_scope())
        .order_by(Escalation.id)).all()
    marks = db.session.scalars(select(SupervisionMark).where(
        SupervisionMark.task_id == task_id, SupervisionMark.cancelled_at.is_(None)).order_by(SupervisionMark.id)).all()
    people = db.session.execute(
        select(User.username, User.display_name).join(Unit, Unit.id == User.unit_id)
        .where(User.active.is_(True), Unit.code.in_(units)).order_by(User.username)).all() if units else []
    all_units = db.session.execute(select(Unit.code, Unit.name_zh, Unit.name_en).where(Unit.active.is_(True))
                                   .order_by(Unit.id)).all()
    target = request.args.get("next") or ""
    back = target if _local(target) else url_for("supervise.task", task_id=task_id)
    template = "supervise/_task_panel.html" if request.headers.get("HX-Request") else "supervise/task.html"
    return render_template(template, task=row, items=items, marks=marks, people=people, all_units=all_units,
                           levels=LEVELS, back=back, units=units, names=_unit_names(), cases=case_labels([row]),
                           **_list_context())


# -- actions -------------------------------------------------------------------------

def _local(target: str) -> bool:
    """Only pages of this blueprint are places to come back to."""
    return target.startswith("/supervise/") and "//" not in target and "\\" not in target


def _back():
    target = request.form.get("next") or ""
    return redirect(target if _local(target) else url_for("supervise.escalations"))


def _reason() -> str | None:
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Give a reason."), "error")
        return None
    return reason


def _run(command, success: str) -> bool:
    """Run an engine/escalator command; engine errors become flashed messages (in the UI's language
    when the catalog knows them)."""
    try:
        run_command(command, flash_errors=False)
    except ConflictError as err:
        flash_engine_error(err)
        return False
    except DubanError as err:
        flash(engine_message(err), "error")
        return False
    flash(success, "success")
    return True


def _actor():
    return current_user.actor


@bp.post("/escalations/<int:escalation_id>/acknowledge")
@supervisor_only
def acknowledge(escalation_id):
    item = db.session.scalar(select(Escalation).where(Escalation.id == escalation_id, _escalation_scope()))
    if item is None:
        abort(404)
    note = _reason()
    if note is not None:
        _run(lambda engine: current_runtime().escalator.acknowledge(escalation_id, _actor(), note),
             _("Escalation acknowledged."))
    return _back()


def _parse_due() -> datetime | None:
    text_date = (request.form.get("due_date") or "").strip()
    text_time = (request.form.get("due_time") or "").strip()
    try:
        day = date.fromisoformat(text_date)
        moment = time.fromisoformat(text_time) if text_time else DEFAULT_DUE_TIME
    except ValueError:
        flash(_("Give the new due date as YYYY-MM-DD and the time as HH:MM."), "error")
        return None
    return datetime.combine(day, moment, BEIJING).astimezone(timezone.utc)


@bp.post("/tasks/<int:task_id>/extend")
@supervisor_only
def extend(task_id):
    _task_in_scope(task_id)
    reason = _reason()
    new_due = _parse_due() if reason is not None else None
    if reason is not None and new_due is not None:
        _run(lambda engine: current_runtime().escalator.extend_deadline(task_id, _actor(), new_due, reason),
             _("Deadline extended to %(due)s.", due=new_due.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")))
    return _back()


@bp.post("/tasks/<int:task_id>/reassign")
@supervisor_only
def reassign(task_id):
    task = _task_in_scope(task_id)
    reason = _reason()
    if reason is None:
        return _back()
    assignee = (request.form.get("assignee") or "").strip()
    units = _units_of_task(task)
    allowed = db.session.scalar(select(User.id).join(Unit, Unit.id == User.unit_id).where(
        User.username == assignee, User.active.is_(True), Unit.code.in_(units))) if assignee and units else None
    if allowed is None:
        flash(_("Choose a user of the task's unit."), "error")
        return _back()
    _run(lambda engine: engine.reassign(task_id, _actor(), assignee, reason),
         _("Task reassigned to %(user)s.", user=wording.person_label(db.session, assignee, short_locale())))
    return _back()


@bp.post("/tasks/<int:task_id>/transfer")
@supervisor_only
def transfer(task_id):
    task = _task_in_scope(task_id)
    reason = _reason()
    if reason is None:
        return _back()
    target = (request.form.get("unit") or "").strip()
    unit_row = db.session.scalar(select(Unit).where(Unit.code == target, Unit.active.is_(True))) if target else None
    if unit_row is None:
        flash(_("Choose the unit to transfer the task to."), "error")
        return _back()
    if task.candidate_group_list == [target]:
        flash(_("The task is already with this unit."), "error")
        return _back()
    _run(lambda engine: engine.transfer(task_id, _actor(), reason, to_groups=[target]),
         _("Task transferred to %(unit)s.", unit=unit_row.name(short_locale())))
    return _back()


@bp.post("/tasks/<int:task_id>/remind")
@supervisor_only
def remind(task_id):
    _task_in_scope(task_id)
    reason = _reason()
    if reason is not None:
        _run(lambda engine: current_runtime().escalator.remind(task_id, _actor(), reason),
             _("Reminder sent to whoever holds the task."))
    return _back()


@bp.post("/tasks/<int:task_id>/supervise")
@supervisor_only
def supervise(task_id):
    _task_in_scope(task_id)
    reason = _reason()
    if reason is None:
        return _back()
    level = request.form.get("level") or ""
    if level not in LEVELS:
        flash(_("Choose a supervision level."), "error")
        return _back()
    _run(lambda engine: current_runtime().escalator.supervise(task_id, _actor(), level, reason),
         _("Supervised handling started: %(level)s.", level=level_choice(level)))
    return _back()


@bp.post("/marks/<int:mark_id>/cancel")
@supervisor_only
def cancel_mark(mark_id):
    _mark_in_scope(mark_id)
    reason = _reason()
    if reason is not None:
        _run(lambda engine: current_runtime().escalator.cancel_mark(mark_id, _actor(), reason),
             _("Supervision cancelled."))
    return _back()
