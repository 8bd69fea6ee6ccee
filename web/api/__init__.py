"""JSON API for other systems under /api/v1 (flask-smorest, marshmallow, OpenAPI 3).

- `/api/v1/openapi.json`: the OpenAPI document, generated from the schemas.
- `/api/v1/docs`: the same as a page (rendered on the server, no JavaScript).
- resources: leads, tasks, instances, definitions, decisions, units, statistics, tokens
  (see web/api/security.py for authentication: API tokens or the pages' session).

`bp` is registered by the app factory like any blueprint; registering it sets up
flask-smorest and the resource blueprints on that app.
"""
import re

from flask import Blueprint, current_app, jsonify, render_template, url_for
from markupsafe import Markup, escape
from flask_smorest import Api

from web.api.cli import api_token
from web.api.schemas import ErrorOut

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates", cli_group=None)
bp.cli.add_command(api_token)

API_DESCRIPTION = """督办 Duban: leads (线索), tasks (待办), process instances and definitions, decisions (DMN), units,
statistics.

**Authentication.** Systems send `Authorization: Bearer <token>`. An administrator creates tokens with
`flask --app web api-token create --user USER --scopes leads:write,tasks:read` (the secret is printed once;
only its SHA-256 hash is stored) and revokes them with `flask --app web api-token revoke ID`. A token acts as
its user — that user's units and roles decide what is visible and allowed, exactly as on the
pages (registering leads, for instance, is for the special office, as 登记线索 is) — and only
within its scopes. The pages' own scripts may use the signed-in session instead; their
state-changing calls send the CSRF token in `X-CSRFToken`.

**Errors** are JSON: `{"code", "status", "message", "errors": {field: [messages]}}` — 400 malformed request,
401 missing or bad credentials, 403 not allowed (scope or role), 404 not found or not visible, 409 conflict
(e.g. the task was completed by someone else), 413 too large, 422 invalid fields.

**Idempotent lead pushes.** `POST /leads` with the caller's `external_ref`: the same channel and reference
pushed again returns the existing lead with 200 instead of creating another (201).
"""


class DubanApi(Api):
    """flask-smorest without its app-wide HTTP error handler: the pages keep their own
    error pages; the API's blueprints have JSON handlers (web.api.security)."""

    ERROR_SCHEMA = ErrorOut

    def _register_error_handlers(self):
        pass


def init_api(app) -> DubanApi:
    from web.api import (decisions, definitions, instances, leads, messages, reference, tasks,  # noqa: F401
                         tokens)  # (their blueprints)
    from web.api.security import blueprints, json_method_not_allowed

    for key, value in (("API_TITLE", "Duban API"), ("API_VERSION", "v1"), ("OPENAPI_VERSION", "3.0.3"),
                       ("OPENAPI_URL_PREFIX", "/api/v1"), ("OPENAPI_JSON_PATH", "openapi.json")):
        app.config.setdefault(key, value)
    api = DubanApi(app, spec_kwargs={"info": {"description": API_DESCRIPTION}})
    api.spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "An API token (dbn_…) created by an administrator; it acts as its user within its scopes."})
    api.spec.components.security_scheme("cookieAuth", {
        "type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME", "session"),
        "description": "The pages' session; POST/DELETE also need the X-CSRFToken header."})
    for blueprint in blueprints():
        api.register_blueprint(blueprint)
    app.register_error_handler(405, json_method_not_allowed)
    app.extensions["duban-api"] = api
    return api


@bp.record_once
def _set_up(state):
    init_api(state.app)


@bp.get("/")
def index():
    return jsonify({"name": "Duban API", "version": "v1", "openapi": url_for("api-docs.openapi_json"),
                    "docs": url_for("api.docs")})


@bp.get("/docs")
def docs():
    """The OpenAPI document as a page: operations by resource, then the schemas."""
    spec = current_app.extensions["duban-api"].spec.to_dict()
    operations = {}
    for path, methods in spec.get("paths", {}).items():
        for method, operation in methods.items():
            if method == "parameters":
                continue
            tag = (operation.get("tags") or ["other"])[0]
            operations.setdefault(tag, []).append({"method": method.upper(), "path": path, **operation,
                                                   "parameters": methods.get("parameters", []) +
                                                   operation.get("parameters", [])})
    return render_template("api/docs.html", spec=spec, operations=operations, md=_markdown,
                           tags={t["name"]: t.get("description", "") for t in spec.get("tags", [])})


def _markdown(text) -> Markup:
    """The little Markdown the descriptions use: `code` and **bold** (the rest stays text)."""
    html = str(escape(text or ""))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", html))
