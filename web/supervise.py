"""Supervisors: escalations, the overdue board, a unit's workload, and 督办 actions."""
from flask import Blueprint, render_template

from web.access import roles_required

bp = Blueprint("supervise", __name__, url_prefix="/supervise")


@bp.get("/")
@roles_required("supervisor", "office_leader", "administrator")
def index():
    return render_template("supervise/index.html")
