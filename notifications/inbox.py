"""Queries behind the web inbox (always scoped to one user)."""
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .clock import Clock, read_clock
from .models import InboxNotification


def list_inbox(session: Session, username: str, *, unread_only: bool = False,
               limit: int = 50, offset: int = 0) -> list[InboxNotification]:
    """Newest first."""
    query = select(InboxNotification).where(InboxNotification.recipient == username)
    if unread_only:
        query = query.where(InboxNotification.read_at.is_(None))
    query = query.order_by(InboxNotification.created_at.desc(), InboxNotification.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def unread_count(session: Session, username: str) -> int:
    return session.scalar(
        select(func.count()).select_from(InboxNotification)
        .where(InboxNotification.recipient == username, InboxNotification.read_at.is_(None))
    )


def mark_read(session: Session, username: str, notification_id: int, now: Clock) -> bool:
    """Mark one of `username`'s notifications read (idempotent).

    False if no such notification belongs to `username`: a user cannot touch
    another user's inbox by guessing ids.
    """
    notification = session.scalars(
        select(InboxNotification)
        .where(InboxNotification.id == notification_id, InboxNotification.recipient == username)
    ).one_or_none()
    if notification is None:
        return False
    if notification.read_at is None:
        notification.read_at = read_clock(now)
    return True


def mark_all_read(session: Session, username: str, now: Clock) -> int:
    result = session.execute(
        update(InboxNotification)
        .where(InboxNotification.recipient == username, InboxNotification.read_at.is_(None))
        .values(read_at=read_clock(now))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
