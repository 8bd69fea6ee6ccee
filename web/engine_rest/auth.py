"""Who calls /engine-rest: a Duban API token, never the pages' session.

- `Authorization: Bearer dbn_…`: the token (domain.api_tokens), as for /api/v1;
- `Authorization: Basic base64(username:token)`: for Camunda clients that only speak Basic
  (the Python client's `auth_basic`); the password is an API token of that very user.
  A user's sign-in password is never accepted here: it is not limited to scopes, and guessing
  it here would get round the sign-in form's rate limits.

No cookie counts, so a browser cannot be made to call these endpoints (no CSRF exposure) and
CSRF tokens do not apply. Each view declares its scope with `requires`; a view without one is
refused (403). External tasks and messages reach every unit's instances, so their users must
oversee every unit (the special office, office leaders, administrators), besides holding the
scope an administrator gave the token.
"""
import base64
import binascii

from flask import current_app, g, request

from domain.api_tokens import SCOPES, authenticate
from web.access import CurrentUser
from web.api.security import DEFAULT_MAX_BODY, _touch
from web.engine_rest.errors import AUTHORIZATION, REST, CamundaError
from web.extensions import db

EXTERNAL_TASKS = "external-tasks"
MESSAGES = "messages"


def requires(scope: str, *roles: str, all_units: bool = True):
    """The view needs a token with `scope`, a user with one of `roles` (if given) and, with
    `all_units`, a user who oversees every unit."""
    assert scope in SCOPES, scope

    def decorate(view):
        view._engine_rest_rights = (scope, roles, all_units)
        return view
    return decorate


def _unauthorized(message: str):
    raise CamundaError(message, 401, REST)


def _forbidden(message: str):
    raise CamundaError(message, 403, AUTHORIZATION)


def _credentials() -> tuple[str | None, str]:
    """(username or None, secret) from the Authorization header."""
    header = request.headers.get("Authorization")
    if not header:
        _unauthorized("Send 'Authorization: Bearer <API token>' or Basic with your username and an API token.")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return None, value.strip()
    if scheme.lower() == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            _unauthorized("The Basic credentials are not base64 of 'username:token'.")
        username, colon, secret = decoded.partition(":")
        if colon and username:
            return username, secret
        _unauthorized("The Basic credentials are not base64 of 'username:token'.")
    _unauthorized("Use 'Authorization: Bearer <API token>' or Basic with your username and an API token.")


def authenticate_request():
    """Before every /engine-rest request: the token, its scope, its user's rights."""
    request.max_content_length = current_app.config.get("DUBAN_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY)
    username, secret = _credentials()
    token = authenticate(db.session, secret)
    if token is None or (username is not None and token.user.username != username):
        _unauthorized("The API token is unknown, revoked or expired, or not the user's.")
    user = CurrentUser(token.user)
    _touch(token)
    view = current_app.view_functions.get(request.endpoint)
    scope, roles, all_units = getattr(view, "_engine_rest_rights", (None, (), True))
    if scope is None or scope not in token.scope_set:
        _forbidden(f"The token lacks the scope {scope!r}." if scope else "This operation is not open to tokens.")
    if roles and not user.has_role(*roles):
        _forbidden(f"Only a user with the role {' or '.join(roles)} may do this.")
    if all_units and not user.sees_everything:
        _forbidden("Only users who oversee every unit (the special office, office leaders, administrators) "
                   "may do this.")
    g.engine_rest_user = user


def caller() -> CurrentUser:
    return g.engine_rest_user
