"""Who may see and act on a task page, and the task operations object the pages share."""

from flask import (
    abort,
    current_app,
)
from flask_login import current_user
from sqlalchemy import select

from domain.models import User
from domain.recipients import may_hand_to
from engine.operations import TaskOperations
from engine.store.models import (
    HumanTask,
    ProcessInstance,
    TaskCopy,
    TaskCosigner,
)
from web.cases import can_see_instance as can_see_case_of
from web.commands import current_runtime
from web.extensions import db


# -- the operations object and who may see what ----------------------------------------

def operations() -> TaskOperations:
    runtime = current_runtime()
    ops = current_app.extensions.get("duban_task_operations")
    if ops is None or ops.engine is not runtime.engine:
        ops = TaskOperations(runtime.engine, runtime.escalator, user_exists=_user_exists,
                             recipient_rule=may_hand_to)
        current_app.extensions["duban_task_operations"] = ops
    return ops


def _user_exists(session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username, User.active.is_(True))) is not None


def _involved(task: HumanTask) -> bool:
    """Co-handlers, CC recipients and the delegator see the task even outside its unit."""
    me = current_user.username
    if me in (task.owner, task.completed_by):
        return True
    if db.session.scalar(select(TaskCosigner.id).where(TaskCosigner.task_id == task.id,
                                                       TaskCosigner.username == me).limit(1)) is not None:
        return True
    return db.session.scalar(select(TaskCopy.id).where(TaskCopy.task_id == task.id,
                                                       TaskCopy.recipient == me).limit(1)) is not None


def may_view(task: HumanTask) -> bool:
    if current_user.can_see_task(task) or _involved(task):
        return True
    # A finished step reads as its record (处理单) for whoever may see its case.
    return task.status != "open" and can_see_case_of(task.instance)


def visible_task(task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None or not may_view(task):
        abort(404)  # another unit's task is not even acknowledged to exist
    return task


def can_see_instance(instance_id: int) -> bool:
    if current_user.sees_everything:
        return True
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        return False
    if instance.started_by == current_user.username:
        return True
    tasks = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
    return any(may_view(task) for task in tasks)
