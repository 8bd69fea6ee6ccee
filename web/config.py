"""Configuration from environment variables (12-factor), with safe defaults for development."""
import os
import secrets
from datetime import timedelta


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def from_environment(instance_path: str) -> dict:
    default_db = f"sqlite:///{os.path.join(instance_path, 'duban.sqlite')}"
    return {
        "SECRET_KEY": os.environ.get("DUBAN_SECRET_KEY") or secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": os.environ.get("DUBAN_LOCALE", "zh_CN"),
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=int(os.environ.get("DUBAN_SESSION_MINUTES", "480"))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("DUBAN_SECURE_COOKIES", False),
        "MAX_CONTENT_LENGTH": int(os.environ.get("DUBAN_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
        "DUBAN_UPLOAD_DIR": os.environ.get("DUBAN_UPLOAD_DIR", os.path.join(instance_path, "uploads")),
        # Run the APScheduler inside the web process (off for a separate `flask worker`).
        "DUBAN_SCHEDULER": _bool("DUBAN_SCHEDULER", True),
        "DUBAN_SMTP_HOST": os.environ.get("DUBAN_SMTP_HOST"),
        "DUBAN_SMTP_PORT": int(os.environ.get("DUBAN_SMTP_PORT", "25")),
        "DUBAN_MAIL_SENDER": os.environ.get("DUBAN_MAIL_SENDER", "duban@localhost"),
        "DUBAN_WEBHOOK_SECRET": os.environ.get("DUBAN_WEBHOOK_SECRET"),
        "DUBAN_BASE_URL": os.environ.get("DUBAN_BASE_URL", "http://127.0.0.1:5000"),
    }
