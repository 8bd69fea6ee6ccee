"""A Duban web process of its own for the reliability tests: `python -m tests.reliability_server`.

Serves the app (threaded, like a gunicorn gthread worker) on a free local port and writes the
port to --port-file. With --pause it stops inside the first task completion it runs:

    before-commit  after every statement of the command has run (domain records, task rows,
                   audit events, a started sub-process ...), just before COMMIT;
    after-commit   just after that COMMIT, before the response is sent;

and writes --pause-file, so the test can kill the process with SIGKILL at exactly that point.
The hook only watches SQLAlchemy events: the engine and the views run unchanged.
"""
import argparse
import json
import os
import time
from datetime import datetime


def install_pause(db_engine, when: str, pause_file: str) -> None:
    """Stop the thread that writes a task.completed audit event at the chosen moment of its transaction.

    The event is recognised in the SQL itself (an INSERT INTO audit_event carrying
    'task.completed'), so it works whether the engine writes audit rows through the ORM
    or as plain INSERTs."""
    import threading

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    armed, marked = {"on": True}, threading.local()

    def pause():
        armed["on"] = False
        partial = pause_file + ".part"
        with open(partial, "w") as handle:  # what the transaction wrote, for the test to check
            json.dump({"pid": os.getpid(), "writes": getattr(marked, "writes", [])}, handle)
        os.replace(partial, pause_file)
        while True:  # until SIGKILL
            time.sleep(60)

    @event.listens_for(db_engine, "begin")
    def began(_connection):
        marked.writes = []

    @event.listens_for(db_engine, "before_cursor_execute")
    def watch(_connection, _cursor, statement, parameters, _context, _executemany):
        words = statement.split(None, 3)
        if words and words[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            table = words[2] if words[0].upper() in ("INSERT", "DELETE") else words[1]
            getattr(marked, "writes", []).append(f"{words[0].upper()} {table.strip(chr(34))}")
        if (armed["on"] and statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT")
                and "task.completed" in repr(parameters)):
            marked.completing = True

    @event.listens_for(db_engine, "rollback")
    def rolled_back(_connection):
        marked.completing = False

    if when == "before-commit":
        @event.listens_for(db_engine, "commit")
        def before_commit(_connection):  # every statement has run; COMMIT is next
            if getattr(marked, "completing", False):
                pause()
    else:
        @event.listens_for(Session, "after_commit")
        def after_commit(_session):  # the COMMIT is done
            if getattr(marked, "completing", False):
                pause()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--now", required=True, help="the test's clock (ISO time)")
    parser.add_argument("--upload-dir", required=True)
    parser.add_argument("--pause", choices=["none", "before-commit", "after-commit"], default="none")
    parser.add_argument("--pause-file")
    args = parser.parse_args(argv)

    from engine import clock
    clock.install(clock.ManualClock(datetime.fromisoformat(args.now)))
    from web import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "test-secret",
                      "DUBAN_UPLOAD_DIR": args.upload_dir, "RATELIMIT_ENABLED": False, "DUBAN_SCHEDULER": False})
    if args.pause != "none":
        from web.extensions import db
        with app.app_context():
            install_pause(db.engine, args.pause, args.pause_file)

    import logging
    from werkzeug.serving import make_server
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    partial = args.port_file + ".part"
    with open(partial, "w") as handle:
        handle.write(str(server.server_port))
    os.replace(partial, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
