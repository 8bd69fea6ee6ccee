"""Case pages (a lead, a subject) and registering a lead."""
from flask import Blueprint, abort, render_template
from flask_login import login_required

from domain.models import Lead
from web.extensions import db

bp = Blueprint("cases", __name__)


@bp.get("/leads/<int:lead_id>")
@login_required
def lead(lead_id):
    record = db.session.get(Lead, lead_id)
    if record is None:
        abort(404)
    return render_template("cases/lead.html", lead=record)


@bp.route("/leads/new", methods=["GET", "POST"])
@login_required
def register():
    return render_template("cases/register.html")
