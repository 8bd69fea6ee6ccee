"""APScheduler drives timers, the escalation ladder and notification delivery.

It sleeps until the next due time instead of polling instances: after each
tick it asks the timer, escalation and delivery tables for their earliest due
time and arms a one-off job for that moment. Commands that write a nearer due
time wake it through `Engine.on_wake`. A short safety sweep catches what a
sleeping process cannot know (rows written by another process). The first
tick runs at start, so timers that came due while the app was down fire then.

Several processes may each run a scheduler against one PostgreSQL database:
rows are claimed with FOR UPDATE SKIP LOCKED and leases, so each fires once.
SQLite allows one scheduler per database file; a second one stays off and
says so.

Nothing is read before the schema exists: until the database carries the
migrations' head revision (a fresh database, or `flask db upgrade` still
running) each tick only checks again, and says once that it waits.
"""
import fcntl
import logging
import os
import threading
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from engine.store.database import MIGRATIONS_DIR

log = logging.getLogger(__name__)

WAKE_JOB = "duban-wake"
SAFETY_JOB = "duban-safety-sweep"


class SingleSchedulerLock:
    """An exclusive lock file next to a SQLite database: one scheduler per file."""

    def __init__(self, database_path: str):
        self.path = f"{database_path}.scheduler.lock"
        self._file = None

    def acquire(self) -> bool:
        self._file = open(self.path, "w")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.close()
            self._file = None
            return False
        self._file.write(str(os.getpid()))
        self._file.flush()
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def schema_is_ready(bind, migrations=MIGRATIONS_DIR) -> bool:
    """True once the database is at the migrations' head (or at a revision newer than this code knows)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    with bind.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if not current:
        return False  # no schema yet (or no alembic_version table)
    script = ScriptDirectory(str(migrations))
    if set(script.get_heads()) <= current:
        return True
    try:
        for revision in current:
            script.get_revision(revision)
    except CommandError:
        return True  # migrated by a newer release than this one
    return False


class DubanScheduler:
    def __init__(self, engine, escalator=None, deliver=None, next_delivery=None,
                 safety_interval: float = 15.0, batch: int = 500, schema_ready=None):
        """`deliver()` sends due notifications; `next_delivery()` returns when the next one is due;
        `schema_ready()` says whether the tables exist (default: the database is at the migrations' head)."""
        self.engine = engine
        self._schema_ready = schema_ready or (lambda: schema_is_ready(engine.session_factory.kw["bind"]))
        self._schema_seen = False
        self._waiting_said = False
        self.escalator = escalator
        self.deliver = deliver
        self.next_delivery = next_delivery
        self.safety_interval = safety_interval
        self.batch = batch
        self._scheduler = BackgroundScheduler(timezone=timezone.utc)
        self._tick_lock = threading.Lock()
        self._arm_lock = threading.Lock()
        self._armed_for: datetime | None = None
        self._sqlite_lock = None
        self.running = False

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> bool:
        """Start sweeping; returns False (and logs why) when this process must not run one."""
        url = self.engine.session_factory.kw["bind"].url
        if url.get_backend_name() == "sqlite":
            self._sqlite_lock = SingleSchedulerLock(url.database or "memory")
            if not self._sqlite_lock.acquire():
                log.warning("SQLite: another process already runs the scheduler for %s; this one does not. "
                            "Use PostgreSQL to run schedulers in several processes.", url.database)
                return False
            log.info("SQLite: running the single scheduler in this process (pid %s).", os.getpid())
        self.engine.on_wake(self.wake_at)
        self._scheduler.start()
        self._scheduler.add_job(self.tick, "interval", seconds=self.safety_interval, id=SAFETY_JOB,
                                max_instances=1, coalesce=True)
        self._arm(datetime.now(timezone.utc))  # catch up on whatever came due while we were down
        self.running = True
        return True

    def shutdown(self) -> None:
        if self.running:
            self._scheduler.shutdown(wait=True)
            self.running = False
        if self._sqlite_lock is not None:
            self._sqlite_lock.release()

    # -- waking ---------------------------------------------------------------

    def _arm(self, moment: datetime) -> None:
        now = datetime.now(timezone.utc)
        moment = max(moment, now)
        self._armed_for = moment
        self._scheduler.add_job(self.tick, DateTrigger(run_date=moment), id=WAKE_JOB, replace_existing=True,
                                max_instances=1, misfire_grace_time=None, coalesce=True)

    def _arm_if_nearer(self, moment: datetime) -> None:
        """Arm for `moment` unless a nearer wake-up is still ahead. An armed time in the
        past belongs to a tick that already ran (or is running), so it no longer counts."""
        with self._arm_lock:
            now = datetime.now(timezone.utc)
            if self._armed_for is None or self._armed_for <= now or moment < self._armed_for:
                self._arm(moment)

    def wake_at(self, moment: datetime) -> None:
        """Re-arm if `moment` is nearer than what the scheduler sleeps until."""
        if self.running:
            self._arm_if_nearer(moment)

    def schema_ready(self) -> bool:
        """Whether the tables exist; once they do, never asked again."""
        if not self._schema_seen:
            self._schema_seen = bool(self._schema_ready())
            if not self._schema_seen and not self._waiting_said:
                self._waiting_said = True
                log.info("the database has no schema yet (run `flask --app web db upgrade`); "
                         "the scheduler starts its work once it has")
        return self._schema_seen

    def next_due(self) -> datetime | None:
        if not self.schema_ready():
            return None
        candidates = [self.engine.next_timer_due()]
        if self.escalator is not None:
            candidates.append(self.escalator.next_due())
        if self.next_delivery is not None:
            candidates.append(self.next_delivery())
        candidates = [c for c in candidates if c is not None]
        return min(candidates) if candidates else None

    # -- work -----------------------------------------------------------------

    def tick(self) -> dict:
        """Fire what is due now, then sleep until the next due time."""
        if not self._tick_lock.acquire(blocking=False):
            return {}  # a tick is already running in this process
        try:
            if not self.schema_ready():
                return {}  # the safety sweep asks again
            done = {"timers": self.engine.fire_due_timers(limit=self.batch)}
            if self.escalator is not None:
                done["escalations"] = self.escalator.run_due()
            if self.deliver is not None:
                done["deliveries"] = self.deliver()
        except Exception:
            log.exception("scheduler tick failed; the safety sweep will try again")
            done = {}
        finally:
            self._tick_lock.release()
        if self.running:
            upcoming = self.next_due()
            # A commit during this tick may have armed a nearer wake-up: never overwrite it.
            if upcoming is not None:
                # Timers fire strictly after their due time; a millisecond later is enough.
                self._arm_if_nearer(upcoming + timedelta(milliseconds=1))
        return done
