"""Process instances: start one, read one with its tasks, events and incidents."""
from flask import url_for
from sqlalchemy import select

from domain.leads import business_key_for
from engine.store.models import AuditEvent, Incident, ProcessInstance
from web.api.paging import ID
from web.api.schemas import InstanceDetail, StartIn
from web.api.security import api_blueprint, api_user, engine_call, requires
from web.api.visibility import shown_events, visible_instance
from web.extensions import db

blp = api_blueprint("instances", "instances", "Process instances: start, and read with tasks and history.")
MAX_EVENTS = 1000


def _detail(instance: ProcessInstance, tasks) -> dict:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id)
                                .order_by(AuditEvent.id.desc()).limit(MAX_EVENTS)).all()
    incidents = db.session.scalars(select(Incident).where(Incident.instance_id == instance.id)
                                   .order_by(Incident.id)).all()
    detail = {column: getattr(instance, column) for column in (
        "id", "process_id", "definition_id", "business_key", "status", "started_by", "started_at", "ended_at",
        "updated_at")}
    detail.update(version=instance.definition.version, process_name=instance.definition.name, tasks=tasks,
                  events=shown_events(reversed(events)), incidents=incidents)
    return detail


@blp.route("", methods=["POST"])
@blp.response(201, InstanceDetail)
@requires("instances:write", "supervisor", "office_leader", "administrator", all_units=True)
@blp.arguments(StartIn)
def start_instance(payload):
    """Start a process instance

    Runs it to its first wait state. 404 when the process (or version) is not deployed.
    Leads are better registered with POST /leads, which also creates the record. Graded
    disposal (risk_disposal) started for a lead (`data.lead_id`) without a business key gets
    the lead's number, by which other systems' messages (the police's receipt) find it. Only for
    supervisors who oversee every unit: an instance's data and business key link it to any
    lead or subject, which would open another unit's case to its starter's unit.
    """
    user = api_user()
    business_key = payload.get("business_key")
    if business_key is None:  # graded disposal started for a lead carries the lead's number (domain.leads)
        business_key = business_key_for(db.session, payload["process_id"], payload["data"])
    instance_id = engine_call(lambda engine: engine.start(
        payload["process_id"], payload["data"], user.actor, business_key=business_key,
        version=payload.get("version")))
    instance, tasks = visible_instance(instance_id)
    return _detail(instance, tasks), 201, {"Location": url_for("api-instances.get_instance", instance_id=instance_id)}


@blp.route(f"/<{ID}:instance_id>", methods=["GET"])
@blp.response(200, InstanceDetail)
@requires("instances:read")
def get_instance(instance_id):
    """One process instance with its tasks, its audit events (oldest first) and incidents

    Visible as its diagram on the case pages is (/instances/{id}/diagram.xml); otherwise 404.
    Only the tasks the caller may open are listed, and the events name no record they may not see.
    """
    instance, tasks = visible_instance(instance_id)
    return _detail(instance, tasks)
