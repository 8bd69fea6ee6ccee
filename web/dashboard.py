"""Dashboards, monthly reports and the risk ledger export for leaders and supervisors."""
from flask import Blueprint, render_template

from web.access import roles_required

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@roles_required("supervisor", "office_leader", "administrator")
def index():
    return render_template("dashboard/index.html")
