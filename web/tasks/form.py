"""The task's form on the page: its definition, the values a request submits, and what each input shows."""
from datetime import datetime

from flask import (
    request,
)
from sqlalchemy import select

from domain import decision_fields
from domain.fieldspec import field_label
from domain.forms import FormError, load_form
from domain.labels import pick
from domain.models import Unit
from engine.store.models import (
    HumanTask,
)
from web.extensions import db
from web.i18n import short_locale
from web.presenters import BEIJING


# -- the form -----------------------------------------------------------------------------

def form_of(task: HumanTask):
    """(form, problem): the task's form definition, or None and why not."""
    if not task.form_key:
        return None, None
    try:
        return load_form(task.form_key), None
    except FormError as err:
        return None, str(err)


def _is_list_field(spec) -> bool:
    return spec.get("type") in ("multienum", "file")


def submitted_values(form) -> dict:
    """The request's values for the form's fields, as typed (lists for multienum and file)."""
    values = {}
    for spec in (form or {}).get("fields", []):
        field_id, kind = spec["id"], spec.get("type", "text")
        if _is_list_field(spec):
            values[field_id] = [v for v in request.form.getlist(field_id) if v.strip()]
        elif kind == "boolean":
            values[field_id] = "true" if request.form.get(field_id) in ("true", "on", "1") else "false"
        else:
            values[field_id] = request.form.get(field_id, "")
    return values


def _display_value(spec, value):
    """A stored value (typed by the user, or validated JSON) as the input shows it."""
    kind = spec.get("type", "text")
    if value is None:
        return [] if _is_list_field(spec) else ""
    if _is_list_field(spec):
        return [str(v) for v in (value if isinstance(value, list) else [value])]
    if kind == "boolean":
        return value in (True, "true", "on", "1")
    if kind == "datetime" and isinstance(value, str) and ("+" in value[10:] or value.endswith("Z")):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
        except ValueError:
            return value
    return str(value)


def unit_choices(locale) -> list[tuple[str, str]]:
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)).all()
    return [(unit.code, unit.name(locale)) for unit in units]


def field_views(form, values: dict, errors: dict, attachments: dict) -> list[dict]:
    """What the template needs per field: label, input kind, options, current value, messages."""
    locale = short_locale()
    views = []
    units = None
    # Fields a decision table decides, and their reason fields (shown only when the officer
    # chooses another value: web/static/tasks.js).
    decided = {spec["id"]: {"inputs": spec["decision"]["inputs"], "reason": decision_fields.reason_id(spec)}
               for spec in decision_fields.decided_specs(form)}
    reason_of = {view["reason"]: field_id for field_id, view in decided.items() if view["reason"]}
    for spec in form["fields"]:
        kind = spec.get("type", "text")
        if spec["id"] in values:
            value = values[spec["id"]]
        else:
            value = spec.get("default")
        options = []
        if kind in ("enum", "multienum"):
            options = [(o["value"], pick(o.get("label"), locale) or o["value"]) if isinstance(o, dict) else (o, o)
                       for o in spec.get("options") or []]
        elif kind == "unit":
            units = units if units is not None else unit_choices(locale)
            options = units
        shown = _display_value(spec, value)
        messages = errors.get(spec["id"]) or []
        if isinstance(messages, dict):
            messages = [str(m) for ms in messages.values() for m in (ms if isinstance(ms, list) else [ms])]
        views.append({
            "id": spec["id"], "type": kind, "label": field_label(spec, locale), "required": bool(spec.get("required")),
            "help": pick(spec.get("help"), locale), "options": options, "value": shown,
            "errors": [str(m) for m in messages], "max_length": spec.get("max_length"),
            "min": spec.get("min"), "max": spec.get("max"), "visible_if": spec.get("visible_if"),
            "files": [attachments[int(v)] for v in shown if str(v).isdigit() and int(v) in attachments]
            if kind == "file" else [],
            "decision": decided.get(spec["id"]), "reason_for": reason_of.get(spec["id"]),
        })
    return views
