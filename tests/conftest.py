"""Shared fixtures: a database built by the Alembic migrations (SQLite by
default, PostgreSQL when DATABASE_URL says so), a manual clock, an engine."""
import os
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from engine import clock as clock_module
from engine.runtime import Engine
import domain.api_tokens  # noqa: F401
import domain.documents.models  # noqa: F401
import domain.models  # noqa: F401  (tables the cleanup must know)
import engine.store.calendar_models  # noqa: F401
import engine.store.decision_models  # noqa: F401
import engine.store.supervision_models  # noqa: F401
import notifications.models  # noqa: F401
from domain.crypto import configure_field_keys, generate_field_key
from engine.store.base import Base
from engine.store.database import make_engine, make_session_factory, upgrade

# Every commit checks the task rows it wrote against a whole serialization (engine.runtime).
os.environ.setdefault("DUBAN_VERIFY_STATE", "1")

# Monday 2 March 2026, 09:00 in Beijing.
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


@contextmanager
def _throwaway_postgres_database(url):
    """A fresh database per test run on the server DATABASE_URL names, dropped afterwards,
    so several runs (developers, CI, helpers) can share one PostgreSQL server."""
    from sqlalchemy.engine import make_url
    base = make_url(url)
    name = f"duban_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)  # survives a server restart
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgresql"):
        with _throwaway_postgres_database(url) as throwaway:
            upgrade(throwaway)
            yield throwaway
        return
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'duban-test.sqlite'}"
    upgrade(url)
    yield url


@pytest.fixture(scope="session")
def db_engine(database_url):
    # Pre-ping: the reliability tests restart the PostgreSQL server; pooled connections die with it.
    engine = make_engine(database_url, pool_pre_ping=True)
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


# -- the web app ---------------------------------------------------------------

DEMO_PASSWORD = "duban-demo-2026"


def _fast_hash(password):
    # Demo users in tests: a cheap hash keeps fixtures fast (real runs use scrypt).
    from werkzeug.security import generate_password_hash
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


@pytest.fixture
def app(database_url, session_factory, tmp_path, field_key, clock):
    """The Flask app on the test database (empty), the manual clock installed."""
    from web import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                      "DUBAN_HASH_PASSWORD": _fast_hash, "DUBAN_UPLOAD_DIR": str(tmp_path / "uploads"),
                      "RATELIMIT_ENABLED": False})
    yield app
    from web.extensions import db
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# What `flask demo` leaves behind, per database: rows of every table, the uploaded files and the field
# key that encrypted its reporters. Playing the demo through the real processes takes seconds; putting
# its rows back takes a fraction of that, and each test still gets the same fresh world.
_demo_snapshots = {}


@pytest.fixture
def demo(app, database_url, db_engine, field_key):
    """Demo units, users, leads, processes deployed and started (as `flask demo` does)."""
    from domain.crypto import configure_field_keys
    uploads = Path(app.config["DUBAN_UPLOAD_DIR"])
    snapshot = _demo_snapshots.get(database_url)
    if snapshot is None:
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        _demo_snapshots[database_url] = _take_snapshot(db_engine, uploads, field_key)
    else:
        configure_field_keys(snapshot["field_key"])
        _restore_snapshot(db_engine, uploads, snapshot)
    return app


def _take_snapshot(db_engine, uploads, key):
    from engine.store.base import Base
    with db_engine.connect() as conn:
        # In id order: a row that refers to another of its table (a duplicate lead) comes after it.
        rows = {table.name: [dict(row) for row in conn.execute(
                    table.select().order_by(*table.primary_key.columns)).mappings()]
                for table in Base.metadata.sorted_tables}
    files = {str(path.relative_to(uploads)): path.read_bytes()
             for path in uploads.rglob("*") if path.is_file()} if uploads.exists() else {}
    return {"rows": rows, "files": files, "field_key": key}


def _restore_snapshot(db_engine, uploads, snapshot):
    from engine.store.base import Base
    with db_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        for table in Base.metadata.sorted_tables:
            rows = snapshot["rows"][table.name]
            if rows:
                conn.execute(table.insert(), rows)
        if conn.dialect.name == "postgresql":  # ids go on from the snapshot's, as after a real demo
            sequences = conn.execute(text(
                "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL")).all()
            for table_name, column_name, sequence in sequences:
                conn.execute(text(f"SELECT setval('{sequence}', COALESCE((SELECT MAX(\"{column_name}\") "
                                  f"FROM \"{table_name}\"), 0) + 1, false)"))
    for relative, content in snapshot["files"].items():
        target = uploads / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


@pytest.fixture
def client(demo):
    return demo.test_client()


def login(client, username, password=DEMO_PASSWORD):
    """Sign in through the real form (CSRF token included)."""
    import re
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.text
    return client


def csrf_token(client, path="/inbox/"):
    """A CSRF token from any page the signed-in user can open."""
    import re
    page = client.get(path)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 that records what arrives (notifications tests)."""
    from notifications.testing import smtp_server
    with smtp_server() as recorder:
        yield recorder
