"""Flask extensions, created once and initialised in the app factory."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from engine.store.base import Base
from engine.store.database import MIGRATIONS_DIR

# Flask-SQLAlchemy shares the engine's declarative metadata: one schema, one
# set of Alembic migrations for engine, domain and notifications tables.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate(directory=str(MIGRATIONS_DIR))
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# In-memory counters per process; several processes each count their own.
limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")
