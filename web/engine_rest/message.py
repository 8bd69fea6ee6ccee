"""/engine-rest/message and /engine-rest/signal (engine.events does the work).

A message's `localCorrelationKeys` and `processVariablesLocal` join `correlationKeys` and
`processVariables`: a waiting task's data is the one scope Duban matches and sets. Duban has
no tenants: a message for a tenant matches nothing, a signal for one reaches nobody.
"""
from flask import jsonify

from engine import events
from engine.store.models import ProcessInstance
from web.api.security import engine_call
from web.engine_rest import bp
from web.engine_rest.auth import MESSAGES, caller, requires
from web.engine_rest.body import MAX_TEXT, boolean, db_id, json_body, text
from web.engine_rest.errors import REST, CamundaError, invalid, unsupported
from web.engine_rest.process_definition import ENDED, instance_json
from web.engine_rest.variables import read_variables
from web.extensions import db


def _joined(body: dict, *fields) -> dict | None:
    parts = [read_variables(body, field) for field in fields]
    if all(part is None for part in parts):
        return None
    return {name: value for part in parts if part for name, value in part.items()}


def _result_json(result: events.Correlated) -> dict:
    instance = db.session.get(ProcessInstance, result.instance_id)
    if result.started:
        return {"resultType": "ProcessDefinition", "execution": None, "processInstance": instance_json(instance)}
    execution = {"id": str(instance.id), "processInstanceId": str(instance.id), "ended": instance.status in ENDED,
                 "tenantId": None}
    return {"resultType": "Execution", "execution": execution, "processInstance": None}


@bp.post("/message")
@requires(MESSAGES)
def correlate():
    body = json_body()
    name = text(body, "messageName")
    if name is None or not name.strip():
        raise invalid("No message name supplied")
    business_key = text(body, "businessKey", max_length=MAX_TEXT)
    instance = text(body, "processInstanceId")
    tenant = text(body, "tenantId")
    boolean(body, "withoutTenantId")
    keys = _joined(body, "correlationKeys", "localCorrelationKeys")
    variables = _joined(body, "processVariables", "processVariablesLocal")
    correlate_all, with_result = boolean(body, "all"), boolean(body, "resultEnabled")
    if boolean(body, "variablesInResultEnabled"):
        raise unsupported("variablesInResultEnabled")
    instance_id = db_id(instance) if instance is not None else None
    try:
        if tenant is not None or (instance is not None and instance_id is None):
            raise events.MessageNotCorrelated("no process definition or execution matches the parameters")
        results = engine_call(lambda engine: events.correlate(
            engine, name, caller().actor, business_key, keys or None, instance_id, variables, correlate_all))
    except events.MessageNotCorrelated as err:
        if not correlate_all:  # correlating to all of none is no error in Camunda
            raise CamundaError(f"Cannot correlate message '{name}': {err}", 400, REST) from None
        results = []
    except events.AmbiguousCorrelation as err:
        raise CamundaError(f"Cannot correlate message '{name}': {err}", 400, REST) from None
    if not with_result:
        return "", 204
    return jsonify([_result_json(result) for result in results])


@bp.post("/signal")
@requires(MESSAGES)
def signal():
    body = json_body()
    name = text(body, "name")
    if name is None or not name.strip():
        raise invalid("No signal name given")
    if text(body, "executionId") is not None:
        raise unsupported("executionId")
    tenant = text(body, "tenantId")
    boolean(body, "withoutTenantId")
    variables = read_variables(body, "variables")
    if tenant is None:
        engine_call(lambda engine: events.broadcast(engine, name, caller().actor, variables))
    return "", 204
