"""Flask extensions, created once and initialised in the app factory."""
import logging

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect as _CSRFProtect

from engine.store.base import Base
from engine.store.database import MIGRATIONS_DIR

# Flask-SQLAlchemy shares the engine's declarative metadata: one schema, one
# set of Alembic migrations for engine, domain and notifications tables.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate(directory=str(MIGRATIONS_DIR))


class CSRFProtect(_CSRFProtect):
    """Flask-WTF's CSRF check, also for a multipart body with a part without a name: Werkzeug
    keys such a part None, and Flask-WTF's search for a prefixed token field failed on it (a 500,
    for anyone, before signing in). Then only the plain field and the header count."""

    def _get_csrf_token(self):
        if all(isinstance(key, str) for key in request.form):
            return super()._get_csrf_token()
        headers = (request.headers.get(name) for name in current_app.config["WTF_CSRF_HEADERS"])
        return request.form.get(current_app.config["WTF_CSRF_FIELD_NAME"]) or next(filter(None, headers), None)


login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Where attempts are counted comes from the configuration (RATELIMIT_STORAGE_URI, web/config.py):
# Redis in production, shared by all workers; memory in development.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Its own logger has only a NullHandler: "storage unreachable, counting in memory" would be lost
# under gunicorn. Under the app's logger it reaches the error log like the app's other warnings.
limiter.logger = logging.getLogger("web.rate_limit")
