"""Shared fixtures: a database built by the Alembic migrations (SQLite by
default, PostgreSQL when DATABASE_URL says so), a manual clock, an engine."""
import os
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from engine import clock as clock_module
from engine.runtime import Engine
import domain.models  # noqa: F401  (tables the cleanup must know)
import engine.store.calendar_models  # noqa: F401
import engine.store.supervision_models  # noqa: F401
import notifications.models  # noqa: F401
from domain.crypto import configure_field_keys, generate_field_key
from engine.store.base import Base
from engine.store.database import make_engine, make_session_factory, upgrade

# Monday 2 March 2026, 09:00 in Beijing.
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def _reset_postgres(url):
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgresql"):
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'duban-test.sqlite'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def db_engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(db_engine):
    yield make_session_factory(db_engine)
    with db_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def clock():
    manual = clock_module.ManualClock(START)
    clock_module.install(manual)
    yield manual
    clock_module.install(clock_module.SystemClock())


@pytest.fixture
def engine(session_factory, clock):
    return Engine(session_factory, clock=clock, node_id="test-node")


@pytest.fixture
def domain_db(session_factory):
    """The shared migrated database, under the name the domain tests use."""
    return session_factory


@pytest.fixture
def field_key():
    """A fresh key for encrypting reporter identities."""
    key = generate_field_key()
    configure_field_keys(key)
    yield key
    configure_field_keys()


@pytest.fixture
def session(session_factory, field_key, clock):
    """A session on the migrated database with the demo units (no other demo data)."""
    from domain.demo import create_units

    with session_factory() as db_session:
        create_units(db_session)
        db_session.commit()
        yield db_session
        db_session.rollback()
