"""How the app reads a request: HEAD like GET, JSON within limits (web.json_body).

`register(app)` installs both for the whole app.
"""
from flask import Request
from werkzeug.exceptions import BadRequest

from web.json_body import JSONBodyError, LimitedJSONProvider


class DubanRequest(Request):
    """HEAD is GET without the body (RFC 9110 §9.3.2). Views see "GET", so a view asking
    `request.method == "GET"` answers HEAD the same way instead of taking it for a form post;
    werkzeug still leaves the body out, as it reads the method from the WSGI environ.
    CSRF checks and rate limits only concern POST and the like, which this does not touch."""

    def __init__(self, environ, *args, **kwargs):
        super().__init__(environ, *args, **kwargs)
        if self.method == "HEAD":
            self.method = "GET"

    def on_json_loading_failed(self, e):
        if isinstance(e, JSONBodyError):
            raise BadRequest(str(e)) from e
        return super().on_json_loading_failed(e)


def register(app) -> None:
    app.request_class = DubanRequest
    app.json = LimitedJSONProvider(app)
