"""月报表 through the engine: the monthly cycle opens a return and a task for every member unit and
community, due on the 20th of the following month; submitting completes the task and freezes the
figures; a late return is chased by the engine's ladder like any late task (the clock is moved)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain import returns
from domain.errors import ValidationFailed
from domain.models import MonthlyReturn, Unit
from engine.escalation import Escalation
from engine.store.models import HumanTask, Timer
from tests.scenario_support import PROCESS_DIR, Campaign, beijing

REPORTING = ["civil_affairs", "market", "health", "land", "urban_enforcement", "police", "court", "justice",
             "enterprise_service", "bank", "community_tangshi", "community_shatang", "procuratorate"]


@pytest.fixture
def c(session_factory, clock, field_key):
    campaign = Campaign(session_factory, clock)
    for name in ("monthly_return", "monthly_return_cycle"):
        path = PROCESS_DIR / f"{name}.bpmn"
        campaign.engine.deploy(path.read_bytes(), path.name)
    return campaign


def _returns(c, month):
    return c.all(MonthlyReturn, MonthlyReturn.month == month)


def _submission(c, record_id, **texts):
    with c.session_factory() as session:
        record = session.get(MonthlyReturn, record_id)
        form = {"progress": "本月排查养老机构3家。", "measures": "入户走访。", "next_steps": "继续排查。",
                "value.other.meetings": "2", **texts}
        return returns.validate(session, record, form, submit=True)


def test_the_cycle_opens_a_return_and_a_task_per_reporting_unit_due_on_the_20th(c):
    c.engine.start("monthly_return_cycle", {"month": "2026-02"})
    opened = _returns(c, "2026-02")
    assert sorted(r.unit for r in opened) == sorted(REPORTING)  # not the office, which sums them
    tasks = c.tasks(process_id="monthly_return")
    assert sorted(g for t in tasks for g in t.candidate_group_list) == sorted(REPORTING)
    assert {t.due_at for t in tasks} == {beijing(2026, 3, 20, 18)}
    assert all(r.status == "draft" and r.instance_id for r in opened)
    c.engine.start("monthly_return_cycle", {"month": "2026-02"})  # opened once only
    assert len(_returns(c, "2026-02")) == len(REPORTING)
    assert len(c.tasks(process_id="monthly_return")) == len(REPORTING)


def test_the_cycle_starts_itself_on_the_first_of_each_month_for_the_month_before(c):
    [timer] = c.all(Timer, Timer.instance_id.is_(None), Timer.status == "waiting")
    assert timer.due_at == beijing(2026, 4, 1, 1)  # 01:00 Beijing on the 1st
    c.move_to(beijing(2026, 4, 1, 1, 1))
    assert sorted(r.unit for r in _returns(c, "2026-03")) == sorted(REPORTING)
    assert {t.due_at for t in c.tasks(process_id="monthly_return")} == {beijing(2026, 4, 20, 18)}


def test_submitting_completes_the_units_task_and_freezes_its_figures(c):
    c.engine.start("monthly_return_cycle", {"month": "2026-02"})
    [task] = [t for t in c.tasks(process_id="monthly_return") if "market" in t.candidate_group_list]
    [record] = [r for r in _returns(c, "2026-02") if r.unit == "market"]
    values = _submission(c, record.id)
    c.engine.complete(task.id, c.actor("market.officer"), {"return_values": values})
    record = c.get(MonthlyReturn, record.id)
    assert record.status == "submitted" and record.submitted_by == "market.officer"
    assert record.manual["other.meetings"] == 2 and record.progress == "本月排查养老机构3家。"
    assert set(record.figures) == {key for s in returns.SECTIONS if not s.manual for key in s.keys()}
    assert c.get(HumanTask, task.id).status == "completed"
    assert [e.action for e in c.events(action="return.submitted")] == ["return.submitted"]
    with c.session_factory() as session, pytest.raises(ValidationFailed):
        returns.apply(session, session.get(MonthlyReturn, record.id), values, "market.officer", submit=True)


def test_submitting_needs_the_texts_and_whole_numbers_and_a_note_for_a_correction(c):
    c.engine.start("monthly_return_cycle", {"month": "2026-02"})
    [record] = [r for r in _returns(c, "2026-02") if r.unit == "market"]
    with pytest.raises(ValidationFailed) as err:
        _submission(c, record.id, progress="", **{"value.other.meetings": "-1", "fix.leads.closed": "2.5"})
    assert set(err.value.messages) == {"progress", "value.other.meetings", "fix.leads.closed"}
    with pytest.raises(ValidationFailed) as err:
        _submission(c, record.id, **{"fix.leads.closed": "4"})
    assert set(err.value.messages) == {"note.leads.closed"}
    values = _submission(c, record.id, **{"fix.leads.closed": "4", "note.leads.closed": "含上月末线下办结1条"})
    assert values["corrections"] == {"leads.closed": {"value": 4, "note": "含上月末线下办结1条"}}


def test_a_late_return_is_chased_by_the_ladder(c):
    c.engine.start("monthly_return_cycle", {"month": "2026-02"})
    [task] = [t for t in c.tasks(process_id="monthly_return") if "market" in t.candidate_group_list]
    c.clock.set(beijing(2026, 3, 20, 17, 59))
    c.escalate()
    assert not [call for call in c.notify.calls if call["kind"] == "task.overdue"]
    c.clock.set(beijing(2026, 3, 20, 18, 1))  # past the 20th's close of work
    c.fire_timers()
    c.escalate()
    told = {call["kind"] for call in c.notify.calls if call["link"] == f"/tasks/{task.id}"}
    assert {"task.reminder", "task.overdue"} <= told
    assert c.get(HumanTask, task.id).escalation_rung == "overdue"
    assert ("overdue", "market") in {(e.rung, e.unit) for e in c.all(Escalation)}
    with c.session_factory() as session:
        assert session.scalar(select(Unit.kind).where(Unit.code == "market")) == "member_unit"
    c.clock.advance(timedelta(days=10))  # days later the leaders hear of it too
    c.escalate()
    assert "leader" in {e.rung for e in c.all(Escalation) if e.unit == "market"}
