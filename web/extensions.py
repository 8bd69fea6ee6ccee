"""Flask extensions, created once and initialised in the app factory."""
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from engine.store.base import Base
from engine.store.database import MIGRATIONS_DIR

# Flask-SQLAlchemy shares the engine's declarative metadata: one schema, one
# set of Alembic migrations for engine, domain and notifications tables.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate(directory=str(MIGRATIONS_DIR))
