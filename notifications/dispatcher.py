"""Claim due deliveries, send them, and record each result exactly once.

A claim stamps rows with a random token and pushes next_attempt_at forward by
the lease, in a short transaction: no transaction stays open while a mail
server or webhook is slow. Results are only written by the token holder, so if
a lease runs out and another worker takes the row over, the late worker's
result is dropped and the row is still logged once. A worker that dies
mid-send leaves the row to be claimed again when the lease expires.
"""
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from .channels import Channel, DeliveryError, DeliveryJob, build_channels
from .clock import Clock, read_clock
from .config import NotificationConfig, RetryPolicy
from .models import DEAD, DUE_STATUSES, FAILED, SENT, Delivery

log = logging.getLogger(__name__)

LOST = "lost"  # outcome: another worker owns the row now
_MAX_ERROR = 2000


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0  # will be retried
    dead: int = 0
    lost: int = 0

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def _due(moment: datetime):
    return (Delivery.status.in_(DUE_STATUSES)) & (Delivery.next_attempt_at <= moment)


def _job(row: Delivery) -> DeliveryJob:
    return DeliveryJob(
        id=row.id, event_key=row.event_key, recipient=row.recipient,
        recipient_name=row.recipient_name, channel=row.channel, kind=row.kind,
        locale=row.locale, address=row.address, title=row.title, body=row.body,
        link=row.link, attempts=row.attempts, claim_token=row.claim_token,
    )


def claim_due(session_factory: sessionmaker, now: Clock, limit: int, lease: timedelta) -> list[DeliveryJob]:
    """Reserve up to `limit` due rows for this worker for `lease`."""
    token = uuid.uuid4().hex
    with session_factory() as session, session.begin():
        moment = read_clock(now)
        # PostgreSQL: concurrent workers skip each other's rows instead of waiting.
        candidates = session.scalars(
            select(Delivery.id).where(_due(moment))
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not candidates:
            return []
        # Re-checking "due" in the UPDATE keeps SQLite (no row locks) from
        # handing one row to two workers.
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(candidates), _due(moment))
            .values(claim_token=token, attempts=Delivery.attempts + 1,
                    next_attempt_at=moment + lease, updated_at=moment)
            .execution_options(synchronize_session=False)
        )
        rows = session.scalars(
            select(Delivery).where(Delivery.claim_token == token).order_by(Delivery.id)
        ).all()
        return [_job(row) for row in rows]


def _owned_row(session: Session, job: DeliveryJob) -> Delivery | None:
    return session.scalars(
        select(Delivery)
        .where(Delivery.id == job.id, Delivery.claim_token == job.claim_token)
        .with_for_update()
    ).one_or_none()


def _renew(session_factory: sessionmaker, job: DeliveryJob, now: Clock, lease: timedelta) -> bool:
    """Extend the lease just before a network send; False if the row was taken over."""
    with session_factory() as session, session.begin():
        result = session.execute(
            update(Delivery)
            .where(Delivery.id == job.id, Delivery.claim_token == job.claim_token)
            .values(next_attempt_at=read_clock(now) + lease)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def _mark_sent(row: Delivery, moment: datetime) -> None:
    row.status = SENT
    row.sent_at = moment
    row.claim_token = None
    row.updated_at = moment


def _record_failure(session_factory: sessionmaker, job: DeliveryJob, error: DeliveryError,
                    now: Clock, retry: RetryPolicy) -> str:
    with session_factory() as session, session.begin():
        row = _owned_row(session, job)
        if row is None:
            return LOST
        moment = read_clock(now)
        row.last_error = str(error)[:_MAX_ERROR]
        row.claim_token = None
        row.updated_at = moment
        if error.permanent or retry.exhausted(row.attempts):
            # Kept in the log for inspection and a manual requeue.
            row.status = DEAD
            row.next_attempt_at = moment
            return DEAD
        row.status = FAILED
        row.next_attempt_at = moment + retry.delay(row.attempts)
        return FAILED


def _record_success(session_factory: sessionmaker, job: DeliveryJob, now: Clock) -> str:
    with session_factory() as session, session.begin():
        row = _owned_row(session, job)
        if row is None:
            return LOST
        _mark_sent(row, read_clock(now))
        return SENT


def _send_in_transaction(session_factory: sessionmaker, job: DeliveryJob, channel: Channel,
                         now: Clock) -> str:
    """In-app: the inbox row and the `sent` mark commit together or not at all."""
    with session_factory() as session, session.begin():
        row = _owned_row(session, job)
        if row is None:
            return LOST
        channel.send(job, session)
        session.flush()
        _mark_sent(row, read_clock(now))
        return SENT


def deliver_job(session_factory: sessionmaker, job: DeliveryJob, channel: Channel | None,
                now: Clock, config: NotificationConfig) -> str:
    """Send one claimed job; return 'sent', 'failed', 'dead' or 'lost'."""
    try:
        if channel is None:
            raise DeliveryError(f"channel {job.channel!r} is not configured")
        if channel.transactional:
            return _send_in_transaction(session_factory, job, channel, now)
        if not _renew(session_factory, job, now, config.lease):
            return LOST
        channel.send(job, None)
    except DeliveryError as exc:
        error = exc
    except Exception as exc:
        # A bug or a database hiccup must not lose the message: log it, retry later.
        log.exception("delivery %s via %s crashed", job.id, job.channel)
        error = DeliveryError(f"{type(exc).__name__}: {exc}")
    else:
        return _record_success(session_factory, job, now)
    log.warning("delivery %s (%s -> %s via %s) attempt %s failed: %s",
                job.id, job.event_key, job.recipient, job.channel, job.attempts, error)
    return _record_failure(session_factory, job, error, now, config.retry)


def deliver_due(session_factory: sessionmaker, now: Clock, limit: int = 100, *,
                config: NotificationConfig, channels: dict[str, Channel] | None = None) -> DeliveryReport:
    """Claim up to `limit` due deliveries, send them and record the outcomes."""
    channels = channels if channels is not None else build_channels(config, now)
    report = DeliveryReport()
    jobs = claim_due(session_factory, now, limit, config.lease)
    report.claimed = len(jobs)
    for job in jobs:
        report.count(deliver_job(session_factory, job, channels.get(job.channel), now, config))
    return report
