"""Camunda 7's REST API under /engine-rest, for the workers and clients written for it
(camunda-external-task-client-python3, -js, the Java client ...).

Paths, JSON shapes and status codes follow Camunda 7.2x's REST reference:

- external tasks (external_task.py): fetch and lock (with long polling), complete, failure,
  BPMN error, extend lock, unlock, set retries; list, count and read them;
- messages and signals (message.py): `POST /message`, `POST /signal`;
- process definitions (process_definition.py): `POST /process-definition/key/{key}/start`;
- decision definitions (decision_definition.py): list, count and read them and their DMN XML, and
  `POST /decision-definition/{id}/evaluate` (or `/key/{key}/evaluate`).

Authentication is by Duban API token only (auth.py); errors are Camunda's
`{"type", "message"}` (errors.py); variables are Camunda's typed values (variables.py).
Duban has no tenants: `tenantId` is always null, and a request for a tenant finds nothing.
"""
from flask import Blueprint

from web.engine_rest import auth, errors
from web.extensions import csrf

bp = Blueprint("engine-rest", __name__, url_prefix=errors.PREFIX)
csrf.exempt(bp)  # tokens only, never a cookie: a browser cannot send a request on someone's behalf
bp.before_request(auth.authenticate_request)
errors.register(bp)


@bp.record_once
def _routing_errors(state):
    state.app.before_request(errors.routing_error)


from web.engine_rest import decision_definition, external_task, message, process_definition  # noqa: E402,F401
