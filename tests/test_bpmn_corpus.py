"""A corpus of BPMN files as Camunda Modeler 5.x (Camunda Platform 7.20) writes them, deployed and run.

Each file in tests/bpmn_corpus/ is in the table `CASES` below: either it is refused at deploy with a
validation error naming its element, or a driver deploys it, starts it, moves the clock, completes user
tasks, fetches and completes external tasks, correlates messages, broadcasts signals, and checks where
every instance ends (open user tasks, status, incidents). A construct that does not yet run as Camunda
would run it is marked xfail with the reason.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine import events
from engine.calls import MAX_CALL_DEPTH
from engine.errors import BpmnValidationError
from engine.external_tasks import TopicRequest
from engine.identity import SYSTEM, Actor
from engine.store.models import HumanTask, Incident, ProcessDefinition, ProcessInstance
from engine.store.wait_models import EventSubscription, ExternalTask
from tests.helpers import OFFICER, open_tasks

CORPUS = Path(__file__).parent / "bpmn_corpus"
BEIJING = timezone(timedelta(hours=8))
LOCK = timedelta(minutes=5)


def officer(username, *groups):
    return Actor(username, groups=frozenset(groups), roles=frozenset({"officer"}))


POLICE = officer("police.officer", "police")
LAND = officer("land.officer", "land")
CITY = officer("city.officer", "city_office")
COMMUNITY = officer("tangshi.officer", "community_tangshi")
OFFICE_OFFICER = officer("office.officer", "office")
OFFICE_LEADER = officer("office.leader", "office")


# -- helpers ---------------------------------------------------------------------------------------

def load(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def deploy(engine, name: str, data: bytes | None = None):
    return engine.deploy(data if data is not None else load(name), filename=name)


def instance(session_factory, instance_id) -> ProcessInstance:
    with session_factory() as s:
        return s.get(ProcessInstance, instance_id)


def instances_of(session_factory, process_id) -> list[ProcessInstance]:
    with session_factory() as s:
        return s.scalars(select(ProcessInstance).where(ProcessInstance.process_id == process_id)
                         .order_by(ProcessInstance.id)).all()


def version_of(session_factory, inst: ProcessInstance) -> int:
    with session_factory() as s:
        return s.get(ProcessDefinition, inst.definition_id).version


def status(session_factory, instance_id) -> str:
    return instance(session_factory, instance_id).status


def incidents(session_factory, instance_id) -> list[Incident]:
    with session_factory() as s:
        return s.scalars(select(Incident).where(Incident.instance_id == instance_id, Incident.resolved_at.is_(None))
                         .order_by(Incident.id)).all()


def open_elements(session_factory, instance_id) -> list[str]:
    return [task.element_id for task in open_tasks(session_factory, instance_id)]


def the_open_task(session_factory, instance_id, element_id) -> HumanTask:
    [task] = [t for t in open_tasks(session_factory, instance_id) if t.element_id == element_id]
    return task


def complete(engine, session_factory, instance_id, element_id, actor=OFFICER, data=None):
    return engine.complete(the_open_task(session_factory, instance_id, element_id).id, actor, data or {})


def fetch(engine, topic, max_tasks=10, worker="corpus-worker"):
    return engine.external.fetch_and_lock(worker, max_tasks, [TopicRequest(topic, LOCK)])


def task_data(engine, session_factory, instance_id, element_id) -> dict:
    """The data of the last task of `element_id` in the instance."""
    with session_factory() as s:
        _, workflow = engine.load_workflow(s, instance_id)
    return dict([t for t in workflow.get_tasks() if t.task_spec.bpmn_id == element_id][-1].data)


def subscriptions(session_factory) -> list[EventSubscription]:
    with session_factory() as s:
        return s.scalars(select(EventSubscription).order_by(EventSubscription.id)).all()


def utc(moment: datetime) -> datetime:
    """A stored time (naive UTC on SQLite, aware on PostgreSQL) as aware UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- drivers: one per runnable file ------------------------------------------------------------------

def drive_external_lead_push(engine, session_factory, clock):
    """External service task (topic, expression priority) and an external send task, then a user task."""
    deploy(engine, "external_lead_push.bpmn")
    low = engine.start("Process_1xq7b2m", {"lead_no": "XS-2026-0101", "priority": 8}, business_key="XS-2026-0101")
    high = engine.start("Process_1xq7b2m", {"lead_no": "XS-2026-0102", "priority": 30}, business_key="XS-2026-0102")
    assert open_tasks(session_factory) == []
    # The higher camunda:taskPriority is handed out first.
    [first] = fetch(engine, "lead-push", max_tasks=1)
    assert (first.row.instance_id, first.row.priority, first.row.element_id) == (high, 30, "Activity_0k3v9xm")
    assert first.row.business_key == "XS-2026-0102" and first.variables["lead_no"] == "XS-2026-0102"
    [second] = fetch(engine, "lead-push")
    assert (second.row.instance_id, second.row.priority) == (low, 8)
    assert fetch(engine, "lead-push") == []  # both locked
    for locked in (first, second):
        engine.external.complete(locked.row.id, "corpus-worker", SYSTEM,
                                 {"city_lead_id": f"SJ-{locked.row.instance_id}"})
    # The external send task is next, on its own topic.
    synced = fetch(engine, "progress-sync")
    assert sorted(t.row.element_id for t in synced) == ["Activity_1f8d2wq"] * 2
    assert all(t.variables["city_lead_id"] == f"SJ-{t.row.instance_id}" for t in synced)
    for locked in synced:
        engine.external.complete(locked.row.id, "corpus-worker", SYSTEM)
    for instance_id in (low, high):
        assert open_elements(session_factory, instance_id) == ["Activity_0p6n4hs"]
        complete(engine, session_factory, instance_id, "Activity_0p6n4hs")
        assert status(session_factory, instance_id) == "completed"
        assert incidents(session_factory, instance_id) == []


def drive_external_receipt_error_boundary(engine, session_factory, clock):
    """An external task completed, failed (no retries: incident), and ended by a BPMN error its error
    boundary event catches; an error code nothing catches is an incident."""
    deploy(engine, "external_receipt_error_boundary.bpmn")
    keys = ["XS-0201", "XS-0202", "XS-0203", "XS-0204"]
    ids = {key: engine.start("Process_0r5m8ta", {"lead_no": key}, business_key=key) for key in keys}
    locked = {t.row.business_key: t for t in fetch(engine, "police-receipt")}
    assert sorted(locked) == keys and {t.row.priority for t in locked.values()} == {20}
    worker = "corpus-worker"
    # Completed: the normal path ends.
    engine.external.complete(locked["XS-0201"].row.id, worker, SYSTEM, {"receipt_no": "GA-2026-17"})
    assert status(session_factory, ids["XS-0201"]) == "completed"
    # A BPMN error with the boundary's errorCode: the boundary path, the external task is gone.
    engine.external.handle_bpmn_error(locked["XS-0202"].row.id, worker, SYSTEM, "NO_RECEIPT", "公安未出具受理回执")
    assert open_elements(session_factory, ids["XS-0202"]) == ["Activity_0c9hq2u"]
    with session_factory() as s:
        row = s.get(ExternalTask, locked["XS-0202"].row.id)
        assert row.status == "cancelled"
    complete(engine, session_factory, ids["XS-0202"], "Activity_0c9hq2u", POLICE, {"receipt_no": "补录-1"})
    assert status(session_factory, ids["XS-0202"]) == "completed"
    # A failure with no retries left: an incident on the service task, the instance in error.
    engine.external.handle_failure(locked["XS-0203"].row.id, worker, SYSTEM, "公安接口超时", "timeout after 30s",
                                   retries=0, retry_timeout=timedelta(0))
    assert status(session_factory, ids["XS-0203"]) == "error"
    [incident] = incidents(session_factory, ids["XS-0203"])
    assert (incident.kind, incident.element_id) == ("failed_external_task", "Activity_1ge4tk0")
    assert "公安接口超时" in incident.message
    # An error code no boundary catches: an incident here (Camunda 7 by default ends the execution
    # silently unless enableExceptionsAfterUnhandledBpmnError is set).
    engine.external.handle_bpmn_error(locked["XS-0204"].row.id, worker, SYSTEM, "UNEXPECTED")
    assert status(session_factory, ids["XS-0204"]) == "error"
    assert [i.kind for i in incidents(session_factory, ids["XS-0204"])] == ["bpmn_error"]


def drive_external_error_code_variable(engine, session_factory, clock):
    """camunda:errorCodeVariable and errorMessageVariable on the error boundary's definition: Camunda
    stores the caught error's code and message in these variables."""
    deploy(engine, "external_error_code_variable.bpmn")
    query = engine.start("Process_1k9m2wd", {"owner": "某养老机构"})
    [locked] = fetch(engine, "land-registry")
    engine.external.handle_bpmn_error(locked.row.id, "corpus-worker", SYSTEM, "NOT_FOUND", "登记系统无此记录")
    assert open_elements(session_factory, query) == ["Activity_1u7e0zp"]
    data = task_data(engine, session_factory, query, "Activity_1u7e0zp")
    assert (data.get("registry_error_code"), data.get("registry_error_message")) == ("NOT_FOUND", "登记系统无此记录")


def drive_report_closure_collaboration(engine, session_factory, clock):
    """Two pools, both executable: the send task starts the other process through its message start
    event; its send task answers the first one's receive task."""
    result = deploy(engine, "report_closure_collaboration.bpmn")
    assert result.definition.process_id == "Process_0bx9r1k" and result.created
    assert [other.definition.process_id for other in result.others] == ["Process_1h7c4zs"]
    assert (result.definition.name, result.others[0].definition.name) == ("报送办结情况", "审阅办结报告")
    street = engine.start("Process_0bx9r1k", {"lead_no": "XS-2026-0301"}, business_key="XS-2026-0301")
    complete(engine, session_factory, street, "Activity_1n4w7sd", OFFICER, {"summary": "已核实并处置"})
    [city] = instances_of(session_factory, "Process_1h7c4zs")
    assert city.business_key == "XS-2026-0301" and city.status == "running"
    assert open_elements(session_factory, city.id) == ["Activity_0z9p3lb"]
    assert open_elements(session_factory, street) == []  # waiting in the receive task
    complete(engine, session_factory, city.id, "Activity_0z9p3lb", CITY, {"reviewed": True})
    assert status(session_factory, city.id) == "completed"
    assert open_elements(session_factory, street) == ["Activity_0m3t8ka"]
    complete(engine, session_factory, street, "Activity_0m3t8ka", OFFICER)
    assert status(session_factory, street) == "completed"
    # The message start event answers a message from outside too.
    [started] = events.correlate(engine, "办结报告", business_key="XS-2026-0302")
    assert started.started
    assert instance(session_factory, started.instance_id).business_key == "XS-2026-0302"
    assert open_elements(session_factory, started.instance_id) == ["Activity_0z9p3lb"]


def drive_lead_verification_messages(engine, session_factory, clock):
    """Non-interrupting and interrupting message boundary events, then an intermediate message catch."""
    deploy(engine, "lead_verification_messages.bpmn")
    kept = engine.start("Process_0v3m6kd", {"lead_no": "XS-0401"}, business_key="XS-0401")
    withdrawn = engine.start("Process_0v3m6kd", {"lead_no": "XS-0402"}, business_key="XS-0402")
    # Non-interrupting: the verification stays open beside the new task.
    events.correlate(engine, "补充材料", business_key="XS-0401", variables={"material": "转账记录"})
    assert open_elements(session_factory, kept) == ["Activity_0w1h5dq", "Activity_0u8n4zb"]
    # Interrupting: the verification is cancelled, the instance ends.
    events.correlate(engine, "线索撤回", business_key="XS-0402")
    assert open_elements(session_factory, withdrawn) == []
    assert status(session_factory, withdrawn) == "completed"
    complete(engine, session_factory, kept, "Activity_0u8n4zb")
    complete(engine, session_factory, kept, "Activity_0w1h5dq", OFFICER, {"verified": True})
    # Now waiting at the intermediate message catch event; a second supplement finds no boundary.
    assert open_elements(session_factory, kept) == []
    with pytest.raises(events.MessageNotCorrelated):
        events.correlate(engine, "补充材料", business_key="XS-0401")
    [received] = events.correlate(engine, "公安受理回执", business_key="XS-0401", variables={"receipt_no": "GA-77"})
    assert received.instance_id == kept and not received.started
    assert open_elements(session_factory, kept) == ["Activity_1q7c2xe"]
    assert task_data(engine, session_factory, kept, "Activity_1q7c2xe")["receipt_no"] == "GA-77"
    complete(engine, session_factory, kept, "Activity_1q7c2xe")
    assert status(session_factory, kept) == "completed"
    assert subscriptions(session_factory) == []


def drive_receipt_event_gateway(engine, session_factory, clock):
    """Event-based gateway: the message wins in one instance, the three-day timer in the other."""
    deploy(engine, "receipt_event_gateway.bpmn")
    answered = engine.start("Process_1p0d4xv", business_key="XS-0501")
    silent = engine.start("Process_1p0d4xv", business_key="XS-0502")
    for instance_id in (answered, silent):
        complete(engine, session_factory, instance_id, "Activity_1z5c8hm")
    assert sorted(s.business_key for s in subscriptions(session_factory)) == ["XS-0501", "XS-0502"]
    events.correlate(engine, "公安受理回执", business_key="XS-0501")
    assert status(session_factory, answered) == "completed"
    clock.advance(days=2, hours=23)
    assert engine.fire_due_timers() == 0
    clock.advance(hours=1, minutes=1)
    assert engine.fire_due_timers() == 1
    assert open_elements(session_factory, silent) == ["Activity_0j2u6nx"]
    assert subscriptions(session_factory) == []  # the message branch is withdrawn
    with pytest.raises(events.MessageNotCorrelated):
        events.correlate(engine, "公安受理回执", business_key="XS-0502")
    complete(engine, session_factory, silent, "Activity_0j2u6nx")
    assert status(session_factory, silent) == "completed"


def drive_signal_throw(engine, session_factory, clock):
    """A signal thrown by one instance reaches the instances waiting for it and starts the process
    whose start event waits for it."""
    for name in ("signal_catch.bpmn", "signal_start_archive.bpmn", "signal_throw.bpmn"):
        deploy(engine, name)
    watchers = [engine.start("Process_1e4g9sk", business_key=f"XS-060{n}") for n in (1, 2)]
    thrower = engine.start("Process_0c2y7mw")
    assert [open_elements(session_factory, w) for w in watchers] == [[], []]
    [announce] = open_tasks(session_factory, thrower)
    assert announce.assignee == "office.leader"
    engine.complete(announce.id, OFFICE_LEADER, {})
    assert status(session_factory, thrower) == "completed"
    assert [open_elements(session_factory, w) for w in watchers] == [["Activity_0d3x6lw"]] * 2
    [archive] = instances_of(session_factory, "Process_0m6w1bt")
    assert open_elements(session_factory, archive.id) == ["Activity_1c7s4ge"]
    # Nobody waits any more: a second signal only starts another archive.
    assert events.broadcast(engine, "专项行动结束") == 1
    assert len(instances_of(session_factory, "Process_0m6w1bt")) == 2


def drive_signal_catch(engine, session_factory, clock):
    deploy(engine, "signal_catch.bpmn")
    watcher = engine.start("Process_1e4g9sk")
    assert [s.kind for s in subscriptions(session_factory)] == ["signal"]
    assert events.broadcast(engine, "专项行动结束") == 1
    assert open_elements(session_factory, watcher) == ["Activity_0d3x6lw"]
    complete(engine, session_factory, watcher, "Activity_0d3x6lw")
    assert status(session_factory, watcher) == "completed"


def drive_signal_start_archive(engine, session_factory, clock):
    deploy(engine, "signal_start_archive.bpmn")
    assert events.broadcast(engine, "专项行动结束", variables={"campaign": "2026"}) == 1
    [archive] = instances_of(session_factory, "Process_0m6w1bt")
    assert open_elements(session_factory, archive.id) == ["Activity_1c7s4ge"]
    assert task_data(engine, session_factory, archive.id, "Activity_1c7s4ge")["campaign"] == "2026"


def drive_call_caller_dispatch(engine, session_factory, clock):
    """Call activities calling a process deployed from another file: the latest version with
    variables="all" and the parent's business key, then version 1 (calledElementBinding="version")
    with source/target mappings; camunda:out brings the results back."""
    callee = load("call_callee_verify_onsite.bpmn")
    assert deploy(engine, "call_callee_verify_onsite.bpmn").definition.version == 1
    revised = callee.replace('name="现场核查"'.encode(), 'name="现场核查（修订）"'.encode(), 1)
    assert deploy(engine, "call_callee_verify_onsite.bpmn", revised).definition.version == 2
    result = deploy(engine, "call_caller_dispatch.bpmn")
    assert result.warnings == []
    caller = engine.start("Process_1b6q2ne", {"lead_no": "XS-0701", "unit": "market", "review_unit": "police"},
                          business_key="XS-0701")
    [first] = instances_of(session_factory, "Process_verify_onsite")
    assert (first.super_instance_id, first.business_key, version_of(session_factory, first)) == (caller, "XS-0701", 2)
    [verify] = open_tasks(session_factory, first.id)
    assert (verify.element_id, verify.candidate_groups) == ("Activity_0p1x8hy", "market")
    assert task_data(engine, session_factory, first.id, "Activity_0p1x8hy")["review_unit"] == "police"
    engine.complete(verify.id, OFFICER, {"found": True})
    assert status(session_factory, first.id) == "completed"
    second = instances_of(session_factory, "Process_verify_onsite")[1]
    assert (second.super_instance_id, second.business_key, version_of(session_factory, second)) == (caller, None, 1)
    [review] = open_tasks(session_factory, second.id)
    assert review.candidate_groups == "police"
    data = task_data(engine, session_factory, second.id, "Activity_0p1x8hy")
    assert data["lead_no"] == "XS-0701" and "review_unit" not in data
    engine.complete(review.id, POLICE, {"found": False})
    assert open_elements(session_factory, caller) == ["Activity_0y8c3pm"]
    data = task_data(engine, session_factory, caller, "Activity_0y8c3pm")
    assert data["first_conclusion"] == "属实" and data["conclusion"] == "不属实"
    complete(engine, session_factory, caller, "Activity_0y8c3pm")
    assert [status(session_factory, i.id) for i in instances_of(session_factory, "Process_verify_onsite")] == \
        ["completed", "completed"]
    assert status(session_factory, caller) == "completed"


def drive_call_callee_verify_onsite(engine, session_factory, clock):
    deploy(engine, "call_callee_verify_onsite.bpmn")
    onsite = engine.start("Process_verify_onsite", {"unit": "land"})
    [task] = open_tasks(session_factory, onsite)
    assert task.candidate_groups == "land" and task.form_key == "lead/verify"
    engine.complete(task.id, LAND, {"found": False})
    assert status(session_factory, onsite) == "completed"


def drive_call_self_recursive(engine, session_factory, clock):
    """A process calling itself stops with an incident at the depth limit instead of running forever."""
    assert deploy(engine, "call_self_recursive.bpmn").warnings == []
    top = engine.start("Process_0s5r1zq", {"lead_no": "XS-0801"})
    chain = instances_of(session_factory, "Process_0s5r1zq")
    assert len(chain) == MAX_CALL_DEPTH + 1 and chain[0].id == top
    deepest = chain[-1]
    assert [i.status for i in chain] == ["running"] * MAX_CALL_DEPTH + ["error"]
    [incident] = incidents(session_factory, deepest.id)
    assert (incident.kind, incident.element_id) == ("call_error", "Activity_1h4k8nv")
    assert "deeper than" in incident.message


def drive_pass_through_tasks(engine, session_factory, clock):
    """A plain task and a manual task pass through (Camunda runs them as pass-through activities)."""
    deploy(engine, "pass_through_tasks.bpmn")
    visit = engine.start("Process_1w8n3cq", {"elder": "张阿姨"})
    assert open_elements(session_factory, visit) == ["Activity_0l5y1ha"]
    complete(engine, session_factory, visit, "Activity_0l5y1ha", COMMUNITY, {"result": "已提醒防范"})
    assert status(session_factory, visit) == "completed"


def drive_user_task_fields(engine, session_factory, clock):
    """Assignee, candidate users and groups, due date (ISO date, expression, working days), priority."""
    deploy(engine, "user_task_fields.bpmn")
    lead = engine.start("Process_0k2f7wr", {"responsible_unit": "police", "sign_deadline": "2026-03-03T18:00:00+08:00"},
                        actor=OFFICER)
    [triage] = open_tasks(session_factory, lead)
    assert (triage.element_id, triage.assignee, triage.candidate_users, triage.candidate_groups) == (
        "Activity_1t9w2vn", "office.officer", "office.leader", "office")
    assert (triage.priority, triage.form_key) == (80, "lead/triage")
    assert utc(triage.due_at) == datetime(2026, 3, 4, 18, 0, tzinfo=BEIJING)
    engine.complete(triage.id, OFFICE_OFFICER, {})
    [sign] = open_tasks(session_factory, lead)
    assert (sign.element_id, sign.assignee, sign.candidate_groups) == ("Activity_0b6e1yq", None, "police")
    assert utc(sign.due_at) == datetime(2026, 3, 3, 18, 0, tzinfo=BEIJING)
    engine.complete(sign.id, POLICE, {})
    [feedback] = open_tasks(session_factory, lead)
    assert (feedback.assignee, feedback.candidate_groups) == (OFFICER.username, "market,police")
    # 15 working days from Monday 2 March 2026, at the end of the working day.
    assert utc(feedback.due_at) == datetime(2026, 3, 23, 18, 0, tzinfo=BEIJING)
    engine.complete(feedback.id, OFFICER, {})
    assert status(session_factory, lead) == "completed"


def drive_user_task_due_date_without_offset(engine, session_factory, clock):
    """The properties panel's example of a due date is an ISO date without an offset
    (2015-06-26T09:54:00); Camunda reads it in the server's time zone, here Beijing."""
    deploy(engine, "user_task_due_date_without_offset.bpmn")
    lead = engine.start("Process_0n1c5gd")
    [sign] = open_tasks(session_factory, lead)
    assert utc(sign.due_at) == datetime(2026, 3, 4, 18, 0, tzinfo=BEIJING)


def drive_user_task_due_date_datetime_expression(engine, session_factory, clock):
    """The due date of Camunda's documentation: ${dateTime().plusDays(2).toDate()}."""
    deploy(engine, "user_task_due_date_datetime_expression.bpmn")
    lead = engine.start("Process_1y4d8rn")
    [verify] = open_tasks(session_factory, lead)
    assert utc(verify.due_at) == clock.now() + timedelta(days=2)


def drive_script_task_python(engine, session_factory, clock):
    deploy(engine, "script_task_python.bpmn")
    high = engine.start("Process_1u6j3ad", {"victims": 5, "amount": 200000})
    low = engine.start("Process_1u6j3ad", {"victims": 1, "amount": 5000})
    assert open_elements(session_factory, high) == ["Activity_1e2w9oj"]
    assert open_elements(session_factory, low) == ["Activity_0x4t6bn"]
    data = task_data(engine, session_factory, high, "Activity_1e2w9oj")
    assert (data["score"], data["grade"]) == (80, "红")
    complete(engine, session_factory, high, "Activity_1e2w9oj")
    complete(engine, session_factory, low, "Activity_0x4t6bn")
    assert [status(session_factory, i) for i in (high, low)] == ["completed", "completed"]


def drive_endless_loop(engine, session_factory, clock):
    """Gateways and plain tasks looping with nothing to wait for: an incident from the step budget."""
    deploy(engine, "endless_loop.bpmn")
    looping = engine.start("Process_0j9t4mc", {"verified": False})
    assert status(session_factory, looping) == "error"
    [incident] = incidents(session_factory, looping)
    assert incident.kind == "script_error" and "steps without waiting" in incident.message
    assert status(session_factory, engine.start("Process_0j9t4mc", {"verified": True})) == "completed"


def drive_multi_instance_units(engine, session_factory, clock):
    deploy(engine, "multi_instance_units.bpmn")
    consult = engine.start("Process_0y7v2kb", {"units": ["market", "police", "land"]})
    tasks = open_tasks(session_factory, consult)
    assert sorted(t.candidate_groups for t in tasks) == ["land", "market", "police"]
    assert {t.element_id for t in tasks} == {"Activity_1k0s3ny"} and all(t.due_at for t in tasks)
    actors = {"market": OFFICER, "police": POLICE, "land": LAND}
    for task in tasks:
        engine.complete(task.id, actors[task.candidate_groups], {"opinion": f"{task.candidate_groups}同意"})
    assert open_elements(session_factory, consult) == ["Activity_0g8d5wt"]
    complete(engine, session_factory, consult, "Activity_0g8d5wt")
    assert status(session_factory, consult) == "completed"


def drive_multi_instance_collection_expression(engine, session_factory, clock):
    """camunda:collection written as an expression, as Camunda's documentation and many models do."""
    deploy(engine, "multi_instance_collection_expression.bpmn")
    consult = engine.start("Process_1a4x8mr", {"units": ["market", "police"]})
    for unit, actor in (("market", OFFICER), ("police", POLICE)):
        [task] = open_tasks(session_factory, consult)
        assert task.candidate_groups == unit
        engine.complete(task.id, actor, {})
    assert status(session_factory, consult) == "completed"


def drive_multi_instance_completion_condition(engine, session_factory, clock):
    """会签: done when two of three units signed (${nrOfCompletedInstances >= 2}); the third is cancelled."""
    deploy(engine, "multi_instance_completion_condition.bpmn")
    countersign = engine.start("Process_0t6b3yk", {"units": ["market", "police", "land"]})
    tasks = {t.candidate_groups: t for t in open_tasks(session_factory, countersign)}
    assert sorted(tasks) == ["land", "market", "police"]
    engine.complete(tasks["market"].id, OFFICER, {"agree": True})
    assert incidents(session_factory, countersign) == []
    assert len(open_tasks(session_factory, countersign)) == 2
    engine.complete(tasks["police"].id, POLICE, {"agree": True})
    assert open_elements(session_factory, countersign) == ["Activity_0c4r7ma"]


def drive_cron_reminder(engine, session_factory, clock):
    """A Quartz cron cycle (every five seconds) on a non-interrupting boundary timer."""
    deploy(engine, "cron_reminder.bpmn")
    case = engine.start("Process_1c3w6qe")
    assert open_elements(session_factory, case) == ["Activity_0d4k9zs"]
    clock.advance(seconds=6)  # the first match is 09:00:05; a timer fires once its time has passed
    assert engine.fire_due_timers() == 1
    clock.advance(seconds=5)
    assert engine.fire_due_timers() == 1
    assert sorted(open_elements(session_factory, case)) == ["Activity_0d4k9zs", "Activity_1m7q0hb", "Activity_1m7q0hb"]
    complete(engine, session_factory, case, "Activity_0d4k9zs")
    clock.advance(seconds=30)
    assert engine.fire_due_timers() == 0


# -- the expectation table ---------------------------------------------------------------------------

@dataclass
class Case:
    file: str
    drive: Callable | None = None  # runs the file; None: the file is refused at deploy
    refused_element: str | None = None  # the element the validation error names
    refused_words: tuple = ()  # words the error must contain
    xfail: str | None = None  # why it does not run as Camunda runs it (yet)
    raises: type | None = None  # how the xfail shows


CASES = [
    Case("external_lead_push.bpmn", drive_external_lead_push),
    Case("external_receipt_error_boundary.bpmn", drive_external_receipt_error_boundary),
    Case("external_error_code_variable.bpmn", drive_external_error_code_variable),
    Case("report_closure_collaboration.bpmn", drive_report_closure_collaboration),
    Case("lead_verification_messages.bpmn", drive_lead_verification_messages),
    Case("receipt_event_gateway.bpmn", drive_receipt_event_gateway),
    Case("signal_throw.bpmn", drive_signal_throw),
    Case("signal_catch.bpmn", drive_signal_catch),
    Case("signal_start_archive.bpmn", drive_signal_start_archive),
    Case("call_caller_dispatch.bpmn", drive_call_caller_dispatch),
    Case("call_callee_verify_onsite.bpmn", drive_call_callee_verify_onsite),
    Case("call_self_recursive.bpmn", drive_call_self_recursive),
    Case("pass_through_tasks.bpmn", drive_pass_through_tasks),
    Case("user_task_fields.bpmn", drive_user_task_fields),
    Case("user_task_due_date_without_offset.bpmn", drive_user_task_due_date_without_offset),
    Case("user_task_due_date_datetime_expression.bpmn", drive_user_task_due_date_datetime_expression),
    Case("script_task_python.bpmn", drive_script_task_python),
    Case("endless_loop.bpmn", drive_endless_loop),
    Case("multi_instance_units.bpmn", drive_multi_instance_units),
    Case("multi_instance_collection_expression.bpmn", drive_multi_instance_collection_expression),
    Case("multi_instance_completion_condition.bpmn", drive_multi_instance_completion_condition),
    Case("cron_reminder.bpmn", drive_cron_reminder),
    Case("refused_java_class.bpmn", refused_element="Activity_0j1k2l3", refused_words=("camunda:class",)),
    Case("refused_delegate_expression.bpmn", refused_element="Activity_1z2x3c4",
         refused_words=("camunda:delegateExpression",)),
    Case("refused_expression.bpmn", refused_element="Activity_0q2w3e4", refused_words=("camunda:expression",)),
    Case("refused_connector.bpmn", refused_element="Activity_1r4t5y6", refused_words=("connector",)),
    Case("refused_no_implementation.bpmn", refused_element="Activity_0u5i6o7", refused_words=("implementation",)),
    # Another engineer is changing the wording of "only Python scripts run here": the element only.
    Case("refused_groovy_script.bpmn", refused_element="Activity_1a6s7d8"),
    Case("refused_business_rule_no_decision.bpmn", refused_element="Activity_0f7g8h9",
         refused_words=("decisionRef",)),
]


def _param(case: Case):
    marks = [pytest.mark.xfail(reason=case.xfail, raises=case.raises, strict=False)] if case.xfail else []
    return pytest.param(case, id=case.file.removesuffix(".bpmn"), marks=marks)


RUNNABLE = [_param(c) for c in CASES if c.drive is not None]
REFUSED = [_param(c) for c in CASES if c.drive is None]


def test_every_corpus_file_has_an_expectation():
    on_disk = sorted(path.name for path in CORPUS.glob("*.bpmn"))
    assert on_disk == sorted(case.file for case in CASES)


# -- the files look like Camunda Modeler's --------------------------------------------------------------

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
MODELER = "http://camunda.org/schema/modeler/1.0"
FLOW_NODES = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
              "task", "userTask", "serviceTask", "sendTask", "receiveTask", "scriptTask", "manualTask",
              "businessRuleTask", "callActivity", "exclusiveGateway", "parallelGateway", "eventBasedGateway",
              "inclusiveGateway"}
MODELER_ID = re.compile(r"^(StartEvent_1|(Activity|Event|Gateway|Flow)_[0-9a-z]{7})$")


@pytest.mark.parametrize("name", sorted(path.name for path in CORPUS.glob("*.bpmn")))
def test_the_file_is_drawn_as_camunda_modeler_writes_it(name):
    root = etree.fromstring(load(name))
    assert root.tag == f"{{{BPMN}}}definitions"
    assert {prefix: root.nsmap.get(prefix) for prefix in ("bpmn", "bpmndi", "dc", "di", "modeler")} == {
        "bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "modeler": MODELER}
    assert root.get("exporter") == "Camunda Modeler" and root.get("exporterVersion").startswith("5.")
    assert root.get(f"{{{MODELER}}}executionPlatform") == "Camunda Platform"
    assert root.get(f"{{{MODELER}}}executionPlatformVersion") == "7.20.0"
    shapes = {s.get("bpmnElement"): s for s in root.iter(f"{{{BPMNDI}}}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in root.iter(f"{{{BPMNDI}}}BPMNEdge")}
    for process in root.iter(f"{{{BPMN}}}process"):
        flows = {f.get("id"): f for f in process.iter(f"{{{BPMN}}}sequenceFlow")}
        for flow_id, flow in flows.items():
            assert MODELER_ID.match(flow_id), flow_id
            assert len(edges[flow_id].findall(f"{{{DI}}}waypoint")) >= 2
            if flow.find(f"{{{BPMN}}}conditionExpression") is not None:
                assert flow.find(f"{{{BPMN}}}conditionExpression").get(
                    "{http://www.w3.org/2001/XMLSchema-instance}type") == "bpmn:tFormalExpression"
        for node in process:
            tag = etree.QName(node).localname
            if tag not in FLOW_NODES:
                continue
            node_id = node.get("id")
            assert MODELER_ID.match(node_id), node_id
            assert shapes[node_id].find(f"{{{DC}}}Bounds") is not None
            incoming = [i.text for i in node.findall(f"{{{BPMN}}}incoming")]
            outgoing = [o.text for o in node.findall(f"{{{BPMN}}}outgoing")]
            assert sorted(incoming) == sorted(f for f, flow in flows.items() if flow.get("targetRef") == node_id)
            assert sorted(outgoing) == sorted(f for f, flow in flows.items() if flow.get("sourceRef") == node_id)


# -- deploy and run ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", REFUSED)
def test_the_file_is_refused_naming_its_element(engine, case):
    with pytest.raises(BpmnValidationError) as raised:
        deploy(engine, case.file)
    named = [p for p in raised.value.problems if p.element_id == case.refused_element]
    assert named, f"no problem names {case.refused_element}: {raised.value}"
    for word in case.refused_words:
        assert any(word in p.message for p in named), f"{word!r} not in {raised.value}"


@pytest.mark.parametrize("case", RUNNABLE)
def test_the_file_deploys_and_runs_as_camunda_runs_it(engine, session_factory, clock, case):
    case.drive(engine, session_factory, clock)
