"""The pages' visibility rules (web.access.CurrentUser) applied to what the API returns.

Tasks: `CurrentUser.can_see_task`. Leads: whoever oversees all units, the units
responsible for the lead (`visible_units`), and whoever registered it. Instances:
whoever may see one of its tasks or its lead, or started it. Anything else is
answered with 404, as the pages do: another unit's work is not acknowledged to exist.
"""
from flask import abort
from sqlalchemy import or_, select

from domain.models import Lead
from engine.store.models import HumanTask, ProcessInstance
from web.access import ALL_UNITS
from web.extensions import db


def lead_filter(user):
    """A WHERE clause limiting leads to those `user` may see (None: no limit)."""
    units = user.visible_units()
    if units is ALL_UNITS:
        return None
    return or_(Lead.responsible_unit.in_(sorted(units)), Lead.created_by == user.username)


def can_see_lead(user, lead: Lead) -> bool:
    return user.can_see_unit(lead.responsible_unit) or lead.created_by == user.username


def visible_lead(user, lead_id: int) -> Lead:
    lead = db.session.get(Lead, lead_id)
    if lead is None or not can_see_lead(user, lead):
        abort(404, f"lead {lead_id} not found")
    return lead


def visible_task(user, task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None or not user.can_see_task(task):
        abort(404, f"task {task_id} not found")
    return task


def instance_tasks(instance_id: int) -> list[HumanTask]:
    return list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                   .order_by(HumanTask.id)))


def visible_instance(user, instance_id: int) -> tuple[ProcessInstance, list[HumanTask]]:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        abort(404, f"process instance {instance_id} not found")
    tasks = instance_tasks(instance_id)
    if user.sees_everything or instance.started_by == user.username or any(user.can_see_task(t) for t in tasks):
        return instance, tasks
    if instance.business_key:
        lead = db.session.scalars(select(Lead).where(Lead.number == instance.business_key)).first()
        if lead is not None and can_see_lead(user, lead):
            return instance, tasks
    abort(404, f"process instance {instance_id} not found")
