"""Messages and signals: delivery from other systems (Camunda's correlation rules) and between
Duban's own instances (send tasks, throw events), waiting rows, start events, boundaries."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import events
from engine.store.models import ProcessInstance
from engine.store.wait_models import EventSubscription
from tests import bpmn_builder as b
from tests.helpers import OFFICER, open_tasks

MESSAGES = '<bpmn:message id="m_receipt" name="公安受理回执"/><bpmn:message id="m_go" name="go"/>' \
           '<bpmn:signal id="s_alarm" name="alarm"/>'


def with_declarations(xml: bytes) -> bytes:
    return xml.replace(b"<bpmn:process", MESSAGES.encode() + b"<bpmn:process", 1)


def receive(id="wait", message="m_receipt"):
    return f'<bpmn:receiveTask id="{id}" name="等待回执" messageRef="{message}"/>'


def catch(id, definition):
    return f'<bpmn:intermediateCatchEvent id="{id}">{definition}</bpmn:intermediateCatchEvent>'


MESSAGE_DEF = '<bpmn:messageEventDefinition messageRef="m_receipt"/>'
SIGNAL_DEF = '<bpmn:signalEventDefinition signalRef="s_alarm"/>'


def deploy_waiting(engine, process_id="transfer"):
    engine.deploy(with_declarations(b.process(process_id, b.start(), receive(), b.user_task("after"), b.end(),
                                              *b.chain("start", "wait", "after", "end"))))


def subscriptions(session_factory):
    with session_factory() as s:
        return s.scalars(select(EventSubscription).order_by(EventSubscription.id)).all()


def test_a_message_reaches_the_instance_with_its_business_key_and_sets_variables(engine, session_factory):
    deploy_waiting(engine)
    first = engine.start("transfer", business_key="XS-1")
    second = engine.start("transfer", business_key="XS-2")
    assert {(s.name, s.business_key) for s in subscriptions(session_factory)} == {
        ("公安受理回执", "XS-1"), ("公安受理回执", "XS-2")}
    [result] = events.correlate(engine, "公安受理回执", business_key="XS-2", variables={"receipt_no": "GA-7"})
    assert result.instance_id == second and not result.started
    [after] = open_tasks(session_factory, second)
    assert after.element_id == "after"
    engine.complete(after.id, OFFICER, {})
    with session_factory() as s:
        assert s.get(ProcessInstance, second).status == "completed"
    assert [s.business_key for s in subscriptions(session_factory)] == ["XS-1"]
    assert open_tasks(session_factory, first) == []


def test_the_message_payload_becomes_variables(engine, session_factory):
    engine.deploy(with_declarations(b.process(
        "route", b.start(), receive(), b.gateway("g", default="f_g_other"), b.user_task("police_path"),
        b.user_task("other"), b.end(), b.end("end2"), *b.chain("start", "wait", "g"),
        b.flow("g", "police_path", "accepted == True"), b.flow("g", "other", id="f_g_other"),
        *b.chain("police_path", "end"), *b.chain("other", "end2"))))
    instance_id = engine.start("route", business_key="XS-3")
    events.correlate(engine, "公安受理回执", business_key="XS-3", variables={"accepted": True})
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["police_path"]


def test_correlation_refuses_nothing_and_ambiguity_unless_all(engine, session_factory):
    deploy_waiting(engine)
    with pytest.raises(events.MessageNotCorrelated):
        events.correlate(engine, "公安受理回执")
    engine.start("transfer", business_key="A")
    engine.start("transfer", business_key="B")
    with pytest.raises(events.AmbiguousCorrelation):
        events.correlate(engine, "公安受理回执")
    with pytest.raises(events.MessageNotCorrelated):
        events.correlate(engine, "公安受理回执", business_key="C")
    with pytest.raises(events.MessageNotCorrelated):
        events.correlate(engine, "no such message")
    assert len(events.correlate(engine, "公安受理回执", all=True)) == 2
    assert open_tasks(session_factory) and subscriptions(session_factory) == []


def test_correlation_keys_match_process_variables(engine, session_factory):
    deploy_waiting(engine)
    engine.start("transfer", {"case_no": "GA-1"})
    wanted = engine.start("transfer", {"case_no": "GA-2"})
    [result] = events.correlate(engine, "公安受理回执", correlation_keys={"case_no": "GA-2"})
    assert result.instance_id == wanted


def test_a_message_start_event_starts_the_latest_version(engine, session_factory):
    xml = with_declarations(b.process(
        "on_receipt", f'<bpmn:startEvent id="start">{MESSAGE_DEF}</bpmn:startEvent>', b.user_task("file"),
        b.end(), *b.chain("start", "file", "end")))
    engine.deploy(xml)
    engine.deploy(xml.replace(b'name="file"', b'name="file v2"'))
    assert len([s for s in subscriptions(session_factory) if s.instance_id is None]) == 1
    [result] = events.correlate(engine, "公安受理回执", business_key="XS-9", variables={"receipt_no": "GA-1"})
    assert result.started
    with session_factory() as s:
        instance = s.get(ProcessInstance, result.instance_id)
        assert instance.business_key == "XS-9" and instance.definition.version == 2
    [task] = open_tasks(session_factory, result.instance_id)
    assert task.name == "file v2"


def test_a_send_task_delivers_to_the_waiting_instance_with_the_same_business_key(engine, session_factory):
    deploy_waiting(engine)
    engine.deploy(with_declarations(b.process(
        "police", b.start(), '<bpmn:sendTask id="send" name="发送回执" messageRef="m_receipt"/>', b.end(),
        *b.chain("start", "send", "end"))))
    other = engine.start("transfer", business_key="XS-1")
    waiting = engine.start("transfer", business_key="XS-2")
    engine.start("police", {"receipt_no": "GA-5"}, business_key="XS-2")
    assert [t.element_id for t in open_tasks(session_factory, waiting)] == ["after"]
    assert open_tasks(session_factory, other) == []


def test_interrupting_and_non_interrupting_message_boundaries(engine, session_factory):
    engine.deploy(with_declarations(b.process(
        "withdrawable", b.start(), b.user_task("verify"),
        f'<bpmn:boundaryEvent id="withdrawn" attachedToRef="verify">{MESSAGE_DEF}</bpmn:boundaryEvent>',
        '<bpmn:boundaryEvent id="nudge" attachedToRef="verify" cancelActivity="false">'
        '<bpmn:messageEventDefinition messageRef="m_go"/></bpmn:boundaryEvent>',
        b.user_task("note"), b.user_task("close_withdrawn"), b.end(), b.end("end2"), b.end("end3"),
        *b.chain("start", "verify", "end"), *b.chain("withdrawn", "close_withdrawn", "end2"),
        *b.chain("nudge", "note", "end3"))))
    instance_id = engine.start("withdrawable", business_key="K")
    events.correlate(engine, "go", business_key="K")
    assert sorted(t.element_id for t in open_tasks(session_factory, instance_id)) == ["note", "verify"]
    events.correlate(engine, "公安受理回执", business_key="K")
    assert sorted(t.element_id for t in open_tasks(session_factory, instance_id)) == ["close_withdrawn", "note"]


def test_an_event_based_gateway_takes_the_message_or_the_timer(engine, session_factory, clock):
    xml = with_declarations(b.process(
        "race", b.start(), b.gateway("g", kind="eventBasedGateway"), catch("got", MESSAGE_DEF),
        b.timer_event("late", value="P3D"), b.user_task("record"), b.user_task("chase"), b.end(), b.end("end2"),
        *b.chain("start", "g"), b.flow("g", "got"), b.flow("g", "late"), *b.chain("got", "record", "end"),
        *b.chain("late", "chase", "end2")))
    engine.deploy(xml)
    by_message = engine.start("race", business_key="M")
    by_timer = engine.start("race", business_key="T")
    events.correlate(engine, "公安受理回执", business_key="M")
    clock.advance(timedelta(days=4))
    engine.fire_due_timers()
    assert [t.element_id for t in open_tasks(session_factory, by_message)] == ["record"]
    assert [t.element_id for t in open_tasks(session_factory, by_timer)] == ["chase"]
    assert subscriptions(session_factory) == []


def test_a_signal_reaches_every_waiting_instance_and_starts_signal_start_processes(engine, session_factory):
    engine.deploy(with_declarations(b.process("listener", b.start(), catch("heard", SIGNAL_DEF),
                                              b.user_task("act"), b.end(), *b.chain("start", "heard", "act", "end"))))
    engine.deploy(with_declarations(b.process(
        "on_alarm", f'<bpmn:startEvent id="start">{SIGNAL_DEF}</bpmn:startEvent>', b.user_task("report"), b.end(),
        *b.chain("start", "report", "end"))))
    engine.deploy(with_declarations(b.process(
        "alarm", b.start(), f'<bpmn:intermediateThrowEvent id="raise">{SIGNAL_DEF}</bpmn:intermediateThrowEvent>',
        b.end(), *b.chain("start", "raise", "end"))))
    listeners = [engine.start("listener"), engine.start("listener")]
    engine.start("alarm")
    for instance_id in listeners:
        assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["act"]
    assert sorted(t.element_id for t in open_tasks(session_factory)) == ["act", "act", "report"]
    assert events.broadcast(engine, "alarm", variables={"level": "red"}) == 1  # one more start; nobody waits
    with pytest.raises(Exception, match="signal name"):
        events.broadcast(engine, " ")


def test_message_events_must_name_their_message(engine):
    from engine.errors import BpmnValidationError
    with pytest.raises(BpmnValidationError, match="element wait.*messageRef"):
        engine.deploy(b.process("bad", b.start(), catch("wait", "<bpmn:messageEventDefinition/>"), b.end(),
                                *b.chain("start", "wait", "end")))
