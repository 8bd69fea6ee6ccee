"""Webhook delivery to a real HTTP server on 127.0.0.1: signature, outages, retries."""
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from notifications import (DEAD, FAILED, SENT, WEBHOOK, Delivery, ManualClock, NotificationConfig,
                           Notifier, Recipient, RetryPolicy, WebhookConfig)
from notifications.testing import free_port, webhook_server

START = datetime(2024, 5, 20, 1, 0, tzinfo=timezone.utc)
DUE = START + timedelta(days=3)
SECRET = "duban-webhook-secret"
RETRY = RetryPolicy(base=timedelta(seconds=30), factor=2, cap=timedelta(minutes=2), max_attempts=5)
CONTEXT = {"case": "XS-2024-000042 某养老机构", "task_name": "核实线索", "office_name": "区专项办",
           "reason": "涉嫌非法集资", "due_at": DUE}


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def hook():
    with webhook_server() as recorder:
        yield recorder


@pytest.fixture
def notifier(session_factory, clock):
    config = NotificationConfig(webhook=WebhookConfig(secret=SECRET, timeout=5, trust_env=False),
                                retry=RETRY, base_url="https://duban.example.gov.cn/")
    return Notifier(session_factory, now=clock, config=config)


def _enqueue(factory, notifier, url, event_key="sup:9:started"):
    recipient = Recipient("district-office", "区专项办", webhook_url=url)
    with factory.begin() as session:
        [delivery_id] = notifier.enqueue(session, event_key, "supervision.started", [recipient],
                                         CONTEXT, [WEBHOOK], link="/supervision/9")
    return delivery_id


def _row(factory, delivery_id):
    with factory() as session:
        return session.get(Delivery, delivery_id)


def test_webhook_posts_signed_json(session_factory, notifier, hook):
    delivery_id = _enqueue(session_factory, notifier, hook.url)
    assert notifier.deliver_due().sent == 1

    [request] = hook.requests
    assert request.path == "/hooks/duban"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Duban-Signature"] == expected
    assert request.headers["X-Duban-Delivery"] == str(delivery_id)
    assert request.headers["X-Duban-Event"] == "supervision.started"

    payload = json.loads(request.body.decode("utf-8"))
    assert payload == {
        "delivery_id": delivery_id,
        "event_key": "sup:9:started",
        "kind": "supervision.started",
        "recipient": "district-office",
        "locale": "zh_CN",
        "title": "【督办】XS-2024-000042 某养老机构：核实线索",
        "body": "区专项办，您好！「XS-2024-000042 某养老机构」的任务「核实线索」已由区专项办列入督办事项"
                "（督办事由：涉嫌非法集资），请于 2024-05-23 09:00 前报送办理进展。",
        "link": "https://duban.example.gov.cn/supervision/9",
        "timestamp": START.isoformat(),
    }
    # Chinese travels as UTF-8, not as \\u escapes.
    assert "督办".encode("utf-8") in request.body
    assert _row(session_factory, delivery_id).status == SENT


def test_http_500_is_retried_with_backoff_and_success_logged_once(session_factory, notifier,
                                                                 clock, hook):
    delivery_id = _enqueue(session_factory, notifier, hook.url)
    hook.status = 500

    expected_waits = [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    for attempt, wait in enumerate(expected_waits, start=1):
        assert notifier.deliver_due().failed == 1
        row = _row(session_factory, delivery_id)
        assert (row.status, row.attempts) == (FAILED, attempt)
        assert row.last_error.startswith("webhook answered HTTP 500")
        assert row.next_attempt_at == clock() + wait
        # One second early: not due.
        clock.advance(wait - timedelta(seconds=1))
        assert notifier.deliver_due().claimed == 0
        clock.advance(seconds=1)

    hook.status = 200
    assert notifier.deliver_due().sent == 1
    clock.advance(hours=2)
    assert notifier.deliver_due().claimed == 0

    assert len(hook.requests) == 4
    assert len({r.headers["X-Duban-Signature"] for r in hook.requests}) == 4  # new timestamp each try
    assert {r.headers["X-Duban-Delivery"] for r in hook.requests} == {str(delivery_id)}
    with session_factory() as session:
        rows = session.scalars(select(Delivery)).all()
    assert [(r.status, r.attempts) for r in rows] == [(SENT, 4)]


def test_webhook_dead_after_max_attempts_then_requeued(session_factory, notifier, clock, hook):
    delivery_id = _enqueue(session_factory, notifier, hook.url)
    hook.status = 503
    for _ in range(RETRY.max_attempts):
        notifier.deliver_due()
        clock.set(_row(session_factory, delivery_id).next_attempt_at)
    row = _row(session_factory, delivery_id)
    assert (row.status, row.attempts) == (DEAD, RETRY.max_attempts)
    assert len(hook.requests) == RETRY.max_attempts

    hook.status = 204
    with session_factory.begin() as session:
        assert notifier.requeue_dead(session, channel=WEBHOOK) == 1
    assert notifier.deliver_due().sent == 1
    assert _row(session_factory, delivery_id).status == SENT


def test_client_error_is_permanent(session_factory, notifier, hook):
    delivery_id = _enqueue(session_factory, notifier, hook.url)
    hook.status = 404
    assert notifier.deliver_due().dead == 1
    assert _row(session_factory, delivery_id).attempts == 1


def test_rate_limit_is_temporary(session_factory, notifier, hook):
    delivery_id = _enqueue(session_factory, notifier, hook.url)
    hook.status = 429
    assert notifier.deliver_due().failed == 1
    assert _row(session_factory, delivery_id).status == FAILED


def test_unreachable_and_malformed_urls(session_factory, notifier, clock):
    down = _enqueue(session_factory, notifier, f"http://127.0.0.1:{free_port()}/x", "sup:1")
    bad = _enqueue(session_factory, notifier, "not a url", "sup:2")
    report = notifier.deliver_due()
    assert (report.failed, report.dead) == (1, 1)
    assert _row(session_factory, down).status == FAILED
    assert "ConnectionError" in _row(session_factory, down).last_error
    assert _row(session_factory, bad).status == DEAD
