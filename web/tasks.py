"""The task page: the user task's form, its case's history, and the task operations."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from engine.store.models import HumanTask
from web.extensions import db

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def visible_task(task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None or not current_user.can_see_task(task):
        abort(404)  # another unit's task is not even acknowledged to exist
    return task


@bp.get("/<int:task_id>")
@login_required
def show(task_id):
    task = visible_task(task_id)
    return render_template("tasks/show.html", task=task)
