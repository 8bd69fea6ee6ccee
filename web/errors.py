"""Engine errors as the user sees them: HTTP status codes and messages."""
from flask import flash, jsonify, render_template, request
from flask_babel import gettext as _

from engine.errors import (
    BpmnValidationError,
    ConflictError,
    DubanError,
    InvalidOperation,
    NotFound,
    PermissionDenied,
)

STATUS = [(NotFound, 404), (PermissionDenied, 403), (ConflictError, 409), (BpmnValidationError, 422),
          (InvalidOperation, 422), (DubanError, 400)]


def status_of(err: DubanError) -> int:
    return next(code for kind, code in STATUS if isinstance(err, kind))


def flash_engine_error(err: DubanError) -> None:
    if isinstance(err, ConflictError):
        flash(_("Someone else changed this first: %(message)s", message=str(err)), "warning")
    else:
        flash(str(err), "error")


def register(app):
    @app.errorhandler(DubanError)
    def engine_error(err):
        code = status_of(err)
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            return jsonify({"error": type(err).__name__, "message": str(err)}), code
        return render_template("error.html", code=code, message=str(err)), code

    for code, text in ((403, "You may not open this page."), (404, "This page does not exist."),
                       (413, "The upload is too large."), (429, "Too many attempts; wait a minute.")):
        def handler(err, code=code, text=text):
            if request.path.startswith("/api/"):
                return jsonify({"error": code, "message": text}), code
            return render_template("error.html", code=code, message=_(text)), code
        app.register_error_handler(code, handler)
