"""The escalation ladder climbs once per rung, in order, as the clock moves."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine.errors import InvalidOperation, PermissionDenied
from engine.escalation import Escalator, remaining_workdays
from engine.store.models import AuditEvent, HumanTask, ProcessInstance
from engine.store.supervision_models import Escalation, EscalationStep, LadderSetting, SupervisionMark
from tests import bpmn_builder as b
from tests.helpers import OFFICER, SUPERVISOR, open_tasks

# Monday 2 March 2026 09:00 Beijing; 10 working days later is Monday 16 March.
MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


class Directory:
    """The campaign's people, as the escalator asks for them."""

    def unit_of_task(self, session, task):
        return task.candidate_group_list[0] if task.candidate_group_list else None

    def holders(self, session, task):
        return [task.assignee] if task.assignee else ["li.officer", "chen.market"]

    def supervisors_of(self, session, unit):
        return {"market": ["ma.head"]}.get(unit, [])

    def office_leaders(self, session):
        return ["zhao.leader"]


class Outbox:
    def __init__(self):
        self.sent = []

    def __call__(self, session, event_key, kind, usernames, context, link=None):
        self.sent.append((kind, tuple(usernames), event_key))


@pytest.fixture
def outbox():
    return Outbox()


@pytest.fixture
def escalator(engine, outbox):
    return Escalator(engine, Directory(), outbox)


def _lead(engine, session_factory, clock, due="P10WD", **task_kwargs):
    clock.set(MONDAY)
    engine.deploy(b.process("lead", b.start(), b.user_task("verify", "核实线索", groups="market", due=due, **task_kwargs),
                            b.end(), *b.chain("start", "verify", "end")))
    instance_id = engine.start("lead")
    return instance_id, open_tasks(session_factory, instance_id)[0]


def test_the_whole_ladder_of_a_lead_notifies_each_rung_once_in_order(engine, escalator, session_factory, clock,
                                                                        outbox):
    instance_id, task = _lead(engine, session_factory, clock)
    assert task.due_at == datetime(2026, 3, 16, 10, 0, tzinfo=timezone.utc)  # 18:00 Beijing, the end of the day
    with session_factory() as s:
        steps = s.scalars(select(EscalationStep).order_by(EscalationStep.position)).all()
        assert [(st.rung, st.due_at) for st in steps] == [
            ("reminder", MONDAY + (task.due_at - MONDAY) * 0.8),
            ("overdue", task.due_at),
            ("leader", datetime(2026, 3, 19, 10, 0, tzinfo=timezone.utc)),       # due + 3 working days
            ("accountability", datetime(2026, 3, 23, 10, 0, tzinfo=timezone.utc)),  # due + 5 working days
        ]
    engine.deploy(b.process("supervision", b.start(), b.user_task("follow_up", groups="office"), b.end(),
                            *b.chain("start", "follow_up", "end")))
    for day in range(0, 30):  # walk the clock a day at a time; run the sweep twice each day
        clock.set(MONDAY + timedelta(days=day, hours=1))
        escalator.run_due()
        escalator.run_due()
    assert [(kind, people) for kind, people, _ in outbox.sent] == [
        ("task.reminder", ("chen.market", "li.officer")),
        ("task.overdue", ("chen.market", "li.officer")),
        ("escalation.raised", ("ma.head",)),
        ("escalation.raised", ("zhao.leader",)),
        ("escalation.raised", ("zhao.leader",)),
    ]
    with session_factory() as s:
        row = s.get(HumanTask, task.id)
        # The first sweep after the due time (18:00 Beijing) ran the next morning at the walk's hour.
        assert row.overdue_since == datetime(2026, 3, 17, 2, 0, tzinfo=timezone.utc)
        assert row.supervision_level == "red" and row.escalation_rung == "accountability"
        items = s.scalars(select(Escalation).order_by(Escalation.id)).all()
        assert [(i.rung, i.audience, i.unit) for i in items] == [
            ("overdue", "supervisors", "market"), ("leader", "leaders", "market"),
            ("accountability", "leaders", "market")]
        supervision = s.scalars(select(ProcessInstance).where(ProcessInstance.process_id == "supervision")).one()
        assert supervision.status == "running"
        marks = s.execute(select(SupervisionMark.level, SupervisionMark.reason).order_by(SupervisionMark.id)).all()
        assert marks == [("yellow", "逾期未办结，已提级领导督办"), ("red", "逾期未办结，已启动问责")]
        assert escalator.unit_score(s, "market") == 85
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("escalation.%"))
                            .order_by(AuditEvent.id)).all()
        assert actions == ["escalation.reminder", "escalation.overdue", "escalation.leader",
                           "escalation.accountability"]


def test_completing_in_time_cancels_the_ladder(engine, escalator, session_factory, clock, outbox):
    instance_id, task = _lead(engine, session_factory, clock)
    engine.complete(task.id, OFFICER, {})
    clock.advance(days=40)
    assert escalator.run_due() == 0 and outbox.sent == []
    with session_factory() as s:
        assert set(s.scalars(select(EscalationStep.status))) == {"cancelled"}


def test_finishing_a_late_task_resolves_the_escalations_it_raised(engine, escalator, session_factory, clock,
                                                                   outbox):
    instance_id, task = _lead(engine, session_factory, clock)
    clock.set(task.due_at + timedelta(hours=1))
    escalator.run_due()
    with session_factory() as s:
        [item] = s.scalars(select(Escalation)).all()
        assert (item.rung, item.status) == ("overdue", "open")
    escalator.acknowledge(item.id, SUPERVISOR, "已督促")
    engine.complete(task.id, OFFICER, {})
    clock.advance(days=40)
    assert escalator.run_due() == 0
    with session_factory() as s:
        assert s.scalars(select(Escalation.status)).all() == ["resolved"]
        assert set(s.scalars(select(EscalationStep.status))) == {"done", "cancelled"}


def test_task_and_process_ladders_override_the_default(engine, escalator, session_factory, clock, outbox):
    with session_factory() as s, s.begin():
        s.add(LadderSetting(process_id="lead", element_id="", ladder="overdue@due", updated_at=MONDAY))
    engine.forget_calendar()
    _, task = _lead(engine, session_factory, clock)
    with session_factory() as s:
        assert s.scalars(select(EscalationStep.rung)).all() == ["overdue"]
        assert s.get(HumanTask, task.id).ladder == "overdue@due"


def test_not_claimed_within_t_escalates_only_unclaimed_tasks(engine, escalator, session_factory, clock, outbox):
    clock.set(MONDAY)
    xml = b.process("lead", b.start(), b.user_task("verify", groups="market"), b.end(),
                    *b.chain("start", "verify", "end"))
    xml = xml.replace(b'<bpmn:userTask id="verify" name="verify" camunda:candidateGroups="market"/>',
                      b'<bpmn:userTask id="verify" name="verify" camunda:candidateGroups="market">'
                      b'<bpmn:extensionElements><camunda:properties>'
                      b'<camunda:property name="escalation" value="unclaimed@created+PT4H"/>'
                      b'</camunda:properties></bpmn:extensionElements></bpmn:userTask>')
    engine.deploy(xml)
    first = open_tasks(session_factory, engine.start("lead"))[0]
    second = open_tasks(session_factory, engine.start("lead"))[-1]
    engine.claim(second.id, OFFICER)
    clock.advance(hours=5)
    assert escalator.run_due() == 1
    assert outbox.sent[0][:2] == ("escalation.raised", ("ma.head",))
    with session_factory() as s:
        assert [i.task_id for i in s.scalars(select(Escalation))] == [first.id]


def test_bad_ladder_property_is_refused_at_deploy(engine):
    from engine.errors import BpmnValidationError
    xml = b.sequential("lead", n=1).replace(
        b'<bpmn:userTask id="t1" name="Step 1" camunda:candidateGroups="office"/>',
        b'<bpmn:userTask id="t1" name="Step 1" camunda:candidateGroups="office"><bpmn:extensionElements>'
        b'<camunda:properties><camunda:property name="escalation" value="shout@due"/></camunda:properties>'
        b'</bpmn:extensionElements></bpmn:userTask>')
    with pytest.raises(BpmnValidationError) as info:
        engine.deploy(xml)
    assert info.value.problems[0].element_id == "t1" and "shout" in info.value.problems[0].message


def test_supervisor_extends_the_deadline_and_the_ladder_moves(engine, escalator, session_factory, clock, outbox):
    _, task = _lead(engine, session_factory, clock)
    new_due = datetime(2026, 3, 30, 1, 0, tzinfo=timezone.utc)
    with pytest.raises(PermissionDenied):
        escalator.extend_deadline(task.id, OFFICER, new_due, "need more time")
    with pytest.raises(InvalidOperation, match="reason"):
        escalator.extend_deadline(task.id, SUPERVISOR, new_due, "")
    escalator.extend_deadline(task.id, SUPERVISOR, new_due, "evidence from the bank is late")
    clock.set(datetime(2026, 3, 17, 1, 0, tzinfo=timezone.utc))  # after the old due date
    escalator.run_due()
    assert [kind for kind, _, _ in outbox.sent] == []  # 80 % of the new span is later
    with session_factory() as s:
        assert s.get(HumanTask, task.id).due_at == new_due
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "task.deadline_extended")).one()
        assert event.reason == "evidence from the bank is late" and event.data["to"] == new_due.isoformat()
        assert remaining_workdays(new_due, clock.now(), engine.calendar()) == 9


def test_supervisor_cards_count_against_the_unit_and_can_be_cancelled(engine, escalator, session_factory, clock,
                                                                      outbox):
    _, task = _lead(engine, session_factory, clock)
    escalator.supervise(task.id, SUPERVISOR, "yellow", "群众反映强烈")
    escalator.supervise(task.id, SUPERVISOR, "red", "重大线索")
    with session_factory() as s:
        assert s.get(HumanTask, task.id).supervision_level == "red"
        assert escalator.unit_score(s, "market") == 85
        red = s.scalars(select(SupervisionMark).where(SupervisionMark.level == "red")).one()
    escalator.cancel_mark(red.id, SUPERVISOR, "升级有误")
    with session_factory() as s:
        assert s.get(HumanTask, task.id).supervision_level == "yellow"
        assert escalator.unit_score(s, "market") == 95
    assert outbox.sent[0][0] == "supervision.started"


def test_remind_and_acknowledge(engine, escalator, session_factory, clock, outbox):
    _, task = _lead(engine, session_factory, clock, due="P1D")
    escalator.remind(task.id, SUPERVISOR, "请尽快反馈核查结果")
    assert outbox.sent[-1][:2] == ("task.reminder", ("chen.market", "li.officer"))
    clock.advance(days=2)
    escalator.run_due()
    with session_factory() as s:
        item = s.scalars(select(Escalation)).first()
    with pytest.raises(PermissionDenied):
        escalator.acknowledge(item.id, OFFICER)
    escalator.acknowledge(item.id, SUPERVISOR, "已电话督促")
    with pytest.raises(InvalidOperation):
        escalator.acknowledge(item.id, SUPERVISOR)
    with session_factory() as s:
        assert s.get(Escalation, item.id).status == "acknowledged"
