"""Engine errors as the user sees them: HTTP status codes and messages."""
from flask import current_app, flash, has_request_context, jsonify, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest

from engine.errors import (
    BpmnValidationError,
    ConflictError,
    DubanError,
    InvalidOperation,
    NotFound,
    PermissionDenied,
)
from web.params import BadParameter

STATUS = [(NotFound, 404), (PermissionDenied, 403), (ConflictError, 409), (BpmnValidationError, 422),
          (InvalidOperation, 422), (DubanError, 400)]


def status_of(err: DubanError) -> int:
    return next(code for kind, code in STATUS if isinstance(err, kind))


def engine_message(err: DubanError) -> str:
    """The engine's message in the page's language (catalog area "engine"); as the engine wrote
    it if the catalog has no translation. Its values are translated too when they are words the
    catalog knows (a status, an action), not when they are names."""
    template = getattr(err, "template", None)
    if not template:
        return str(err)
    params = {key: _(value) if isinstance(value, str) and value else value
              for key, value in err.params.items()}
    try:
        return _(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return str(err)


def flash_engine_error(err: DubanError) -> None:
    if isinstance(err, ConflictError):
        flash(_("Someone else changed this first: %(message)s", message=engine_message(err)), "warning")
    else:
        flash(engine_message(err), "error")


def csrf_message() -> str:
    return _("This form has expired or was not sent from this site; nothing was changed. "
             "Reload the page and try again.")


def csrf_failed(err: CSRFError):
    """A state-changing request without a valid CSRF token (400), in the page's language.
    The JSON API and the administration's JSON endpoints answer in their own format."""
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": 400, "message": csrf_message()}), 400
    return render_template("error.html", code=400, message=csrf_message()), 400


def bad_request(err: BadRequest):
    """400 with what was wrong: a query parameter names itself (web.params.BadParameter) in the
    page's language; JSON callers get the English description in the usual shape."""
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": 400, "message": err.description}), 400
    message = err.translated() if isinstance(err, BadParameter) else _("The request is malformed.")
    return render_template("error.html", code=400, message=message), 400


UNAVAILABLE = "The database cannot be reached at the moment. Please try again in a minute."
# A page of its own: the usual layout asks the database for the signed-in user and the navigation counts.
UNAVAILABLE_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>503 · {title}</title></head>
<body><main style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto">
<div class="alert alert-danger" id="error-page" role="alert"><h1>503</h1><p>{message}</p></div>
</main></body></html>
"""


def database_unavailable(err):
    """The database is down, restarting or out of connections: 503 with a message, not a 500.
    Nothing here may touch the database (not even the signed-in user)."""
    current_app.logger.warning("database unavailable on %s %s: %s", request.method, request.path,
                               str(getattr(err, "orig", None) or err).strip().splitlines()[0])
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = jsonify({"code": 503, "status": "Service Unavailable", "message": UNAVAILABLE})
    else:
        from web.i18n import LOCALES
        locale = session.get("locale") if session.get("locale") in LOCALES else "zh"
        with force_locale(locale):
            page = UNAVAILABLE_PAGE.format(lang="en" if locale == "en" else "zh-CN", title=escape(_("Duban")),
                                           message=escape(_(UNAVAILABLE)))
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    return response


def end_session(_exc=None):
    """End the request's database session. If the database dropped the connection meanwhile
    (a restart), ending it fails: the request is finished, so that must not turn into a 500."""
    from web.extensions import db
    try:
        db.session.remove()
    except (OperationalError, InterfaceError) as err:
        where = f"{request.method} {request.path}" if has_request_context() else "a command"
        current_app.logger.warning("database connection lost at the end of %s: %s", where,
                                   str(getattr(err, "orig", None) or err).strip().splitlines()[0])
        db.session.registry.clear()


def register(app):
    for kind in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(kind, database_unavailable)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run in reverse).
    app.teardown_appcontext(end_session)

    app.register_error_handler(CSRFError, csrf_failed)

    @app.errorhandler(DubanError)
    def engine_error(err):
        code = status_of(err)
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            return jsonify({"error": type(err).__name__, "message": str(err)}), code
        return render_template("error.html", code=code, message=engine_message(err)), code

    app.register_error_handler(400, bad_request)

    for code, text in ((403, "You may not open this page."), (404, "This page does not exist."),
                       (413, "The upload is too large."), (429, "Too many attempts; wait a minute.")):
        def handler(err, code=code, text=text):
            if request.path.startswith("/api/"):
                return jsonify({"error": code, "message": text}), code
            return render_template("error.html", code=code, message=_(text)), code
        app.register_error_handler(code, handler)
