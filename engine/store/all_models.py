"""Import every module that declares tables, so Base.metadata is complete
(for Alembic autogenerate and for schema checks)."""
from engine.store import calendar_models, models  # noqa: F401
from engine.store.base import Base

metadata = Base.metadata
