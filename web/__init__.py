"""Duban's Flask app: `create_app()` builds it; `flask --app web ...` runs it."""
import atexit
import os

from flask import Flask

from engine.store.database import configure_engine


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("DUBAN_INSTANCE_PATH") or None,
                instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    from web.config import from_environment
    app.config.update(from_environment(app.instance_path))
    app.config.update(overrides or {})

    from web.extensions import db, migrate
    db.init_app(app)
    migrate.init_app(app, db)
    from web.wiring import build_runtime
    with app.app_context():
        configure_engine(db.engine)
        app.extensions["duban"] = build_runtime(db.engine, app.config)

    from web import cli, main
    app.register_blueprint(main.bp)
    cli.register(app)
    if app.config["DUBAN_SCHEDULER"] and not app.config.get("TESTING"):
        start_scheduler(app)
    return app


def start_scheduler(app) -> None:
    scheduler = runtime_of(app).scheduler
    if scheduler.start():
        atexit.register(scheduler.shutdown)


def runtime_of(app):
    return app.extensions["duban"]


def engine_of(app):
    return runtime_of(app).engine
