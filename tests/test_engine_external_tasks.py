"""Service tasks as external tasks: rows, fetch and lock, complete, failure and retries,
BPMN errors caught by boundary events, lock expiry, extend and unlock (Camunda 7's semantics)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.errors import InvalidOperation, NotFound
from engine.external_tasks import LockLost, TopicRequest
from engine.identity import SYSTEM
from engine.store.models import Incident, ProcessInstance
from engine.store.wait_models import ExternalTask
from tests import bpmn_builder as b
from tests.helpers import SUPERVISOR, open_tasks

LOCK = timedelta(seconds=30)


def service(id="push", topic="report", priority=None):
    extra = f' camunda:taskPriority="{priority}"' if priority is not None else ""
    return f'<bpmn:serviceTask id="{id}" name="报送" camunda:type="external" camunda:topic="{topic}"{extra}/>'


def deploy_push(engine, process_id="push_case", with_error_boundary=False):
    elements = [b.start(), service(), b.user_task("after"), b.end()]
    flows = b.chain("start", "push", "after", "end")
    errors = ()
    if with_error_boundary:
        elements += ['<bpmn:boundaryEvent id="refused" attachedToRef="push">'
                     '<bpmn:errorEventDefinition errorRef="err_REFUSED"/></bpmn:boundaryEvent>',
                     b.user_task("handle_refusal"), b.end("end2")]
        flows += b.chain("refused", "handle_refusal", "end2")
        errors = ("REFUSED",)
    engine.deploy(b.process(process_id, *elements, *flows, errors=errors))


def fetch(engine, worker="w1", topic="report", max_tasks=10, **kwargs):
    return engine.external.fetch_and_lock(worker, max_tasks, [TopicRequest(topic, LOCK, **kwargs)])


def rows(session_factory):
    with session_factory() as s:
        return s.scalars(select(ExternalTask).order_by(ExternalTask.id)).all()


def incidents(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()


def status(session_factory, instance_id):
    with session_factory() as s:
        return s.get(ProcessInstance, instance_id).status


def test_a_service_task_waits_for_a_worker_who_sees_the_variables_and_completes_it(engine, session_factory):
    deploy_push(engine)
    instance_id = engine.start("push_case", {"lead_number": "XS-1", "amount": 12.5}, business_key="XS-1")
    assert open_tasks(session_factory, instance_id) == []
    [row] = rows(session_factory)
    assert (row.topic, row.element_id, row.status, row.business_key) == ("report", "push", "open", "XS-1")
    [locked] = fetch(engine)
    assert locked.variables["lead_number"] == "XS-1" and locked.variables["amount"] == 12.5
    assert locked.row.worker_id == "w1" and locked.row.lock_expires_at is not None
    assert fetch(engine, worker="w2") == []  # locked: nobody else gets it
    with pytest.raises(LockLost):
        engine.external.complete(locked.row.id, "w2", SYSTEM, {})
    engine.external.complete(locked.row.id, "w1", SYSTEM, {"receipt": "SB-9"})
    [after] = open_tasks(session_factory, instance_id)
    assert after.element_id == "after"
    assert rows(session_factory)[0].status == "completed"
    with pytest.raises(NotFound):
        engine.external.complete(locked.row.id, "w1", SYSTEM, {})


def test_fetch_filters_variables_and_orders_by_priority(engine, session_factory):
    engine.deploy(b.process("low", b.start(), service(priority=1), b.end(), *b.chain("start", "push", "end")))
    engine.deploy(b.process("high", b.start(), service(priority="${urgency}"), b.end(),
                            *b.chain("start", "push", "end")))
    engine.start("low", {"secret": 1})
    engine.start("high", {"urgency": 9, "secret": 2})
    first, second = fetch(engine, variables=["urgency"])
    assert first.row.process_id == "high" and first.row.priority == 9 and first.variables == {"urgency": 9}
    assert second.row.process_id == "low" and second.variables == {}
    assert fetch(engine, topic="other") == []


def test_an_expired_lock_lets_another_worker_fetch_the_task(engine, session_factory, clock):
    deploy_push(engine)
    engine.start("push_case")
    [first] = fetch(engine, worker="w1")
    clock.advance(timedelta(seconds=31))
    [again] = fetch(engine, worker="w2")
    assert again.row.id == first.row.id and again.row.worker_id == "w2"
    with pytest.raises(LockLost):
        engine.external.extend_lock(first.row.id, "w1", SYSTEM, LOCK)
    engine.external.extend_lock(first.row.id, "w2", SYSTEM, timedelta(minutes=5))
    clock.advance(timedelta(seconds=31))
    assert fetch(engine, worker="w3") == []  # the extended lock still holds
    engine.external.unlock(first.row.id, SYSTEM)
    [third] = fetch(engine, worker="w3")
    assert third.row.id == first.row.id


def test_failures_count_down_retries_then_open_an_incident_that_a_retry_resolves(engine, session_factory, clock):
    deploy_push(engine)
    instance_id = engine.start("push_case")
    [task] = fetch(engine)
    engine.external.handle_failure(task.row.id, "w1", SYSTEM, "platform down", "HTTP 503", retries=2,
                                   retry_timeout=timedelta(seconds=60))
    assert fetch(engine) == []  # not before the retry timeout
    clock.advance(timedelta(seconds=61))
    [task] = fetch(engine)
    assert task.row.retries == 2 and task.row.error_message == "platform down"
    engine.external.handle_failure(task.row.id, "w1", SYSTEM, "still down", None, retries=0,
                                   retry_timeout=timedelta(0))
    [incident] = incidents(session_factory, instance_id)
    assert incident.kind == "failed_external_task" and incident.element_id == "push"
    assert "still down" in incident.message and status(session_factory, instance_id) == "error"
    clock.advance(timedelta(hours=1))
    assert fetch(engine) == []  # no retries left
    engine.retry(instance_id, SUPERVISOR, reason="platform is back")
    [task] = fetch(engine)
    engine.external.complete(task.row.id, "w1", SYSTEM, {})
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["after"]


def test_setting_retries_resolves_the_incident(engine, session_factory):
    deploy_push(engine)
    instance_id = engine.start("push_case")
    [task] = fetch(engine)
    engine.external.handle_failure(task.row.id, "w1", SYSTEM, "down", None, retries=0, retry_timeout=timedelta(0))
    engine.external.set_retries(task.row.id, SYSTEM, 3)
    assert status(session_factory, instance_id) == "running"
    assert incidents(session_factory, instance_id)[0].resolution == "retries set"
    assert len(fetch(engine)) == 1
    with pytest.raises(InvalidOperation):
        engine.external.set_retries(task.row.id, SYSTEM, -1)


def test_a_bpmn_error_is_caught_by_the_error_boundary_event(engine, session_factory):
    deploy_push(engine, with_error_boundary=True)
    instance_id = engine.start("push_case")
    [task] = fetch(engine)
    engine.external.handle_bpmn_error(task.row.id, "w1", SYSTEM, "REFUSED", "the platform refused it",
                                      {"reason": "missing seal"})
    [handle] = open_tasks(session_factory, instance_id)
    assert handle.element_id == "handle_refusal"
    assert rows(session_factory)[0].status == "cancelled"
    assert incidents(session_factory, instance_id) == []


def test_an_uncaught_bpmn_error_is_an_incident(engine, session_factory):
    deploy_push(engine)
    instance_id = engine.start("push_case")
    [task] = fetch(engine)
    engine.external.handle_bpmn_error(task.row.id, "w1", SYSTEM, "NOBODY_CATCHES")
    [incident] = incidents(session_factory, instance_id)
    assert incident.kind == "bpmn_error" and "NOBODY_CATCHES" in incident.message


def test_a_boundary_timer_interrupting_the_task_cancels_its_row(engine, session_factory, clock):
    engine.deploy(b.process("timed", b.start(), service(), b.boundary_timer("late", "push", "PT1H"),
                            b.user_task("chase"), b.end(), b.end("end2"),
                            *b.chain("start", "push", "end"), *b.chain("late", "chase", "end2")))
    instance_id = engine.start("timed")
    [task] = fetch(engine)
    clock.advance(timedelta(hours=2))
    engine.fire_due_timers()
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["chase"]
    assert rows(session_factory)[0].status == "cancelled"
    with pytest.raises(NotFound):
        engine.external.complete(task.row.id, "w1", SYSTEM, {})


def test_bad_requests_are_refused_plainly(engine, session_factory):
    with pytest.raises(InvalidOperation, match="workerId"):
        engine.external.fetch_and_lock("", 1, [TopicRequest("report", LOCK)])
    with pytest.raises(InvalidOperation, match="maxTasks"):
        engine.external.fetch_and_lock("w", 100000, [TopicRequest("report", LOCK)])
    with pytest.raises(NotFound):
        engine.external.unlock(12345, SYSTEM)
    with pytest.raises(InvalidOperation, match="errorCode"):
        engine.external.handle_bpmn_error(1, "w", SYSTEM, "")


def test_two_workers_fetching_at_once_never_get_the_same_task(engine, session_factory):
    import threading
    deploy_push(engine)
    for n in range(12):
        engine.start("push_case", {"n": n})
    got, barrier = {}, threading.Barrier(3)

    def worker(name):
        barrier.wait()
        got[name] = []
        while found := fetch(engine, worker=name, max_tasks=3):
            got[name] += [t.row.id for t in found]

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [task_id for found in got.values() for task_id in found]
    assert len(ids) == len(set(ids)) == 12
