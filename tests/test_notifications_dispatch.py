"""Claiming, leases and worker failures: every delivery is recorded exactly once."""
import os
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from notifications import (EMAIL, FAILED, INAPP, PENDING, SENT, Delivery, InboxNotification,
                           ManualClock, NotificationConfig, Notifier, Recipient, SmtpConfig,
                           claim_due, deliver_job)
from notifications.dispatcher import LOST

START = datetime(2024, 5, 20, 1, 0, tzinfo=timezone.utc)
CONTEXT = {"task_name": "月度报送", "case": "DB-2024-000001", "process_name": "督导考评",
           "due_at": START + timedelta(days=2)}
LEASE = timedelta(minutes=5)


@pytest.fixture
def clock():
    return ManualClock(START)


def _config(smtp=None):
    smtp_config = SmtpConfig(host="127.0.0.1", port=smtp.port, sender="duban@example.gov.cn",
                             local_hostname="duban.test") if smtp else None
    return NotificationConfig(smtp=smtp_config, lease=LEASE)


def _enqueue(factory, notifier, usernames, channels=(INAPP,), event_key="task:1:reminder"):
    recipients = [Recipient(u, email=f"{u}@example.gov.cn") for u in usernames]
    with factory.begin() as session:
        return notifier.enqueue(session, event_key, "task.reminder", recipients, CONTEXT, channels)


def _count(factory, model, *where):
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_claimed_row_is_not_claimed_again_until_its_lease_expires(session_factory, clock):
    notifier = Notifier(session_factory, now=clock, config=_config())
    _enqueue(session_factory, notifier, ["a", "b", "c"])

    first = claim_due(session_factory, clock, limit=2, lease=LEASE)
    second = claim_due(session_factory, clock, limit=10, lease=LEASE)
    assert len(first) == 2 and len(second) == 1
    assert {j.recipient for j in first + second} == {"a", "b", "c"}
    assert first[0].claim_token != second[0].claim_token
    assert claim_due(session_factory, clock, limit=10, lease=LEASE) == []

    # The first worker dies without recording anything; after the lease its rows come back.
    clock.advance(LEASE)
    again = claim_due(session_factory, clock, limit=10, lease=LEASE)
    assert sorted(j.recipient for j in again) == ["a", "b", "c"]
    assert {j.attempts for j in again if j.recipient in ("a", "b")} == {2}


def test_late_worker_cannot_log_an_in_app_delivery_twice(session_factory, clock):
    notifier = Notifier(session_factory, now=clock, config=_config())
    _enqueue(session_factory, notifier, ["a"])
    [stale] = claim_due(session_factory, clock, limit=10, lease=LEASE)

    clock.advance(LEASE + timedelta(seconds=1))
    assert notifier.deliver_due().sent == 1  # another worker takes over and delivers

    assert deliver_job(session_factory, stale, notifier.channels[INAPP], clock,
                       notifier.config) == LOST
    assert _count(session_factory, InboxNotification) == 1
    assert _count(session_factory, Delivery, Delivery.status == SENT) == 1


def test_late_worker_does_not_send_an_email_it_no_longer_owns(session_factory, clock, smtp):
    notifier = Notifier(session_factory, now=clock, config=_config(smtp))
    _enqueue(session_factory, notifier, ["a"], channels=[EMAIL])
    [stale] = claim_due(session_factory, clock, limit=10, lease=LEASE)

    clock.advance(LEASE)
    assert notifier.deliver_due().sent == 1
    assert deliver_job(session_factory, stale, notifier.channels[EMAIL], clock,
                       notifier.config) == LOST
    assert len(smtp.messages) == 1
    with session_factory() as session:
        [row] = session.scalars(select(Delivery)).all()
    assert (row.status, row.attempts) == (SENT, 2)


def test_a_crashing_channel_is_recorded_as_a_retryable_failure(session_factory, clock):
    class Broken:
        name = INAPP
        transactional = True

        def send(self, job, session):
            raise RuntimeError("bug in channel")

    notifier = Notifier(session_factory, now=clock, config=_config(), channels={INAPP: Broken()})
    [delivery_id] = _enqueue(session_factory, notifier, ["a"])
    assert notifier.deliver_due().failed == 1
    with session_factory() as session:
        row = session.get(Delivery, delivery_id)
        assert (row.status, row.claim_token) == (FAILED, None)
        assert "RuntimeError: bug in channel" in row.last_error
    # The transaction that tried to write the inbox row was rolled back whole.
    assert _count(session_factory, InboxNotification) == 0


def test_rows_for_a_channel_no_longer_configured_wait_for_it(session_factory, clock, smtp):
    with_mail = Notifier(session_factory, now=clock, config=_config(smtp))
    [delivery_id] = _enqueue(session_factory, with_mail, ["a"], channels=[EMAIL])
    without_mail = Notifier(session_factory, now=clock, config=_config())
    assert without_mail.deliver_due().failed == 1
    with session_factory() as session:
        assert "not configured" in session.get(Delivery, delivery_id).last_error
    clock.advance(hours=1)
    assert with_mail.deliver_due().sent == 1


def test_oldest_due_first_and_limit(session_factory, clock):
    notifier = Notifier(session_factory, now=clock, config=_config())
    for n in range(5):
        _enqueue(session_factory, notifier, [f"user{n}"], event_key=f"task:{n}")
        clock.advance(seconds=1)
    report = notifier.deliver_due(limit=3)
    assert (report.claimed, report.sent) == (3, 3)
    assert _count(session_factory, Delivery, Delivery.status == PENDING) == 2
    with session_factory() as session:
        sent = session.scalars(select(Delivery.recipient).where(Delivery.status == SENT)).all()
    assert sorted(sent) == ["user0", "user1", "user2"]


def test_naive_clock_is_refused(session_factory):
    notifier = Notifier(session_factory, now=lambda: datetime(2024, 1, 1), config=_config())
    with session_factory.begin() as session, pytest.raises(ValueError, match="naive"):
        notifier.enqueue(session, "k", "task.reminder", [Recipient("a")], CONTEXT, [INAPP])


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                    reason="row locks need PostgreSQL")
def test_postgres_workers_skip_rows_locked_by_another(session_factory, clock):
    notifier = Notifier(session_factory, now=clock, config=_config())
    _enqueue(session_factory, notifier, ["a", "b"])
    with session_factory() as other, other.begin():
        # Another worker is in the middle of claiming "a".
        other.scalars(select(Delivery).where(Delivery.recipient == "a").with_for_update()).one()
        claimed = claim_due(session_factory, clock, limit=10, lease=LEASE)
        assert [j.recipient for j in claimed] == ["b"]
    assert [j.recipient for j in claim_due(session_factory, clock, limit=10, lease=LEASE)] == ["a"]
