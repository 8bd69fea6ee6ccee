"""The value a decision table gives a task's form field while the officer fills in its inputs (the
risk grade by rule at 风险研判评估): a small JSON answer for the task page's script.

    POST /tasks/<id>/decisions   the form's input values (and the page's CSRF token)
        -> {"fields": {"grade": {"status": "computed", "value": "red", "label": "红色（高风险）",
                                 "rule": "规则2：…", "table": "风险等级研判（红橙黄绿） v2",
                                 "text": "按规则评定：红色（高风险） — 规则2：…", "reason_field": "…"}}}

Only whoever may complete the task asks (404 for a task the user may not see, 403 otherwise).
It changes nothing: completing the task evaluates the table again (domain.decision_fields).
The answer never names the decision's key.
"""
from flask import abort, jsonify, request
from flask_login import current_user, login_required

from domain import decision_fields
from domain.fieldspec import field_label
from domain.records import active_unit_codes
from web.commands import current_runtime
from web.extensions import db
from web.i18n import short_locale
from web.tasks import bp
from web.tasks.access import operations, visible_task
from web.tasks.form import form_of


@bp.post("/tasks/<int:task_id>/decisions")
@login_required
def decisions(task_id):
    task = visible_task(task_id)
    if task.status != "open" or not operations().holds(task, current_user.actor):
        abort(403)
    form, _problem = form_of(task)
    if not decision_fields.decided_specs(form):
        abort(404)
    locale = short_locale()
    engine = current_runtime().engine
    db.session.rollback()  # the engine reads in its own session; end this one's read first
    outcomes = decision_fields.preview(form, request.form, engine.evaluate_decision, locale,
                                       active_unit_codes(db.session))
    labels = {spec["id"]: field_label(spec, locale) for spec in form["fields"]}
    fields = {}
    for spec in decision_fields.decided_specs(form):
        outcome = outcomes[spec["id"]]
        fields[spec["id"]] = {
            "status": outcome.status, "value": outcome.value,
            "label": decision_fields.option_label(spec, outcome.value, locale) if outcome.computed else None,
            "rule": outcome.rule, "table": outcome.table,
            "text": decision_fields.summary(spec, outcome, locale, labels),
            "reason_field": decision_fields.reason_id(spec)}
    response = jsonify({"fields": fields})
    response.headers["Cache-Control"] = "no-store"
    return response
