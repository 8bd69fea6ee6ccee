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
    from engine.workcal import workday_end
    workday_end()  # a wrong DUBAN_WORKDAY_END stops the start here, not at the first deadline
    hops = app.config["DUBAN_PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from web import http_request, params
    params.register(app)  # before any route: rules bind their converters when added
    http_request.register(app)

    from web.extensions import babel, csrf, db, limiter, login_manager, migrate
    from web.i18n import compile_catalogs, select_locale
    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(compile_catalogs())
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    from web.wiring import build_runtime
    with app.app_context():
        configure_engine(db.engine)
        app.extensions["duban"] = build_runtime(db.engine, app.config)

    from web import (admin, api, assets, auth, cases, cli, dashboard, documents, errors, inbox, main, notify_views,
                     presenters, publicity, supervise, tasks)
    for blueprint in (main.bp, auth.bp, assets.bp, inbox.bp, tasks.bp, cases.bp, documents.bp, supervise.bp,
                      notify_views.bp, admin.bp, dashboard.bp, publicity.bp, api.bp):
        app.register_blueprint(blueprint)
    from web import admin_calendar, admin_decisions, campaign, engine_rest, grid, inspections, returns, strike
    app.register_blueprint(grid.bp)  # grid workers' phone pages
    app.register_blueprint(strike.bp)  # 依法打击: criminal cases (web/strike.py)
    app.register_blueprint(inspections.bp)  # 机构排查 (inspections of institutions)
    app.register_blueprint(returns.bp)  # monthly returns (月报表)
    app.register_blueprint(admin_calendar.bp)
    app.register_blueprint(campaign.bp)  # the campaign, its phases and working groups
    app.register_blueprint(admin_decisions.bp)  # decision tables (DMN) and their editor
    app.register_blueprint(engine_rest.bp)  # Camunda 7's REST API for workers (web/engine_rest)
    errors.register(app)
    presenters.register(app)
    from web import logs
    logs.configure(app)
    from web.navigation import inject_navigation
    app.context_processor(inject_navigation)
    app.after_request(security_headers)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    cli.register(app)
    if app.config["DUBAN_SCHEDULER"] and not app.config.get("TESTING") and serves_requests():
        start_scheduler(app)
    return app


def serves_requests() -> bool:
    """Whether this app is built to serve requests (a WSGI server, `flask run`), not for a
    one-off command (`flask demo`, `flask db upgrade`, `flask worker` runs its own scheduler):
    those must not tick against a schema they are about to create, nor hold the scheduler."""
    import click
    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"


# Scripts only from files of this site: no inline <script> or on*= handlers (tests/test_security_headers.py).
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'")
# Whatever is not a page (JSON, XML, files) never runs scripts, even when opened on its own:
# a deployed BPMN's XML may carry XHTML <script> in its documentation, for instance.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


def security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP if response.mimetype == "text/html" else DATA_CSP)
    return response


def favicon():
    """Browsers ask for /favicon.ico whatever a page links: the same small SVG, not a 404."""
    from flask import current_app
    return current_app.send_static_file("favicon.svg")


def start_scheduler(app) -> None:
    scheduler = runtime_of(app).scheduler
    if scheduler.start():
        atexit.register(scheduler.shutdown)


def runtime_of(app):
    return app.extensions["duban"]


def engine_of(app):
    return runtime_of(app).engine
