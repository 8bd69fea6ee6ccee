"""Units and statistics."""
from sqlalchemy import distinct, func, select

from domain.models import Unit
from engine import clock
from engine.store.models import HumanTask, TaskCandidate
from web.access import ALL_UNITS
from web.api.leads import lead_counts
from web.api.schemas import StatisticsOut, UnitOut, UnitQuery
from web.api.security import api_blueprint, api_user, requires
from web.dashboard import DASHBOARD_ROLES
from web.extensions import db

units_blp = api_blueprint("units", "units", "专项办, 成员单位 and 社区/村: the codes tasks and leads use.")
stats_blp = api_blueprint("statistics", "statistics", "Counts for dashboards and reports upward.")


@units_blp.route("", methods=["GET"])
@units_blp.response(200, UnitOut(many=True))
@requires("units:read")
@units_blp.arguments(UnitQuery, location="query")
def list_units(args):
    """All units (active ones unless asked), by code"""
    query = select(Unit).order_by(Unit.code)
    if not args.get("include_inactive"):
        query = query.where(Unit.active.is_(True))
    return db.session.scalars(query).all()


def task_counts(units) -> dict:
    """Open and overdue tasks per candidate unit (a task offered to two units counts for each)."""
    now = clock.now()
    unit_codes = select(Unit.code)
    if units is not ALL_UNITS:
        unit_codes = unit_codes.where(Unit.code.in_(sorted(units)))

    def per_unit(*conditions):
        query = (select(TaskCandidate.name, func.count(distinct(HumanTask.id)))
                 .join(HumanTask, HumanTask.id == TaskCandidate.task_id)
                 .where(HumanTask.status == "open", TaskCandidate.kind == "group",
                        TaskCandidate.name.in_(unit_codes), *conditions)
                 .group_by(TaskCandidate.name))
        return dict(db.session.execute(query).all())

    def total(*conditions):
        query = (select(func.count(distinct(HumanTask.id))).join(TaskCandidate, TaskCandidate.task_id == HumanTask.id)
                 .where(HumanTask.status == "open", TaskCandidate.kind == "group",
                        TaskCandidate.name.in_(unit_codes), *conditions))
        return db.session.scalar(query) or 0

    overdue = (HumanTask.due_at.is_not(None), HumanTask.due_at < now)
    return {"open_total": total(), "overdue_total": total(*overdue), "open_by_unit": per_unit(),
            "overdue_by_unit": per_unit(*overdue)}


@stats_blp.route("", methods=["GET"])
@stats_blp.response(200, StatisticsOut)
@requires("stats:read", *DASHBOARD_ROLES)
def statistics():
    """Leads by status and channel; open and overdue tasks by unit

    For those who may open the dashboard (统计分析): supervisors, office leaders and
    administrators. Limited to what the caller may see: office leaders and administrators
    all units, supervisors the units they supervise (the special office's: all).
    """
    user = api_user()
    units = user.visible_units()
    return {"generated_at": clock.now(), "scope": "all" if units is ALL_UNITS else ",".join(sorted(units)),
            "leads": lead_counts(), "tasks": task_counts(units)}
