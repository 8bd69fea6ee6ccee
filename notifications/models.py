"""Tables of the notifications package: the in-app inbox and the delivery log."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base

# Channel names, as stored in delivery_log.channel.
INAPP = "inapp"
EMAIL = "email"
WEBHOOK = "webhook"
WECOM = "wecom"              # 企业微信 application message to one officer
WECOM_ROBOT = "wecom_robot"  # 企业微信 group robot (the office's group)
DINGTALK = "dingtalk"        # 钉钉 group robot
SMS = "sms"
CHANNELS = (INAPP, EMAIL, WEBHOOK, WECOM, WECOM_ROBOT, DINGTALK, SMS)
# Group robots post into a shared chat: only used when a caller names them.
GROUP_CHANNELS = (WECOM_ROBOT, DINGTALK)

# Delivery statuses. `failed` rows are retried; `dead` rows wait for a manual requeue.
PENDING = "pending"
SENT = "sent"
FAILED = "failed"
DEAD = "dead"
STATUSES = (PENDING, SENT, FAILED, DEAD)
DUE_STATUSES = (PENDING, FAILED)


class Delivery(Base):
    """One message to one recipient over one channel, with its delivery history."""

    __tablename__ = "delivery_log"
    __table_args__ = (
        # Duplicate suppression: an event reaches a recipient at most once per channel.
        UniqueConstraint("event_key", "recipient", "channel", name="uq_delivery_log_event_recipient_channel"),
        # The worker's query: due rows in order.
        Index("ix_delivery_log_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_delivery_log_recipient", "recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(150))
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    # Snapshot of the address at enqueue time (e-mail address, webhook URL, WeCom userid,
    # mobile number, or the group robot's label).
    address: Mapped[str | None] = mapped_column(String(500))
    recipient_name: Mapped[str] = mapped_column(String(150), default="")
    # Rendered at enqueue time so template errors surface in the caller's transaction.
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))

    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Set when a worker claims the row; results are only recorded by the holder.
    claim_token: Mapped[str | None] = mapped_column(String(32))

    def __repr__(self) -> str:
        return (f"<Delivery {self.id} {self.event_key!r} -> {self.recipient!r} "
                f"via {self.channel} {self.status} x{self.attempts}>")


class InboxNotification(Base):
    """A message in a user's web inbox."""

    __tablename__ = "notification_inbox"
    __table_args__ = (
        Index("ix_notification_inbox_recipient_created", "recipient", "created_at"),
        # Unread badge and unread list: a partial index keeps it small as read rows pile up.
        Index(
            "ix_notification_inbox_unread",
            "recipient",
            "created_at",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(150))
    kind: Mapped[str] = mapped_column(String(64))
    event_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    # Unique: a delivery retried after a lost lease still yields one inbox row.
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_log.id", ondelete="SET NULL"), unique=True
    )

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class ChannelPreference(Base):
    """A user's departure from the default channels for one kind of message (see preferences.py)."""

    __tablename__ = "notification_preference"
    __table_args__ = (
        UniqueConstraint("username", "kind", "channel", name="uq_notification_preference_user_kind_channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150))
    kind: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean)


def notification_tables():
    """The tables owned by this package (for create_all in tests)."""
    return [Delivery.__table__, InboxNotification.__table__, ChannelPreference.__table__]
