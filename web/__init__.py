"""Duban's Flask app: `create_app()` builds it; `flask --app web ...` runs it."""
import os

from flask import Flask
from sqlalchemy.orm import sessionmaker

from engine.runtime import Engine
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
    with app.app_context():
        configure_engine(db.engine)
        app.extensions["duban.engine"] = Engine(sessionmaker(bind=db.engine, expire_on_commit=False),
                                                services=_services())

    from web import cli, main
    app.register_blueprint(main.bp)
    cli.register(app)
    return app


def _services():
    """Service functions BPMN scripts may call (the campaign's records)."""
    try:
        from domain.services import make_service_functions
    except ImportError:
        return None
    return make_service_functions


def engine_of(app) -> Engine:
    return app.extensions["duban.engine"]
