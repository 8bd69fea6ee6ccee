"""Landing page and health check."""
from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select, text

from domain.grid_reports import is_grid_worker
from engine.store.models import HumanTask, ProcessDefinition
from web.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/healthz")
def health():
    """For load balancers: the database answers; the scheduler runs here or elsewhere."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as err:  # reported, not raised: this is the health check
        db.session.rollback()
        database = f"error: {err.__class__.__name__}"
    scheduler = current_app.extensions["duban"].scheduler
    body = {"database": database,
            "scheduler": "running" if scheduler.running else ("off" if not current_app.config["DUBAN_SCHEDULER"]
                                                              else "standby")}
    return jsonify(body), 200 if database == "ok" else 503


@bp.get("/about")
@login_required  # the campaign's processes and workload are not for the public
def about():
    definitions = db.session.execute(
        select(ProcessDefinition.process_id, ProcessDefinition.name, func.max(ProcessDefinition.version))
        .group_by(ProcessDefinition.process_id, ProcessDefinition.name)
    ).all()
    open_tasks = db.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open"))
    return render_template("index.html", definitions=definitions, open_tasks=open_tasks,
                           app_name=current_app.config.get("DUBAN_NAME", "督办"))


@bp.get("/")
def home():
    """The inbox; for grid workers, who hold no tasks, the page of their reports."""
    if current_user.is_authenticated and is_grid_worker(current_user):
        return redirect(url_for("grid.index"))
    return redirect(url_for("inbox.index"))
