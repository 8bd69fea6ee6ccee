"""Errors of /engine-rest in Camunda 7's shape and with its status codes.

Camunda answers `{"type": <exception class>, "message": ..., "code": ...}`:

- InvalidRequestException: the request itself is wrong (malformed JSON, a missing or ill-typed
  field, an unknown variable type): 400; a resource named in the path that does not exist: 404;
- RestException: the engine refused the command: 404 (the task is gone), 400 (another worker's
  lock, a message nobody waits for, no retries ...);
- AuthorizationException: 403; 401 carries `WWW-Authenticate` (Basic and Bearer);
- OptimisticLockingException: 500, as Camunda (someone else changed the instance first).

Every handler answers JSON: never an HTML page or a traceback.
"""
from flask import current_app, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as NoRoute

from domain.errors import ValidationFailed
from engine.errors import ConflictError, DubanError, NotFound, PermissionDenied

PREFIX = "/engine-rest"
REALM = 'realm="duban-engine-rest"'
INVALID, REST, AUTHORIZATION = "InvalidRequestException", "RestException", "AuthorizationException"


class CamundaError(Exception):
    """An error answered as `{"type", "message"}` with `status`."""

    def __init__(self, message: str, status: int = 400, kind: str = INVALID):
        super().__init__(message)
        self.message, self.status, self.kind = message, status, kind


def invalid(message: str, status: int = 400) -> CamundaError:
    return CamundaError(message, status, INVALID)


def unsupported(name: str) -> CamundaError:
    return invalid(f"'{name}' is not supported by Duban's engine-rest")


def not_found(what: str, key) -> CamundaError:
    return CamundaError(f"{what} with id {key} does not exist", 404, INVALID)


def response(message: str, status: int, kind: str, headers=None):
    answer = jsonify({"type": kind, "message": message, "code": None})
    answer.status_code = status
    if status == 401:
        answer.headers.add("WWW-Authenticate", f"Basic {REALM}")
        answer.headers.add("WWW-Authenticate", f"Bearer {REALM}")
    for name, value in (headers or {}).items():
        answer.headers[name] = value
    return answer


def camunda_error(error: CamundaError):
    return response(error.message, error.status, error.kind)


def engine_error(error: DubanError):
    if isinstance(error, NotFound):
        return response(str(error), 404, REST)
    if isinstance(error, PermissionDenied):
        return response(str(error), 403, AUTHORIZATION)
    if isinstance(error, ConflictError):
        return response(str(error), 500, "OptimisticLockingException")
    if isinstance(error, ValidationFailed):
        return response(str(error), 400, INVALID)
    return response(str(error), 400, REST)  # InvalidOperation, a lost lock, an uncorrelated message ...


def http_error(error: HTTPException):
    code = error.code or 500
    message = error.description or error.name
    if code == 413:
        limit = request.max_content_length
        message = "The request body is too large" + (f" (at most {limit} bytes)." if limit else ".")
    headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else None
    kind = {401: REST, 403: AUTHORIZATION}.get(code, INVALID if code < 500 else REST)
    return response(message, code, kind, headers)


def database_unavailable(error):
    current_app.logger.warning("database unavailable on %s %s: %s", request.method, request.path,
                               str(getattr(error, "orig", None) or error).strip().splitlines()[0])
    return response("The database cannot be reached at the moment. Please try again in a minute.", 503,
                    "ProcessEngineException", {"Retry-After": "30"})


def unexpected(error: Exception):
    current_app.logger.exception("engine-rest: %s %s failed", request.method, request.path)
    return response("An internal error occurred; it has been logged.", 500, REST)


def register(blueprint) -> None:
    from werkzeug.exceptions import default_exceptions
    blueprint.register_error_handler(CamundaError, camunda_error)
    blueprint.register_error_handler(DubanError, engine_error)
    blueprint.register_error_handler(HTTPException, http_error)
    for code in default_exceptions:  # the app's code-specific handlers (error pages) would win otherwise
        blueprint.register_error_handler(code, http_error)
    for kind in (OperationalError, InterfaceError, PoolTimeout):
        blueprint.register_error_handler(kind, database_unavailable)
    blueprint.register_error_handler(Exception, unexpected)


def routing_error():
    """App-wide before-request hook: an unknown path or method under /engine-rest answers in
    Camunda's shape (no blueprint is chosen when routing fails, so its handlers do not apply)."""
    error = request.routing_exception
    if error is not None and (request.path == PREFIX or request.path.startswith(PREFIX + "/")) \
            and isinstance(error, (NoRoute, MethodNotAllowed)):
        return http_error(error)
    return None
