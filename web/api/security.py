"""Who is calling the API, and what they may do.

Two ways in:
- `Authorization: Bearer dbn_…`: an API token (domain.api_tokens). It acts as its
  user (their units decide what is visible) and only within its scopes. Token
  requests need no CSRF token: a browser never adds this header by itself.
- the pages' session cookie: the signed-in user, with every scope; state-changing
  calls must carry the CSRF token (header `X-CSRFToken`), as the pages' forms do.

A request with an Authorization header is judged by that header alone, never by
the cookie. Every API blueprint gets the same before-request check and JSON
error handlers through `api_blueprint()`.
"""
import inspect
from datetime import timedelta

from flask import current_app, g, jsonify, request
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import CSRFError
from sqlalchemy import update
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import Forbidden, HTTPException, Unauthorized, default_exceptions

from domain.api_tokens import SCOPES, ApiToken, authenticate
from domain.errors import ValidationFailed
from engine import clock
from engine.errors import BpmnValidationError, DubanError
from web.access import CurrentUser
from web.errors import status_of
from web.extensions import csrf, db
from web.json_body import load_api_body

LAST_USED_EVERY = timedelta(minutes=1)
DEFAULT_MAX_BODY = 1024 * 1024  # JSON bodies; BPMN uploads have their own limit
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]
_blueprints = []


class ApiParser(FlaskParser):
    """webargs' parser plus `form_and_files`: one schema for a multipart body's files and fields."""

    __location_map__ = {**FlaskParser.__location_map__, "form_and_files": "load_form_and_files"}

    def load_form_and_files(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)

    def _raw_load_json(self, req):
        """JSON bodies within the app's limits (web.json_body: 400 naming what is refused)."""
        return load_api_body(req.get_data(cache=True)) if is_json_request(req) else core.missing


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "form_and_files": "multipart/form-data"}


def api_blueprint(name: str, url_part: str, description: str) -> ApiBlueprint:
    """A flask-smorest blueprint under /api/v1/<url_part> with the API's auth and errors."""
    blp = ApiBlueprint(f"api-{name}", __name__, url_prefix=f"/api/v1/{url_part}".rstrip("/"),
                       description=description)
    csrf.exempt(blp)  # checked in `authenticate_request` for session users only
    blp.before_request(authenticate_request)
    blp.register_error_handler(HTTPException, http_error)
    for code in default_exceptions:  # code-specific app handlers (error pages) would win otherwise
        blp.register_error_handler(code, http_error)
    blp.register_error_handler(DubanError, domain_error)
    _blueprints.append(blp)
    return blp


def blueprints() -> list[Blueprint]:
    return list(_blueprints)


# -- declaring what a view needs ----------------------------------------------

def requires(scope: str, *roles: str, all_units: bool = False):
    """The view needs `scope` (a token's scopes; a session has all) and, if given, one of `roles`;
    with `all_units`, also a caller who oversees every unit (the special office, office leaders,
    administrators: `CurrentUser.sees_everything`), as the pages that register cases require.

    Checked before the request body is read, so a caller without rights learns nothing
    about the body's validity.
    """
    assert scope in SCOPES, scope
    who = f" Only for users with the role {' or '.join(roles)}." if roles else ""
    if all_units:
        who += " Only for users who oversee every unit (the special office, office leaders, administrators)."
    note = f"Requires scope `{scope}`.{who}"

    def decorate(view):
        parts = (view.__doc__ or "").strip().split("\n", 1)
        description = inspect.cleandoc(parts[1]).split("---")[0].strip() if len(parts) > 1 else ""
        error = {"$ref": "#/components/responses/DEFAULT_ERROR"}
        documented = Blueprint.doc(security=SECURITY, description=f"{description}\n\n{note}".strip(),
                                   responses={"401": error, "403": error}, **{"x-scope": scope})(view)
        documented._api_scope, documented._api_roles = scope, roles
        documented._api_all_units = all_units
        return documented
    return decorate


def body_limit(config_key: str, default: int):
    """Let this view accept bodies up to `app.config[config_key]` bytes (413 beyond)."""

    def decorate(view):
        view._api_body_limit = (config_key, default)
        return view
    return decorate


# -- the check before every API request ----------------------------------------

def _view_attribute(name, default=None):
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, name, default)


def _unauthorized(message: str):
    raise Unauthorized(message)  # the handler adds WWW-Authenticate: Bearer


def authenticate_request():
    limit = _view_attribute("_api_body_limit")
    request.max_content_length = (current_app.config.get(limit[0], limit[1]) if limit
                                  else current_app.config.get("DUBAN_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY))
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            _unauthorized("Use 'Authorization: Bearer <token>'.")
        token = authenticate(db.session, secret.strip())
        if token is None:
            _unauthorized("The API token is unknown, revoked or expired.")
        g.api_user = CurrentUser(token.user)
        g.api_scopes = token.scope_set
        g.api_token_id = token.id
        # The token acts as its user: the pages' visibility rules (web.cases, web.tasks.access)
        # read Flask-Login's current_user, so this request's current_user is that user.
        current_app.login_manager._update_request_context_with_user(g.api_user)
        _touch(token)
    elif current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
        g.api_scopes = frozenset(SCOPES)
        g.api_token_id = None
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # CSRFError (400) for a state-changing call without X-CSRFToken
    else:
        _unauthorized("Sign in, or send 'Authorization: Bearer <token>'.")
    scope = _view_attribute("_api_scope")
    if scope is not None and scope not in g.api_scopes:
        raise Forbidden(f"The token lacks the scope {scope!r}.")
    roles = _view_attribute("_api_roles") or ()
    if roles and not g.api_user.has_role(*roles):
        raise Forbidden(f"Only a user with the role {' or '.join(roles)} may do this.")
    if _view_attribute("_api_all_units") and not g.api_user.sees_everything:
        raise Forbidden("Only the special office, office leaders and administrators may do this.")


def _touch(token: ApiToken) -> None:
    """Record when a token was last used (at most once a minute), committed at once.

    On the request's own session: it has only read the token so far. A second session here
    would take a second pooled connection while this request holds one, and many token
    requests at once then wait for each other until the pool times out (500s under load)."""
    now = clock.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def api_user() -> CurrentUser:
    return g.api_user


def api_locale() -> str:
    return request.accept_languages.best_match(("zh", "en")) or getattr(g.api_user, "locale", None) or "zh"


# -- errors as JSON -------------------------------------------------------------

def error_response(code: int, message: str, errors=None, headers=None):
    from werkzeug.http import HTTP_STATUS_CODES
    payload = {"code": code, "status": HTTP_STATUS_CODES.get(code, "Error"), "message": message}
    if errors:
        payload["errors"] = errors
    response = jsonify(payload)
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _field_errors(messages):
    """webargs keys errors by location ({"json": {...}}); callers want them by field."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "files", "view_args",
                                                         "headers", "cookies", "path", "form_and_files"}:
        merged = {}
        for value in messages.values():
            if isinstance(value, dict):
                merged.update(value)
            else:
                merged.setdefault("_body", []).extend(value if isinstance(value, list) else [value])
        return merged
    return messages


def http_error(error: HTTPException):
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data.get("errors") or data.get("messages"))
    code = error.code or 500
    if isinstance(error, CSRFError):
        message = f"CSRF check failed: {error.description} Send the page's token in the X-CSRFToken header."
    elif code == 422 and errors:
        message = "The request has invalid fields."
    elif code == 400 and errors:
        message = "The request body is malformed."
    elif code == 413:
        limit = request.max_content_length
        message = "The request body is too large" + (f" (at most {limit} bytes)." if limit else ".")
    else:
        message = data.get("message") or error.description or error.name
    headers = dict(data.get("headers") or {})
    if code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="duban"'
    return error_response(code, message, errors, headers)


def domain_error(error: DubanError):
    if isinstance(error, ValidationFailed):
        return error_response(422, "The request has invalid fields.", error.messages)
    if isinstance(error, BpmnValidationError):
        return error_response(422, "The BPMN file was not deployed.",
                              {"file": [str(problem) for problem in error.problems]})
    return error_response(status_of(error), str(error))


def json_method_not_allowed(error):
    """405 on API paths as JSON (routing errors happen before any blueprint is chosen)."""
    if request.path.startswith("/api/"):
        return error_response(405, error.description, headers={"Allow": ", ".join(error.valid_methods or [])})
    return error


def duban_engine():
    return current_app.extensions["duban"].engine


def engine_call(command):
    """Run `command(engine)`: the request's session ends its read transaction first, so
    the engine's write (its own transaction) does not wait for it (SQLite has one writer)."""
    db.session.rollback()
    return command(current_app.extensions["duban"].engine)

