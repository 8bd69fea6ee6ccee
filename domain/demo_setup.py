"""`flask --app web demo`: load the demo data and start its processes.

Called by web/cli.py as `load_demo_into(current_app, db)` after the schema
upgrade and the process deployment. Returns a summary for the terminal.
"""
from domain import crypto
from domain.demo import DEFAULT_PASSWORD, load_demo
from domain.models import Lead, RectificationItem
from engine.errors import DubanError, NotFound
from engine.identity import SYSTEM


def _hasher(app):
    hasher = app.config.get("DUBAN_HASH_PASSWORD")
    if hasher is None:
        from werkzeug.security import generate_password_hash as hasher
    return hasher


def _start_all(engine, session, ids) -> list[str]:
    lines = []
    started = 0
    try:
        for lead_id in ids["leads_to_start"]:
            lead = session.get(Lead, lead_id)
            lead.instance_id = engine.start("lead_handling", {"lead_id": lead.id}, SYSTEM, business_key=lead.number)
            started += 1
        for item_id in ids["rectification_items"]:
            item = session.get(RectificationItem, item_id)
            item.instance_id = engine.start("rectification", {
                "item_id": item.id, "subject_id": item.subject_id, "lead_id": item.lead_id,
                "responsible_unit": item.responsible_unit, "deadline": item.deadline.isoformat()},
                SYSTEM, business_key=item.number)
            started += 1
    except NotFound as exc:
        lines.append(f"processes not started: {exc}")
    session.commit()
    lines.append(f"{started} process instances started")
    return lines


def load_demo_into(app, db) -> str:
    try:
        crypto.encrypt("check")
    except crypto.FieldKeyMissing as exc:
        return f"demo data not loaded: {exc}"
    session = db.session
    try:
        ids = load_demo(session, _hasher(app))
    except DubanError as exc:
        session.rollback()
        return f"demo data not loaded: {exc}"
    session.commit()
    lines = [f"{len(ids['units'])} units, {len(ids['users'])} users (password {DEFAULT_PASSWORD}), "
             f"{len(ids['subjects'])} subjects, {len(ids['leads'])} leads, "
             f"{len(ids['rectification_items'])} rectification items"]
    engine = app.extensions.get("duban.engine")
    if engine is not None:
        lines += _start_all(engine, session, ids)
    return "\n".join(lines)
