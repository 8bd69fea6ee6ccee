"""Administrators: process definitions (modeler, validation, versions) and running instances."""
from flask import Blueprint, render_template

from web.access import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@roles_required("administrator")
def index():
    return render_template("admin/index.html")
