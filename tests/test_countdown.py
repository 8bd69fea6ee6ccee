"""The countdown beside every task with a due time, as officers read it: working days left (剩N天),
今日到期 on the due day (before and after its 18:00 end), working days past due after it."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from flask import session

from web.presenters import countdown

BEIJING = timezone(timedelta(hours=8))


def beijing(day, hour=9, minute=0):
    """A moment in March 2026, Beijing time (Mon 2, Fri 6, Sat 7, Mon 9 ...)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BEIJING).astimezone(timezone.utc)


DUE = beijing(4, 18)  # Wednesday 4 March, the end of the working day (P2WD sent on Monday)


def _text(app, clock, now, due=DUE, locale="zh"):
    clock.set(now)
    with app.test_request_context():
        session["locale"] = locale
        shown = countdown(SimpleNamespace(due_at=due, status="open"))
        return shown["text"], shown["late"]


@pytest.mark.parametrize("now, text, late", [
    (beijing(2, 9), "剩2天", False),
    (beijing(3, 17), "剩1天", False),
    (beijing(4, 8), "今日到期", False),          # not "剩0天"
    (beijing(4, 17, 59), "今日到期", False),
    (beijing(4, 18, 30), "今日到期", True),      # not "已逾期0天": late since 18:00, shown in red
    (beijing(5, 9), "已逾期1天", True),
    (beijing(9, 9), "已逾期3天", True),          # Thu 5, Fri 6, Mon 9
])
def test_the_countdown_reads_in_working_days_and_today_on_the_due_day(app, clock, now, text, late):
    assert _text(app, clock, now) == (text, late)


def test_a_weekend_after_a_friday_deadline_reads_overdue_without_a_count(app, clock):
    friday = beijing(6, 18)
    assert _text(app, clock, beijing(7, 10), due=friday) == ("已逾期", True)
    assert _text(app, clock, beijing(9, 10), due=friday) == ("已逾期1天", True)


def test_the_countdown_in_english(app, clock):
    assert _text(app, clock, beijing(4, 10), locale="en") == ("Due today", False)
    assert _text(app, clock, beijing(2, 10), locale="en") == ("2 days left", False)
    assert _text(app, clock, beijing(5, 10), locale="en") == ("1 days overdue", True)
