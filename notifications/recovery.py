"""Put dead (or waiting failed) deliveries back in the queue."""
from typing import Iterable

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from .clock import Clock, read_clock
from .models import DEAD, FAILED, PENDING, Delivery

# A failed row with a claim token is being retried right now; leave it alone.
_REQUEUEABLE = or_(Delivery.status == DEAD,
                   and_(Delivery.status == FAILED, Delivery.claim_token.is_(None)))


def _requeue(session: Session, condition, now: Clock) -> int:
    moment = read_clock(now)
    result = session.execute(
        update(Delivery)
        .where(_REQUEUEABLE, condition)
        # A fresh series of attempts; last_error stays as the record of what went wrong.
        .values(status=PENDING, attempts=0, next_attempt_at=moment, updated_at=moment)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def requeue(session: Session, delivery_ids: Iterable[int], now: Clock) -> int:
    """Requeue the given dead/failed deliveries for immediate delivery; return how many."""
    ids = list(delivery_ids)
    if not ids:
        return 0
    return _requeue(session, Delivery.id.in_(ids), now)


def requeue_dead(session: Session, now: Clock, *, event_key: str | None = None,
                 channel: str | None = None) -> int:
    """Requeue every dead delivery, optionally only for one event or channel."""
    condition = Delivery.status == DEAD
    if event_key is not None:
        condition = condition & (Delivery.event_key == event_key)
    if channel is not None:
        condition = condition & (Delivery.channel == channel)
    return _requeue(session, condition, now)
