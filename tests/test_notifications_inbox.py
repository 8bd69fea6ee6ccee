"""Enqueueing, duplicate suppression and in-app delivery to the web inbox."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from notifications import (INAPP, PENDING, SENT, Delivery, InboxNotification, ManualClock,
                           NotificationConfig, Notifier, Recipient, SmtpConfig, list_inbox,
                           TemplateError, mark_all_read, mark_read, unread_count)

START = datetime(2024, 5, 20, 1, 0, tzinfo=timezone.utc)
DUE = START + timedelta(days=3)
CONTEXT = {"task_name": "核实线索", "case": "XS-2024-000042", "process_name": "线索核查", "due_at": DUE}
WANG = Recipient("wang.li", "王力", email="wangli@example.gov.cn")
SMITH = Recipient("j.smith", "John Smith", locale="en")


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def notifier(session_factory, clock):
    return Notifier(session_factory, now=clock, config=NotificationConfig())


def _deliveries(factory):
    with factory() as session:
        return session.scalars(select(Delivery).order_by(Delivery.id)).all()


def test_in_app_notification_is_delivered_readable_and_can_be_marked_read(
        session_factory, notifier, clock):
    with session_factory.begin() as session:
        ids = notifier.enqueue(session, "task:42:assigned", "task.assigned", [WANG, SMITH], CONTEXT,
                               channels=[INAPP], link="/tasks/42")
    assert len(ids) == 2

    clock.advance(seconds=5)
    report = notifier.deliver_due()
    assert (report.claimed, report.sent, report.failed, report.dead) == (2, 2, 0, 0)

    with session_factory.begin() as session:
        assert unread_count(session, "wang.li") == 1
        [item] = list_inbox(session, "wang.li")
        assert item.title == "【待办】XS-2024-000042：核实线索"
        assert "王力，您好" in item.body and "2024-05-23 09:00" in item.body
        assert item.link == "/tasks/42" and item.kind == "task.assigned"
        assert item.created_at == START + timedelta(seconds=5)
        assert not item.is_read
        [english] = list_inbox(session, "j.smith")
        assert english.title == "[New task] XS-2024-000042: 核实线索"

        clock.advance(minutes=1)
        assert mark_read(session, "wang.li", item.id, clock)
        # Another user cannot mark it, nor see it.
        assert not mark_read(session, "j.smith", item.id, clock)

    with session_factory() as session:
        [item] = list_inbox(session, "wang.li")
        assert item.read_at == START + timedelta(minutes=1, seconds=5)
        assert unread_count(session, "wang.li") == 0
        assert list_inbox(session, "wang.li", unread_only=True) == []
        assert unread_count(session, "j.smith") == 1

    rows = _deliveries(session_factory)
    assert [(r.status, r.attempts, r.sent_at) for r in rows] == [(SENT, 1, START + timedelta(seconds=5))] * 2
    # Nothing left to do: a second run is a no-op.
    assert notifier.deliver_due().claimed == 0


def test_mark_all_read_and_newest_first(session_factory, notifier, clock):
    for n in range(3):
        with session_factory.begin() as session:
            notifier.enqueue(session, f"task:{n}:assigned", "task.assigned", [WANG],
                             dict(CONTEXT, task_name=f"任务{n}"), channels=[INAPP])
        notifier.deliver_due()
        clock.advance(minutes=1)
    with session_factory.begin() as session:
        assert [i.title for i in list_inbox(session, "wang.li")] == [
            "【待办】XS-2024-000042：任务2", "【待办】XS-2024-000042：任务1", "【待办】XS-2024-000042：任务0"]
        assert [i.title for i in list_inbox(session, "wang.li", limit=1, offset=1)] == ["【待办】XS-2024-000042：任务1"]
        assert mark_all_read(session, "wang.li", clock) == 3
        assert mark_all_read(session, "wang.li", clock) == 0
    with session_factory() as session:
        assert unread_count(session, "wang.li") == 0


def test_same_event_recipient_and_channel_is_queued_once(session_factory, notifier):
    with session_factory.begin() as session:
        first = notifier.enqueue(session, "task:42:reminder:1", "task.reminder", [WANG, WANG],
                                 CONTEXT, channels=[INAPP, INAPP])
        again = notifier.enqueue(session, "task:42:reminder:1", "task.reminder", [WANG], CONTEXT,
                                 channels=[INAPP])
    assert len(first) == 1 and again == []
    # In a later transaction too, and after it was delivered.
    notifier.deliver_due()
    with session_factory.begin() as session:
        assert notifier.enqueue(session, "task:42:reminder:1", "task.reminder", [WANG], CONTEXT,
                                channels=[INAPP]) == []
        # A new event key is a new message.
        assert len(notifier.enqueue(session, "task:42:reminder:2", "task.reminder", [WANG], CONTEXT,
                                    channels=[INAPP])) == 1
    notifier.deliver_due()
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(InboxNotification)) == 2
        assert session.scalar(select(func.count()).select_from(Delivery)) == 2


def test_enqueue_is_part_of_the_callers_transaction(session_factory, notifier):
    class EngineFailure(Exception):
        pass

    # The engine's state change fails after queueing: the notification goes too.
    with pytest.raises(EngineFailure), session_factory.begin() as session:
        notifier.enqueue(session, "task:7:assigned", "task.assigned", [WANG], CONTEXT, [INAPP])
        raise EngineFailure
    assert _deliveries(session_factory) == []
    assert notifier.deliver_due().claimed == 0


def test_channels_without_address_or_configuration_are_skipped(session_factory, clock):
    config = NotificationConfig(smtp=SmtpConfig(host="127.0.0.1", port=1, sender="duban@example.gov.cn"))
    notifier = Notifier(session_factory, now=clock, config=config)
    with session_factory.begin() as session:
        # Default channels: every configured one (in-app and e-mail; no webhook config).
        notifier.enqueue(session, "sup:9:started", "supervision.started", [WANG, SMITH],
                         {"case": "DB-2024-000009 挂牌督办事项", "task_name": "报告进展", "office_name": "区专项办",
                          "reason": "重大线索", "due_at": DUE})
        with pytest.raises(ValueError, match="unknown channels"):
            notifier.enqueue(session, "sup:9:x", "supervision.started", [WANG], {}, ["fax"])
    rows = _deliveries(session_factory)
    assert sorted((r.recipient, r.channel) for r in rows) == [
        ("j.smith", "inapp"), ("wang.li", "email"), ("wang.li", "inapp")]
    assert {r.status for r in rows} == {PENDING}
    [email_row] = [r for r in rows if r.channel == "email"]
    assert email_row.address == "wangli@example.gov.cn" and email_row.title == "【督办】DB-2024-000009 挂牌督办事项：报告进展"
    [english_row] = [r for r in rows if r.recipient == "j.smith"]
    assert english_row.locale == "en" and english_row.title == "[Supervision] DB-2024-000009 挂牌督办事项: 报告进展"


def test_explicit_locale_applies_to_recipients_without_preference(session_factory, notifier):
    with session_factory.begin() as session:
        notifier.enqueue(session, "task:5:overdue", "task.overdue", [WANG, SMITH], CONTEXT, [INAPP],
                         locale="en")
        notifier.enqueue(session, "task:6:overdue", "task.overdue",
                         [Recipient("zhao", locale="zh_CN")], CONTEXT, [INAPP], locale="en")
    titles = {(r.recipient, r.title) for r in _deliveries(session_factory)}
    assert ("wang.li", "[Overdue] XS-2024-000042: 核实线索") in titles
    assert ("zhao", "【逾期】XS-2024-000042：核实线索") in titles


def test_template_error_fails_the_enqueue(session_factory, notifier):
    with session_factory() as session, session.begin():
        with pytest.raises(TemplateError):
            notifier.enqueue(session, "esc:1", "escalation.raised", [WANG], CONTEXT, [INAPP])
