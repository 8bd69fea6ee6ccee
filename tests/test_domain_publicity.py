"""Publicity activities (宣传发动) in the domain: what a record must hold, who sees and changes it,
and the figures of the monthly return, against the hand-counted world of tests/publicity_world.py."""
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from domain import publicity
from domain.errors import PermissionDenied, ValidationFailed
from domain.models import PublicityActivity
from engine.store.models import AuditEvent
from tests import publicity_world as pw

MARKET = publicity.Who("market.officer", "market", frozenset({"officer"}))
POLICE = publicity.Who("police.officer", "police", frozenset({"officer"}))
MARKET_HEAD = publicity.Who("market.supervisor", "market", frozenset({"supervisor"}))
POLICE_HEAD = publicity.Who("police.supervisor", "police", frozenset({"supervisor"}))
OFFICE = publicity.Who("office.officer", "office", frozenset({"officer"}))
GRID = publicity.Who("community_tangshi.grid", "community_tangshi", frozenset({"grid_worker"}))
TANGSHI = publicity.Who("community_tangshi.officer", "community_tangshi", frozenset({"officer"}))


@pytest.fixture
def world(session, clock):
    clock.set(pw.NOW)
    ids = pw.record_all(session, pw.NOW)
    session.commit()
    return ids


def _errors(session, data, locale="zh"):
    with pytest.raises(ValidationFailed) as raised:
        publicity.record_activity(session, data, MARKET, pw.NOW, locale)
    session.rollback()
    return raised.value.messages


GOOD = dict(held_on="2026-03-18", form="lecture", community="community_shatang", title="讲座", audience="30")


def test_a_good_record_keeps_what_was_typed_and_is_audited(session, clock):
    clock.set(pw.NOW)
    activity = publicity.record_activity(session, dict(GOOD, place=" 文化室 ", materials=""), MARKET, pw.NOW)
    session.commit()
    assert (activity.held_on, activity.unit, activity.community, activity.place, activity.audience,
            activity.materials, activity.items, activity.recorded_by) == (
        date(2026, 3, 18), "market", "community_shatang", "文化室", 30, 0, 0, "market.officer")
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "publicity.recorded")).all()
    assert event.actor == "market.officer" and event.data["activity_id"] == activity.id


@pytest.mark.parametrize("change, field, words", [
    ({"held_on": "2026-03-21"}, "held_on", "活动日期不能晚于当前时间"),          # tomorrow in Beijing
    ({"held_on": "2026-02-30"}, "held_on", "活动日期不是有效的日期"),
    ({"held_on": ""}, "held_on", "活动日期为必填项"),
    ({"form": "parade"}, "form", "宣传形式的取值无效"),
    ({"form": ""}, "form", "宣传形式为必填项"),
    ({"community": "market"}, "community", "社区/村的取值无效"),              # a unit, but not a community
    ({"community": "", "place": ""}, "place", "活动地点为必填项"),
    ({"title": "  "}, "title", "活动名称为必填项"),
    ({"title": "长" * 201}, "title", "活动名称不能超过200个字符"),
    ({"audience": "-1"}, "audience", "受众人次不能小于0"),
    ({"audience": "2.5"}, "audience", "受众人次必须是整数"),
    ({"materials": "1000001"}, "materials", "发放资料（份）不能大于1000000"),
    ({"materials": "9" * 40}, "materials", "发放资料（份）不能大于1000000"),
    ({"items": "3"}, "items", "所选宣传形式不填写数量"),                       # a lecture counts no items
])
def test_bad_input_names_the_field_and_writes_nothing(session, clock, change, field, words):
    clock.set(pw.NOW)
    errors = _errors(session, dict(GOOD, **change))
    assert list(errors) == [field] and words in errors[field][0]
    assert session.scalar(select(func.count()).select_from(PublicityActivity)) == 0


def test_messages_in_english_too(session, clock):
    clock.set(pw.NOW)
    errors = _errors(session, dict(GOOD, audience="-5", form="door_to_door", items="x"), "en")
    assert errors == {"audience": ["People reached must be at least 0"], "items": ["Count must be a whole number"]}


def test_only_officers_and_grid_workers_record(session, clock):
    clock.set(pw.NOW)
    with pytest.raises(PermissionDenied):
        publicity.record_activity(session, GOOD, MARKET_HEAD, pw.NOW)
    assert publicity.record_activity(session, dict(GOOD, form="door_to_door", items=4), GRID, pw.NOW).unit == \
        "community_tangshi"


def _visible(session, who):
    clause = publicity.visible_clause(who)
    query = select(PublicityActivity.id)
    return set(session.scalars(query if clause is None else query.where(clause)))


def test_a_unit_sees_its_own_the_office_and_supervisors_see_all_a_grid_worker_what_they_recorded(session, world):
    everything = set(world.values())
    assert _visible(session, OFFICE) == everything
    assert _visible(session, POLICE_HEAD) == everything          # supervisors oversee the whole campaign's publicity
    assert _visible(session, MARKET) == {world["A1"], world["A2"], world["A6"]}
    assert _visible(session, TANGSHI) == {world["A4"]}          # the grid worker's record is their community's
    other_grid = publicity.Who("community_tangshi.grid2", "community_tangshi", frozenset({"grid_worker"}))
    assert _visible(session, GRID) == {world["A4"]} and _visible(session, other_grid) == set()
    a1 = session.get(PublicityActivity, world["A1"])
    assert publicity.can_see(MARKET, a1) and not publicity.can_see(POLICE, a1) and publicity.can_see(POLICE_HEAD, a1)


def test_the_recording_unit_changes_a_record_in_its_month_the_office_always(session, world, clock):
    a1 = session.get(PublicityActivity, world["A1"])
    a4 = session.get(PublicityActivity, world["A4"])
    a6 = session.get(PublicityActivity, world["A6"])  # February's: in February's return already
    now = pw.NOW
    assert publicity.can_change(MARKET, a1, now) and publicity.can_change(MARKET_HEAD, a1, now)
    assert not publicity.can_change(POLICE, a1, now) and not publicity.can_change(POLICE_HEAD, a1, now)
    assert not publicity.can_change(MARKET, a6, now) and publicity.can_change(OFFICE, a6, now)
    assert publicity.can_change(GRID, a4, now) and publicity.can_change(TANGSHI, a4, now)
    assert not publicity.can_change(GRID, a1, now)
    april = datetime(2026, 4, 1, 9, 0, tzinfo=pw.BEIJING)
    assert not publicity.can_change(MARKET, a1, april) and publicity.can_change(OFFICE, a1, april)

    with pytest.raises(ValidationFailed) as raised:  # moved into a month whose return is made
        publicity.update_activity(session, a1, dict(pw.ACTIVITIES["A1"][3], held_on="2026-02-20"), MARKET, now)
    assert "只能改为本月的日期" in raised.value.messages["held_on"][0]
    session.rollback()
    with pytest.raises(PermissionDenied):
        publicity.update_activity(session, a6, dict(pw.ACTIVITIES["A6"][3], audience=25), MARKET, now)
    session.rollback()

    changed = publicity.update_activity(session, a1, dict(pw.ACTIVITIES["A1"][3], audience="110"), MARKET, now)
    session.commit()
    assert changed == {"audience": [100, 110]}
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "publicity.updated")).one()
    assert event.data["changed"] == {"audience": [100, 110]} and event.actor == "market.officer"


def test_a_deleted_record_leaves_its_trail(session, world):
    a2 = session.get(PublicityActivity, world["A2"])
    publicity.delete_activity(session, a2, MARKET, pw.NOW)
    session.commit()
    assert session.get(PublicityActivity, world["A2"]) is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "publicity.deleted")).one()
    assert event.data["title"] == "市场防骗展板" and event.data["items"] == 10


def test_return_figures_are_the_hand_counted_ones(session, world):
    march, february = (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 1), date(2026, 2, 28))
    assert [key for key, _zh, _en in publicity.RETURN_FIGURES] == list(pw.MARCH_ALL)
    assert publicity.return_figures(session, None, *march) == pw.MARCH_ALL
    assert publicity.return_figures(session, {"market"}, *march) == pw.MARCH_MARKET
    assert publicity.return_figures(session, {"market", "police"}, *march) == pw.MARCH_MARKET_POLICE
    assert publicity.return_figures(session, None, *february) == pw.FEBRUARY_ALL
    assert publicity.return_figures(session, set(), *march) == dict.fromkeys(pw.MARCH_ALL, 0)
    assert publicity.return_figures(session, {"health"}, *march) == dict.fromkeys(pw.MARCH_ALL, 0)
    # both ends included: 03-20 (A8) is the last day of 03-01..03-20, 03-01 (A7) its first
    assert publicity.return_figures(session, None, date(2026, 3, 20), date(2026, 3, 20))["activities"] == 1
    assert publicity.return_figures(session, None, date(2026, 3, 1), date(2026, 3, 1))["materials"] == 300
    by_community = publicity.figures_by(session, "community", publicity.conditions(None, *march))
    assert by_community == pw.MARCH_BY_COMMUNITY
    by_form = publicity.figures_by(session, "form", publicity.conditions(None, *march))
    assert {form: row["activities"] for form, row in by_form.items()} == dict.fromkeys(
        ("lecture", "boards_banners", "sms_push", "door_to_door", "media", "leaflets", "case_exposure"), 1)
