"""E-mail delivery to a real SMTP server on 127.0.0.1, including outages and retries."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from notifications import (DEAD, EMAIL, FAILED, SENT, Delivery, ManualClock, NotificationConfig,
                           Notifier, Recipient, RetryPolicy, SmtpConfig)
from notifications.testing import free_port

START = datetime(2024, 5, 20, 1, 0, tzinfo=timezone.utc)
DUE = START + timedelta(days=3)
CONTEXT = {"task_name": "核实线索", "case": "XS-2024-000042 晋江市福寿康养老服务有限公司", "process_name": "线索核查",
           "due_at": DUE}
WANG = Recipient("wang.li", "王力", email="wangli@example.gov.cn")
RETRY = RetryPolicy(base=timedelta(minutes=1), factor=2, cap=timedelta(minutes=10), max_attempts=4)


@pytest.fixture
def clock():
    return ManualClock(START)


def _notifier(factory, clock, port, **config):
    smtp_config = SmtpConfig(host="127.0.0.1", port=port, sender="督办系统 <duban@example.gov.cn>",
                             local_hostname="duban.test", timeout=5)
    config = NotificationConfig(smtp=smtp_config, retry=RETRY, base_url="https://duban.example.gov.cn",
                                **config)
    return Notifier(factory, now=clock, config=config)


def _enqueue(factory, notifier, recipient=WANG, kind="task.reminder", event_key="task:42:reminder:1"):
    with factory.begin() as session:
        return notifier.enqueue(session, event_key, kind, [recipient], CONTEXT, [EMAIL],
                                link="/tasks/42")


def _row(factory, delivery_id):
    with factory() as session:
        return session.get(Delivery, delivery_id)


def test_chinese_reminder_arrives_by_smtp(session_factory, clock, smtp):
    notifier = _notifier(session_factory, clock, smtp.port)
    [delivery_id] = _enqueue(session_factory, notifier)

    report = notifier.deliver_due()
    assert (report.sent, report.failed) == (1, 0)

    [mail] = smtp.messages
    assert mail.mail_from == "duban@example.gov.cn"
    assert mail.rcpt_tos == ["wangli@example.gov.cn"]
    message = mail.message
    assert message["Subject"] == "【催办】XS-2024-000042 晋江市福寿康养老服务有限公司：核实线索"
    assert message["To"].addresses[0].display_name == "王力"
    assert message["From"].addresses[0].display_name == "督办系统"
    assert message["Message-ID"] == f"<duban.delivery.{delivery_id}@example.gov.cn>"
    assert message["X-Duban-Event"] == "task.reminder"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "王力，您好！「XS-2024-000042 晋江市福寿康养老服务有限公司」（线索核查）的任务「核实线索」将于 2024-05-23 09:00 到期" in body
    assert "查看详情：https://duban.example.gov.cn/tasks/42" in body
    assert "请勿直接回复" in body

    row = _row(session_factory, delivery_id)
    assert (row.status, row.attempts, row.sent_at, row.claim_token) == (SENT, 1, START, None)


def test_english_recipient_gets_english_mail(session_factory, clock, smtp):
    notifier = _notifier(session_factory, clock, smtp.port)
    smith = Recipient("j.smith", "John Smith", email="smith@example.org", locale="en_US")
    _enqueue(session_factory, notifier, recipient=smith, kind="task.overdue")
    notifier.deliver_due()
    [mail] = smtp.messages
    assert mail.message["Subject"] == "[Overdue] XS-2024-000042 晋江市福寿康养老服务有限公司: 核实线索"
    body = mail.message.get_content()
    assert body.startswith("Dear John Smith,")
    assert "Details: https://duban.example.gov.cn/tasks/42" in body


def test_temporary_smtp_failure_is_retried_with_backoff_then_logged_once(
        session_factory, clock, smtp):
    notifier = _notifier(session_factory, clock, smtp.port)
    [delivery_id] = _enqueue(session_factory, notifier)
    smtp.reject_with = "451 4.3.0 Mailbox temporarily unavailable"

    # Attempt 1 fails: retry in base = 1 minute.
    assert notifier.deliver_due().failed == 1
    row = _row(session_factory, delivery_id)
    assert (row.status, row.attempts) == (FAILED, 1)
    assert "451" in row.last_error
    assert row.next_attempt_at == START + timedelta(minutes=1)

    # Not due yet: nothing happens, nothing is sent.
    clock.advance(seconds=59)
    assert notifier.deliver_due().claimed == 0

    # Attempt 2 fails: the delay doubles to 2 minutes.
    clock.advance(seconds=1)
    assert notifier.deliver_due().failed == 1
    row = _row(session_factory, delivery_id)
    assert row.attempts == 2 and row.next_attempt_at == clock() + timedelta(minutes=2)
    assert smtp.rejected == 2

    # The server recovers; the next due attempt succeeds.
    smtp.reject_with = None
    clock.advance(minutes=2)
    assert notifier.deliver_due().sent == 1
    clock.advance(hours=1)
    assert notifier.deliver_due().claimed == 0

    assert len(smtp.messages) == 1
    with session_factory() as session:
        rows = session.scalars(select(Delivery)).all()
    assert [(r.status, r.attempts, r.sent_at) for r in rows] == [(SENT, 3, START + timedelta(minutes=3))]
    # The last error is kept as history of the outage.
    assert "451" in rows[0].last_error


def test_closed_port_fails_until_dead_then_requeue_delivers(session_factory, clock, smtp):
    closed = _notifier(session_factory, clock, free_port())
    [delivery_id] = _enqueue(session_factory, closed)

    waits = []
    for _ in range(RETRY.max_attempts):
        report = closed.deliver_due()
        assert report.claimed == 1
        row = _row(session_factory, delivery_id)
        waits.append(row.next_attempt_at - clock())
        clock.set(row.next_attempt_at)
    assert report.dead == 1
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(0)]
    row = _row(session_factory, delivery_id)
    assert (row.status, row.attempts) == (DEAD, RETRY.max_attempts)
    assert "ConnectionRefused" in row.last_error

    # Dead rows stay put however long we wait.
    clock.advance(days=30)
    assert closed.deliver_due().claimed == 0

    # Mail server fixed in the configuration; an operator requeues the dead letters.
    fixed = _notifier(session_factory, clock, smtp.port)
    with session_factory.begin() as session:
        assert fixed.requeue_dead(session) == 1
    assert fixed.deliver_due().sent == 1
    assert len(smtp.messages) == 1
    row = _row(session_factory, delivery_id)
    assert (row.status, row.attempts) == (SENT, 1)


def test_permanent_smtp_rejection_goes_straight_to_dead(session_factory, clock, smtp):
    notifier = _notifier(session_factory, clock, smtp.port)
    [delivery_id] = _enqueue(session_factory, notifier)
    smtp.reject_with = "554 5.7.1 Message rejected"
    assert notifier.deliver_due().dead == 1
    row = _row(session_factory, delivery_id)
    assert (row.status, row.attempts) == (DEAD, 1)
    assert "554" in row.last_error

    smtp.reject_with = None
    with session_factory.begin() as session:
        assert notifier.requeue(session, [delivery_id]) == 1
    assert notifier.deliver_due().sent == 1
    assert len(smtp.messages) == 1
