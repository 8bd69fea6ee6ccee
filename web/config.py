"""Configuration from environment variables (12-factor), with safe defaults for development."""
import os
import secrets
from datetime import timedelta


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def production_mode() -> bool:
    """The production run mode: `gunicorn -c gunicorn.conf.py` sets DUBAN_MODE=production (unless set
    otherwise); `./dev run`, `flask` commands and the tests run in development mode."""
    mode = os.environ.get("DUBAN_MODE", "development").strip().lower()
    if mode not in ("production", "development"):
        raise ValueError(f"DUBAN_MODE must be production or development, not {mode!r}")
    return mode == "production"


def rate_limit_settings(production: bool) -> dict:
    """Flask-Limiter's storage for the sign-in limits. In production every worker counts in one
    Redis, so the limit holds however many processes answer; the one development process counts
    in memory. If the storage cannot be reached, Flask-Limiter logs it and counts in each process's
    memory until it is back (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED): the limits hold, per process."""
    storage = os.environ.get("DUBAN_RATE_LIMIT_STORAGE") or ("redis://127.0.0.1:6379/0" if production else "memory://")
    # A Redis that does not answer must not hold up a sign-in for long before the fallback.
    options = {"socket_connect_timeout": 1, "socket_timeout": 1} if storage.startswith("redis") else {}
    return {"RATELIMIT_STORAGE_URI": storage, "RATELIMIT_STORAGE_OPTIONS": options,
            "RATELIMIT_KEY_PREFIX": os.environ.get("DUBAN_RATE_LIMIT_PREFIX", "duban"),
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True}


def _persistent_secret(instance_path: str) -> str:
    """DUBAN_SECRET_KEY, or a key kept in instance/secret_key so sessions and
    encrypted reporter fields survive a restart of a development install."""
    if os.environ.get("DUBAN_SECRET_KEY"):
        return os.environ["DUBAN_SECRET_KEY"]
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    with open(path) as handle:
        return handle.read().strip()


def from_environment(instance_path: str) -> dict:
    default_db = f"sqlite:///{os.path.join(instance_path, 'duban.sqlite')}"
    production = production_mode()
    return {
        "SECRET_KEY": _persistent_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": os.environ.get("DUBAN_LOCALE", "zh"),
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=int(os.environ.get("DUBAN_SESSION_MINUTES", "480"))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # The session cookie travels only over HTTPS in production; `./dev run` serves plain http.
        "SESSION_COOKIE_SECURE": _bool("DUBAN_SECURE_COOKIES", production),
        **rate_limit_settings(production),
        "MAX_CONTENT_LENGTH": int(os.environ.get("DUBAN_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
        "DUBAN_UPLOAD_DIR": os.environ.get("DUBAN_UPLOAD_DIR", os.path.join(instance_path, "uploads")),
        # Run the APScheduler inside the web process (`./dev run` and gunicorn set it);
        # off by default so CLI commands do not start one. `flask worker` runs it alone.
        "DUBAN_SCHEDULER": _bool("DUBAN_SCHEDULER", False),
        "DUBAN_SMTP_HOST": os.environ.get("DUBAN_SMTP_HOST"),
        "DUBAN_SMTP_PORT": int(os.environ.get("DUBAN_SMTP_PORT", "25")),
        "DUBAN_MAIL_SENDER": os.environ.get("DUBAN_MAIL_SENDER", "duban@localhost"),
        "DUBAN_WEBHOOK_SECRET": os.environ.get("DUBAN_WEBHOOK_SECRET"),
        # Where `flask report-worker` posts closed leads' completion reports (报送办结情况); unset:
        # the reports are recorded with the case, not sent.
        "DUBAN_SUPERIOR_PLATFORM_URL": os.environ.get("DUBAN_SUPERIOR_PLATFORM_URL") or None,
        "DUBAN_BASE_URL": os.environ.get("DUBAN_BASE_URL", "http://127.0.0.1:5000"),
        "DUBAN_JSON_LOGS": _bool("DUBAN_JSON_LOGS", False),
        "DUBAN_LOG_LEVEL": os.environ.get("DUBAN_LOG_LEVEL", "INFO"),
        # Reverse proxies in front of gunicorn whose X-Forwarded-For/-Proto/-Host to believe (0: none).
        # Behind nginx set 1: otherwise every client has the proxy's address, and the per-address
        # sign-in limit counts the whole city together.
        "DUBAN_PROXY_HOPS": int(os.environ.get("DUBAN_PROXY_HOPS", "0")),
    }
