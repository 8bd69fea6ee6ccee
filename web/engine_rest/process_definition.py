"""/engine-rest/process-definition: start an instance of a process by its key (the BPMN id).

As POST /api/v1/instances: scope `instances:write`, for supervisors, office leaders and
administrators who oversee every unit (an instance's data may link it to any unit's case).
"""
from flask import jsonify, request

from engine.store.models import ProcessInstance
from web.api.security import engine_call
from web.engine_rest import bp
from web.engine_rest.auth import caller, requires
from web.engine_rest.body import MAX_TEXT, boolean, json_body, text
from web.engine_rest.errors import not_found, unsupported
from web.engine_rest.variables import read_variables
from web.extensions import db

ENDED = ("completed", "cancelled")


def instance_json(instance: ProcessInstance) -> dict:
    """Camunda's process instance: id, definitionId, businessKey, ended, suspended, links."""
    href = f"{request.url_root.rstrip('/')}/engine-rest/process-instance/{instance.id}"
    return {"links": [{"method": "GET", "href": href, "rel": "self"}], "id": str(instance.id),
            "definitionId": str(instance.definition_id), "businessKey": instance.business_key,
            "caseInstanceId": None, "ended": instance.status in ENDED,
            "suspended": instance.status == "suspended", "tenantId": None}


@bp.post("/process-definition/key/<key>/start")
@requires("instances:write", "supervisor", "office_leader", "administrator")
def start_by_key(key):
    body = json_body()
    variables = read_variables(body, "variables") or {}
    business_key = text(body, "businessKey", max_length=MAX_TEXT)
    for name in ("startInstructions", "caseInstanceId"):
        if body.get(name):
            raise unsupported(name)
    if boolean(body, "withVariablesInReturn"):
        raise unsupported("withVariablesInReturn")
    boolean(body, "skipCustomListeners"), boolean(body, "skipIoMappings")  # only mean something with instructions
    instance_id = engine_call(lambda engine: engine.start(key, variables, caller().actor, business_key=business_key))
    return jsonify(instance_json(db.session.get(ProcessInstance, instance_id)))


@bp.get("/process-instance/<int:instance_id>")
@requires("instances:read")
def get_process_instance(instance_id):
    """What a start's `self` link points to."""
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise not_found("Process instance", instance_id)
    return jsonify(instance_json(instance))
