"""Production run mode: `gunicorn -c gunicorn.conf.py "web:create_app()"`.

Several app processes (workers) against one PostgreSQL, configured by environment
variables. Each worker may run a scheduler (DUBAN_SCHEDULER=1): rows are claimed
with FOR UPDATE SKIP LOCKED, so timers and escalations still fire once. Or run
the scheduler separately with `flask --app web worker` and DUBAN_SCHEDULER=0 here.
"""
import os

# Production defaults in web/config.py: sign-in limits counted in Redis, Secure session cookie.
os.environ.setdefault("DUBAN_MODE", "production")

bind = os.environ.get("DUBAN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("DUBAN_WORKERS", "2"))
threads = int(os.environ.get("DUBAN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("DUBAN_TIMEOUT", "60"))
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
# One JSON object per access-log line, like the app's own logs.
access_log_format = ('{"time":"%(t)s","remote":"%(h)s","method":"%(m)s","path":"%(U)s","status":%(s)s,'
                     '"bytes":"%(B)s","ms":%(M)s}')
# Load the app in each worker, after fork: database connections and scheduler threads are per process.
preload_app = False
