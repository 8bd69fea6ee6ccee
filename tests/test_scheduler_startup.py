"""A first start on an empty database: the in-process scheduler waits for the schema instead
of failing on missing tables (what `./dev run` printed as `no such table: timer` tracebacks),
and one-off `flask` commands do not run it at all."""
import logging
import time

import click

from engine.store.database import upgrade


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_scheduler_on_an_empty_database_waits_for_the_schema_without_a_traceback(tmp_path, caplog,
                                                                                   field_key):
    from web import create_app, runtime_of
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    caplog.set_level(logging.INFO)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DUBAN_SCHEDULER": True, "SECRET_KEY": "test-secret",
                      "DUBAN_UPLOAD_DIR": str(tmp_path / "uploads")})
    scheduler = runtime_of(app).scheduler
    try:
        assert scheduler.running
        # The first tick runs at start, in the scheduler's thread, and says what it does.
        assert _wait_for(lambda: any(record.name == "engine.scheduler" for record in caplog.records))
        assert scheduler.tick() == {}  # a safety sweep before the migration: nothing read
        failures = [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]
        assert failures == [], [record.getMessage() for record in failures]
        assert "the database has no schema yet" in caplog.text
        upgrade(url)
        assert scheduler.tick() == {"timers": 0, "escalations": 0, "deliveries": 0}
        assert scheduler.next_due() is None
    finally:
        scheduler.shutdown()
    failures = [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]
    assert failures == [], [record.getMessage() for record in failures]
    assert caplog.text.count("the database has no schema yet") == 1  # said once, not every sweep


def test_only_serving_runs_the_scheduler_not_one_off_commands():
    from web import serves_requests
    assert serves_requests()  # a WSGI server imports the app outside any command
    for command, serves in (("run", True), ("demo", False), ("db", False), ("worker", False)):
        with click.Context(click.Command(command), info_name=command):
            assert serves_requests() is serves, command
