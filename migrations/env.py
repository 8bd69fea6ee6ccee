"""Alembic environment for Duban.

The database URL comes from, in order: the Alembic config (set by
engine.store.database.upgrade), the Flask app (when run as `flask db ...`),
or the DATABASE_URL environment variable.
"""
from alembic import context
from sqlalchemy import engine_from_config, pool

# Every module that declares tables, so Base.metadata is complete.
import domain.api_tokens  # noqa: F401,E402
import domain.documents.models  # noqa: F401,E402
import domain.models  # noqa: F401,E402
import engine.store.calendar_models  # noqa: F401,E402
import engine.store.decision_models  # noqa: F401,E402
import engine.store.models  # noqa: F401,E402
import engine.store.supervision_models  # noqa: F401,E402
import notifications.models  # noqa: F401,E402
from engine.store.base import Base
from engine.store.database import database_url

metadata = Base.metadata

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    try:
        from flask import current_app
        return current_app.config["SQLALCHEMY_DATABASE_URI"]
    except (ImportError, RuntimeError, KeyError):
        return database_url()


def run_migrations_offline():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = engine_from_config({"sqlalchemy.url": _url()}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        # render_as_batch lets ALTER TABLE work on SQLite too.
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
