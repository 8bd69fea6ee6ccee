"""Every path of rectification (整改) through the real engine: accepted and closed
after the look-back, sent back (with and without a new deadline), relapsed and
reopened, and the deadline passing before the unit submits."""
from datetime import timedelta

import pytest

from domain.models import RectificationItem
from engine.store.models import Timer
from tests import scenario_support as s
from tests.scenario_support import beijing

campaign = s.campaign  # the fixture: the four processes deployed, demo units and users


@pytest.fixture
def item(campaign):
    """An item ordered by market regulation with a deadline of Friday 20 March 18:00: (campaign, item id, instance)."""
    item_id, instance_id = campaign.ordered_rectification(deadline="2026-03-20T18:00")
    return campaign, item_id, instance_id


def waiting_timers(c, instance_id):
    return [(t.element_id, t.due_at) for t in c.all(Timer, Timer.instance_id == instance_id, Timer.status == "waiting")]


def test_sent_back_without_a_new_deadline_keeps_the_original_deadline(item):
    c, item_id, instance_id = item
    c.complete("submit_rectification", s.submit_rectification(completion="partly", remaining_issues="退款未完成"),
               instance_id)
    c.complete("accept_rectification", s.accept_rectification("send_back"), instance_id)
    assert c.get(RectificationItem, item_id).status == "sent_back"
    again = c.task("submit_rectification", instance_id)
    assert again.due_at == beijing(2026, 3, 20, 18) and again.candidate_group_list == ["market"]
    assert waiting_timers(c, instance_id) == [("rectification_overdue", beijing(2026, 3, 20, 18))]
    sent_back = c.events(instance_id, "task.completed")[-1]
    assert sent_back.actor == "office.officer" and sent_back.data["data"]["acceptance_decision"] == "send_back"
    assert "lookback_after" not in sent_back.data["data"]  # hidden unless accepted


@pytest.mark.parametrize("how", ["sent_back", "relapsed"])
def test_new_deadline_given_by_the_office_is_the_items_deadline(item, how):
    c, item_id, instance_id = item
    c.complete("submit_rectification", s.submit_rectification(), instance_id)
    if how == "sent_back":
        c.complete("accept_rectification", s.accept_rectification("send_back", new_deadline="2026-04-10T18:00"),
                   instance_id)
    else:
        c.complete("accept_rectification", s.accept_rectification("accept", lookback_after="P15D"), instance_id)
        c.advance(days=15, minutes=1)
        c.complete("lookback_inspection", s.lookback("relapsed", new_deadline="2026-04-10T18:00"), instance_id)
    assert c.task("submit_rectification", instance_id).due_at == beijing(2026, 4, 10, 18)
    assert waiting_timers(c, instance_id) == [("rectification_overdue", beijing(2026, 4, 10, 18))]
    assert c.get(RectificationItem, item_id).deadline == beijing(2026, 4, 10, 18)


@pytest.mark.parametrize("new_deadline", ["2026-05-29T18:00", None], ids=["new_deadline", "fifteen_workdays"])
def test_relapse_found_at_the_lookback_reopens_the_item(item, new_deadline):
    c, item_id, instance_id = item
    c.complete("submit_rectification", s.submit_rectification(), instance_id)
    c.complete("accept_rectification", s.accept_rectification("accept", lookback_after="P15D"), instance_id)
    assert waiting_timers(c, instance_id) == [("wait_lookback", c.clock.now() + timedelta(days=15))]
    c.advance(days=15, minutes=1)  # Tuesday 17 March, 09:01
    c.complete("lookback_inspection", s.lookback("relapsed", new_deadline=new_deadline), instance_id)

    item_row = c.get(RectificationItem, item_id)
    assert item_row.status == "reopened" and item_row.closed_at is None
    assert item_row.lookback_result == "问题反弹：又在沙塘村组织会销"
    expected_due = beijing(2026, 5, 29, 18) if new_deadline else beijing(2026, 4, 8, 18)  # 15 working days
    resubmit = c.task("submit_rectification", instance_id)
    assert resubmit.due_at == expected_due
    assert waiting_timers(c, instance_id) == [("rectification_overdue", expected_due)]

    c.complete("submit_rectification", s.submit_rectification(), instance_id)
    c.complete("accept_rectification", s.accept_rectification("accept", lookback_after="P15D"), instance_id)
    c.advance(days=15, minutes=1)
    c.complete("lookback_inspection", s.lookback("stayed_fixed"), instance_id)
    item_row = c.get(RectificationItem, item_id)
    assert (item_row.status, item_row.closed_at) == ("closed", c.clock.now())
    assert c.rectification_statuses(item_id) == [
        "submitted", "accepted", "reopened", "submitted", "accepted", "closed"]
    assert c.instance(instance_id).status == "completed"
    assert [e.element_id for e in c.events(instance_id, "timer.fired")] == ["wait_lookback", "wait_lookback"]


def test_deadline_passing_marks_the_item_overdue_and_the_unit_can_still_submit(item):
    c, item_id, instance_id = item
    assert c.move_to(beijing(2026, 3, 20, 17, 59)) == 0
    assert c.get(RectificationItem, item_id).status == "open"
    assert c.move_to(beijing(2026, 3, 20, 18, 1)) == 1

    assert c.get(RectificationItem, item_id).status == "overdue"
    assert ("timer.fired", "rectification_overdue") in c.trail(instance_id)
    [marked] = c.domain_events("rectification.updated", item_id=item_id)
    assert (marked.actor, marked.data["status"], marked.instance_id) == ("system", "overdue", instance_id)
    assert c.open_elements(instance_id) == ["submit_rectification"]  # not interrupted
    assert c.instance(instance_id).status == "running"

    c.complete("submit_rectification", s.submit_rectification(), instance_id)
    c.complete("accept_rectification", s.accept_rectification("accept"), instance_id)
    assert c.rectification_statuses(item_id) == ["overdue", "submitted", "accepted"]
    assert c.incidents() == []
