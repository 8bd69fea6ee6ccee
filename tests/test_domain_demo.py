"""The demo: its cast loads once, validly; its history (domain.demo_story, played by `flask demo`
through the real processes) agrees with itself whenever it is built, and a first sign-in finds
work due soon, work overdue and escalated, and a yellow card.

The `demo` fixture builds it on Monday 2 March 2026, 09:00 Beijing (tests/conftest.py)."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from domain import creditcode
from domain.demo import load_demo
from domain.errors import DubanError
from domain.labels import CHANNELS, SECTORS
from domain.models import Disposal, Lead, RectificationItem, Subject, SupervisionCase, Unit, User
from engine.store.models import AuditEvent, HumanTask, ProcessInstance, StepRecord, Timer
from engine.store.wait_models import ExternalTask
from engine.store.supervision_models import Escalation, EscalationStep, SupervisionMark
from engine.workcal import CHINA_TZ, WorkCalendar
from tests.conftest import csrf_token, login

BEIJING = timezone(timedelta(hours=8))

# The lead's status while each step of lead_handling is open.
STATUS_AT = {"triage_lead": "registered", "accept_lead": "dispatched", "verify_lead": "verifying",
             "feedback_lead": "feedback", "review_feedback": "reviewing"}


@pytest.fixture
def db(domain_db, field_key, clock):
    with domain_db() as session:
        yield session


def test_the_cast_loads_once_with_its_roles_and_a_single_password_hash(db):
    hashed = []
    ids = load_demo(db, hash_password=lambda password: hashed.append(password) or f"hash:{password}")
    db.commit()
    assert len(ids["units"]) == 14 and len(ids["users"]) == 32 and len(ids["subjects"]) == 10
    assert hashed == ["duban-demo-2026"]  # hashed once, shared by the demo users

    kinds = {unit.kind for unit in db.scalars(select(Unit))}
    assert kinds == {"office", "member_unit", "community"}
    users = {user.username: user for user in db.scalars(select(User))}
    for unit_code in ids["units"]:
        assert {"officer"} <= users[f"{unit_code}.officer"].roles
        assert {"supervisor"} <= users[f"{unit_code}.supervisor"].roles
    assert users["office.leader"].roles == {"office_leader", "supervisor"}
    assert users["admin"].roles == {"administrator"}
    assert "community" in users["community_tangshi.officer"].groups
    # Grid workers report leads; they are in no group, so no case of their community reaches them.
    assert users["community_tangshi.grid"].roles == {"grid_worker"}
    assert users["community_tangshi.grid"].groups == frozenset()
    assert len(users["office.supervisor"].supervised_units) == 13
    # market.officer is also in the office's 整治组 (domain.demo WORKING_GROUPS)
    assert users["market.officer"].to_actor().groups == {"market", "officer", "group_rectification"}
    assert all(user.password_hash == "hash:duban-demo-2026" for user in users.values())
    assert all(creditcode.is_valid(subject.credit_code) for subject in db.scalars(select(Subject)))
    with pytest.raises(DubanError):
        load_demo(db)


# -- the history -------------------------------------------------------------------------------

def _all(session_factory, model, *where):
    with session_factory() as s:
        return s.scalars(select(model).where(*where)).all()


def _beijing_time(moment):
    return moment.astimezone(CHINA_TZ).strftime("%H:%M")


def test_the_leads_came_in_over_five_weeks_and_are_numbered_as_they_came(demo, session_factory, clock):
    leads = sorted(_all(session_factory, Lead), key=lambda lead: lead.number)
    assert len(leads) == 20
    assert {lead.channel for lead in leads} == set(CHANNELS) and {lead.sector for lead in leads} == set(SECTORS)
    received = [lead.received_at for lead in leads]
    assert received == sorted(received)
    assert clock.now() - received[0] > timedelta(days=28) and clock.now() - received[-1] < timedelta(days=1)
    for lead in leads:
        assert lead.received_at < lead.created_at <= clock.now(), lead.number  # registered after it came in
    assert sum(lead.duplicate_of_id is not None for lead in leads) >= 2
    with session_factory() as s:
        raw = s.execute(text("SELECT name FROM reporter WHERE name IS NOT NULL")).scalars().all()
    assert raw and not any("王秀英" in value for value in raw)  # encrypted at rest


def test_each_leads_status_and_dates_agree_with_its_steps(demo, session_factory, clock):
    calendar = WorkCalendar()
    now = clock.now()
    for lead in _all(session_factory, Lead):
        instance = _all(session_factory, ProcessInstance, ProcessInstance.id == lead.instance_id)[0]
        tasks = _all(session_factory, HumanTask, HumanTask.instance_id == instance.id)
        open_steps = [task.element_id for task in tasks if task.status == "open"]
        if lead.status == "closed":  # done, or its completion report waits for the report worker (nobody's task)
            reports = _all(session_factory, ExternalTask, ExternalTask.instance_id == instance.id,
                           ExternalTask.status == "open")
            assert open_steps == [], lead.number
            assert instance.status == "completed" or [r.element_id for r in reports] == ["report_completion"]
            assert lead.closed_at is not None and lead.closed_at <= now
            if lead.responsible_unit is None:  # not dispatched: closed at triage (a duplicate)
                assert [task.element_id for task in tasks] == ["triage_lead"] and lead.duplicate_of_id
            else:
                assert lead.result and {"verify_lead", "feedback_lead", "review_feedback"} <= {
                    task.element_id for task in tasks if task.status == "completed"}
        else:
            assert [STATUS_AT[step] for step in open_steps] == [lead.status], (lead.number, open_steps)
        if lead.status == "registered":  # still at 研判分流: came in within its two working days
            assert calendar.workdays_between(lead.received_at, now) <= 2, lead.number
        for task in tasks:
            assert lead.received_at < task.created_at <= now
            if task.status == "completed":
                assert task.created_at < task.completed_at <= now
                unit = task.candidate_group_list[0]
                assert task.completed_by == ("office.officer" if unit == "office" else f"{unit}.officer")
        if lead.feedback_deadline is not None:
            assert _beijing_time(lead.feedback_deadline) == "18:00"
    # every finished step has its record (the 流转意见 chain), with the handler's name and unit
    records = _all(session_factory, StepRecord)
    completed = _all(session_factory, HumanTask, HumanTask.status == "completed")
    assert len(records) == len(completed) > 50
    assert all(record.handler_name and record.unit_name for record in records)


def test_completion_reports_went_up_as_the_leads_closed_but_yesterdays_waits_for_the_worker(demo, session_factory):
    leads = {lead.number: lead for lead in _all(session_factory, Lead)}
    reports = _all(session_factory, ExternalTask, ExternalTask.topic == "report-completion")
    sent = [row for row in reports if row.status == "completed"]
    [waiting] = [row for row in reports if row.status == "open"]
    assert len(sent) == 5 and len(reports) == 6
    for row in sent:  # sent by the worker's pass soon after the lead closed (working days, not at once)
        lead = leads[row.business_key]
        assert lead.status == "closed" and lead.closed_at < row.ended_at
    assert leads[waiting.business_key].status == "closed" and waiting.worker_id is None
    events = _all(session_factory, AuditEvent, AuditEvent.action == "lead.completion_reported")
    assert sorted(event.data["number"] for event in events) == sorted(row.business_key for row in sent)
    assert all(event.data["sent"] and event.actor == "system" for event in events)


def test_deadlines_end_at_the_close_of_a_working_day_and_nothing_due_is_left_unfired(demo, session_factory,
                                                                                     clock):
    open_tasks = _all(session_factory, HumanTask, HumanTask.status == "open")
    assert len(open_tasks) >= 15
    assert {_beijing_time(task.due_at) for task in open_tasks} == {"18:00"}
    assert _all(session_factory, Timer, Timer.status == "waiting", Timer.due_at <= clock.now()) == []
    assert _all(session_factory, EscalationStep, EscalationStep.status == "waiting",
                EscalationStep.due_at <= clock.now()) == []
    for task in open_tasks:
        late = task.due_at <= clock.now()
        assert (task.overdue_since is not None) == late, task.id
        if late:
            assert task.overdue_since == task.due_at + timedelta(seconds=1)  # marked when it fell due


def test_records_follow_the_handling(demo, session_factory, clock):
    leads = {lead.id: lead for lead in _all(session_factory, Lead)}
    disposals = _all(session_factory, Disposal)
    assert len(disposals) >= 8
    for disposal in disposals:
        lead = leads[disposal.lead_id]
        assert disposal.unit == lead.responsible_unit and lead.created_at < disposal.disposed_at <= clock.now()
    items = _all(session_factory, RectificationItem)
    assert len(items) == 4
    for item in items:
        lead = leads[item.lead_id]
        assert item.responsible_unit == lead.responsible_unit and item.instance_id is not None
        assert lead.created_at < item.created_at < item.deadline and _beijing_time(item.deadline) == "18:00"
    assert {item.status for item in items} >= {"open", "overdue"}  # one past its deadline, marked so
    for item in items:
        assert (item.status == "overdue") == (item.deadline <= clock.now()), item.number


def test_a_first_sign_in_finds_work_due_soon_overdue_escalated_and_a_yellow_card(client, session_factory, clock):
    open_tasks = _all(session_factory, HumanTask, HumanTask.status == "open")
    soon = [task for task in open_tasks if clock.now() < task.due_at <= clock.now() + timedelta(days=3)]
    overdue = [task for task in open_tasks if task.overdue_since is not None]
    assert len(soon) >= 2 and len(overdue) >= 3
    assert {task.candidate_groups for task in overdue} >= {"market", "police", "land"}
    escalations = _all(session_factory, Escalation, Escalation.status == "open")
    assert {(item.rung, item.unit) for item in escalations} >= {("overdue", "market"), ("leader", "land")}
    [card] = _all(session_factory, SupervisionMark)
    assert (card.level, card.unit, card.source) == ("yellow", "land", "ladder")
    cases = {(case.unit, case.level) for case in _all(session_factory, SupervisionCase)}
    assert ("land", "yellow") in cases and ("enterprise_service", "ordinary") in cases

    finished_late = [task for task in _all(session_factory, HumanTask, HumanTask.status == "completed")
                     if task.due_at and task.completed_at > task.due_at]
    assert [task.candidate_groups for task in finished_late] == ["civil_affairs"]  # not every rate is 100 %

    login(client, "office.leader")
    board = client.get("/supervise/board").text
    land = re.search(r'<tr data-unit="land">(.*?)</tr>', board, re.S).group(1)
    assert re.search(r'class="fig-cards[^"]*" href="[^"]+">\s*1\s*</a>', land)
    assert re.search(r'class="fig-score[^"]*" href="[^"]+">\s*95\s*</a>', land)
    market = re.search(r'<tr data-unit="market">(.*?)</tr>', board, re.S).group(1)
    assert not re.search(r'class="fig-overdue[^"]*" href="[^"]+">\s*0\s*</a>', market)
    assert len(re.findall(r'<tr data-escalation-id=', client.get("/supervise/escalations").text)) >= 5
    dashboard = client.get("/dashboard/").text
    kpi = re.search(r'id="kpi-overdue">.*?<div class="kpi-value">(.*?)</div>', dashboard, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s", "", kpi) not in ("", "0")

    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "market.officer")
    inbox = client.get("/inbox/").text
    assert "已逾期" in inbox and ("剩" in inbox or "今日到期" in inbox)


@pytest.mark.parametrize("now", [
    datetime(2026, 3, 7, 21, 0, tzinfo=BEIJING),    # a Saturday evening
    datetime(2026, 3, 9, 7, 30, tzinfo=BEIJING),    # a Monday before the working day begins
    datetime(2026, 10, 9, 10, 0, tzinfo=BEIJING),   # the first working day after National Day
], ids=["saturday_evening", "monday_early", "after_national_day"])
def test_the_history_agrees_whatever_day_it_is_built(app, session_factory, clock, now):
    clock.set(now.astimezone(timezone.utc))
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "20 leads (7 closed)" in result.output
    assert clock.now() == now  # the story's clock is gone again
    for model, column in ((HumanTask, HumanTask.completed_at), (Lead, Lead.created_at),
                          (Escalation, Escalation.raised_at)):
        with session_factory() as s:
            assert s.scalar(select(func.max(column))) <= now
    open_tasks = _all(session_factory, HumanTask, HumanTask.status == "open")
    assert {_beijing_time(task.due_at) for task in open_tasks} == {"18:00"}
    assert len(_all(session_factory, SupervisionMark, SupervisionMark.level == "yellow")) == 1


def test_the_demo_campaign_runs_in_the_seeds_phases_with_the_offices_four_working_groups(db):
    from datetime import date

    from domain import campaign
    from domain.models import Campaign, WorkingGroup
    ids = load_demo(db)
    db.commit()
    [found] = db.scalars(select(Campaign)).all()
    assert ids["campaign"] == found.id and found.level == "town"
    assert (found.first_day, found.last_day) == (date(2026, 4, 20), date(2026, 12, 31))  # 宣传发动 from late April
    assert [(p.kind, p.first_day, p.last_day) for p in campaign.phases(db)] == [
        ("publicity", date(2026, 4, 20), date(2026, 4, 30)),
        ("strike", date(2026, 5, 1), date(2026, 11, 30)),  # 打击整治 from 1 May, as the seeds' plan
        ("summary", date(2026, 12, 1), date(2026, 12, 31))]  # 总结提升 to the year's end
    groups = {g.code: g for g in db.scalars(select(WorkingGroup))}
    assert [groups[c].name_zh for c in ("group_general", "group_strike", "group_rectification", "group_publicity")] \
        == ["综合组", "打击组", "整治组", "宣传组"]
    assert all(group.members for group in groups.values())
    police = db.scalar(select(User).where(User.username == "police.officer"))
    assert "group_strike" in police.groups
    assert not any(group.members and "grid_worker" in m.roles for group in groups.values() for m in group.members)


def test_the_demo_has_criminal_cases_at_every_stage_linked_to_its_leads(demo, session_factory):
    """依法打击: the police filed four cases on the demo's leads; one was judged by the court, one sent
    for prosecution by the procuratorate; the dashboard's strike figures have something to show."""
    from domain.models import StrikeCase
    cases = _all(session_factory, StrikeCase)
    assert len(cases) == 4 and {case.stage for case in cases} == {"filed", "prosecuted", "judged"}
    assert {case.unit for case in cases} == {"police"}
    with session_factory() as s:
        for case in s.scalars(select(StrikeCase)):
            assert case.leads and case.subjects or case.charge == "fraud", case.case_number
            assert all(lead.received_at.astimezone(CHINA_TZ).date() <= case.filed_on for lead in case.leads)
            assert case.returned_amount <= case.recovered_amount
            if case.stage == "judged":
                assert case.filed_on <= case.prosecuted_on <= case.judged_on and case.judged_by == "court.officer"
                assert case.judgment
    assert {unit.code for unit in _all(session_factory, Unit, Unit.law_enforcement.is_(True))} == {
        "police", "court", "procuratorate"}


def test_the_demo_shows_publicity_on_first_start(demo, clock):
    """宣传发动: activities of the units and both communities, the grid workers' door-to-door rounds among
    them, this month's too, none in the future."""
    from domain import publicity
    from domain.models import PublicityActivity
    from web.extensions import db
    with demo.app_context():
        rows = db.session.scalars(select(PublicityActivity)).all()
        assert 15 <= len(rows) <= 25
        assert {"community_tangshi.grid", "community_shatang.grid"} <= {r.recorded_by for r in rows}
        assert {r.form for r in rows} == set(publicity.PUBLICITY_FORMS)
        assert {"community_tangshi", "community_shatang"} <= {r.community for r in rows}
        assert len({r.unit for r in rows}) >= 10
        today = publicity.beijing_today(clock.now())
        this_month = publicity.return_figures(db.session, None, today.replace(day=1), today)
        assert this_month["activities"] >= 2 and this_month["households"] > 0
        assert all(r.held_on <= today for r in rows)
def test_the_demo_has_inspections_mostly_without_problems_and_one_disposal_started(demo, session_factory):
    """机构排查 since the campaign began (domain.demo_inspections): the dashboard and the return have figures."""
    from domain.inspections import return_figures
    from domain.models import Inspection
    inspections = _all(session_factory, Inspection)
    assert len(inspections) == 14
    assert {i.unit for i in inspections} >= {"civil_affairs", "market", "health", "enterprise_service", "land"}
    risky = [i for i in inspections if i.finding == "risk_found"]
    assert len(risky) == 4 and all(i.problems or i.note for i in risky)
    [started] = [i for i in inspections if i.instance_id is not None]
    assert started.finding == "risk_found" and started.subject.name == "晋江市安心养老服务中心"
    [assess] = _all(session_factory, HumanTask, HumanTask.instance_id == started.instance_id,
                    HumanTask.status == "open")
    assert (assess.element_id, assess.candidate_groups, assess.overdue_since) == ("assess_risk", "civil_affairs", None)
    days = sorted(i.inspected_on for i in inspections)
    with session_factory() as session:
        figures = return_figures(session, None, days[0], days[-1])
    assert figures == {"institutions_inspected": 13, "inspections": 14, "institutions_at_risk": 4}
def test_the_demo_has_monthly_returns_to_sum_and_this_months_open(demo, session_factory):
    """January and February were opened by the monthly cycle and submitted, February by all units but
    two (the office's sum shows 未报单位); March is open, begun by the market station."""
    from domain import returns
    from domain.models import MonthlyReturn
    with session_factory() as session:
        january, february = returns.summary(session, "2026-01"), returns.summary(session, "2026-02")
        march = session.scalars(select(MonthlyReturn).where(MonthlyReturn.month == "2026-03")).all()
        open_tasks = session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.element_id == returns.TASK_ID, HumanTask.status == "open"))
    assert january.missing == [] and len(january.submitted) == 13
    assert [u.code for u in february.missing] == ["bank", "community_shatang"]
    assert open_tasks == 2  # the two missing units still have theirs in the inbox, due 20 March
    assert february.total["leads.received"] > 0 and february.total["other.meetings"] == 22
    assert [(r.unit, r.status) for r in march] == [("market", "draft")]
