"""Call activities start the called process's deployed version as an instance of its own."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.calls import MAX_CALL_DEPTH
from engine.store.models import Incident, ProcessInstance
from tests import bpmn_builder as b
from tests.helpers import OFFICER, SUPERVISOR, open_tasks


def call(id="call", callee="verify_sub", binding=None, version=None, mappings=""):
    attrs = f' camunda:calledElementBinding="{binding}"' if binding else ""
    attrs += f' camunda:calledElementVersion="{version}"' if version is not None else ""
    body = f"<bpmn:extensionElements>{mappings}</bpmn:extensionElements>" if mappings else ""
    return f'<bpmn:callActivity id="{id}" name="核查" calledElement="{callee}"{attrs}>{body}</bpmn:callActivity>'


def callee(name="inner"):
    return b.process("verify_sub", b.start(), b.user_task("inner", name), b.end(), *b.chain("start", "inner", "end"))


def caller(process_id="main", **kwargs):
    return b.process(process_id, b.start(), call(**kwargs), b.user_task("after"), b.end(),
                     *b.chain("start", "call", "after", "end"))


def instances(session_factory):
    with session_factory() as s:
        return s.scalars(select(ProcessInstance).order_by(ProcessInstance.id)).all()


def incidents(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()


def test_the_called_process_runs_as_its_own_instance_and_returns_its_variables(engine, session_factory):
    engine.deploy(callee())
    mappings = ('<camunda:in source="lead_no" target="lead_no"/><camunda:in sourceExpression="${amount * 2}" '
                'target="doubled"/><camunda:in businessKey="#{execution.processBusinessKey}"/>'
                '<camunda:out source="finding" target="verification_finding"/>')
    engine.deploy(caller(mappings=mappings))
    main = engine.start("main", {"lead_no": "XS-1", "amount": 5, "private": 1}, business_key="XS-1")
    [inner] = open_tasks(session_factory)
    child = next(i for i in instances(session_factory) if i.id == inner.instance_id)
    assert child.id != main and child.super_instance_id == main and child.business_key == "XS-1"
    with session_factory() as s:
        _, workflow = engine.load_workflow(s, child.id)
    data = workflow.get_tasks(spec_name="inner")[0].data
    assert data["lead_no"] == "XS-1" and data["doubled"] == 10 and "private" not in data
    engine.complete(inner.id, OFFICER, {"finding": "属实", "scratch": 1})
    [after] = open_tasks(session_factory)
    assert after.instance_id == main
    with session_factory() as s:
        _, workflow = engine.load_workflow(s, main)
        assert s.get(ProcessInstance, child.id).status == "completed"
    data = workflow.get_tasks(spec_name="after")[0].data
    assert data["verification_finding"] == "属实" and "scratch" not in data


def test_variables_all_passes_everything_both_ways(engine, session_factory):
    engine.deploy(callee())
    engine.deploy(caller(mappings='<camunda:in variables="all"/><camunda:out variables="all"/>'))
    main = engine.start("main", {"a": 1})
    [inner] = open_tasks(session_factory)
    engine.complete(inner.id, OFFICER, {"b": 2})
    with session_factory() as s:
        _, workflow = engine.load_workflow(s, main)
    data = workflow.get_tasks(spec_name="after")[0].data
    assert data["a"] == 1 and data["b"] == 2


def test_bindings_latest_and_version(engine, session_factory):
    engine.deploy(callee("v1"))
    engine.deploy(callee("v2"))
    engine.deploy(caller("latest"))
    engine.deploy(caller("pinned", binding="version", version=1))
    engine.start("latest")
    engine.start("pinned")
    assert sorted(t.name for t in open_tasks(session_factory)) == ["v1", "v2"]


def test_a_callee_not_deployed_warns_at_deploy_and_is_an_incident_a_retry_clears(engine, session_factory):
    result = engine.deploy(caller())
    assert [w.element_id for w in result.warnings] == ["call"] and "not deployed" in result.warnings[0].message
    main = engine.start("main")
    [incident] = incidents(session_factory, main)
    assert incident.kind == "call_error" and incident.element_id == "call" and "verify_sub" in incident.message
    engine.deploy(callee())
    engine.retry(main, SUPERVISOR, reason="callee deployed")
    assert [t.element_id for t in open_tasks(session_factory)] == ["inner"]


def test_a_process_calling_itself_stops_at_the_depth_limit(engine, session_factory):
    engine.deploy(b.process("again", b.start(), call(callee="again"), b.end(), *b.chain("start", "call", "end")))
    engine.start("again")
    chain = instances(session_factory)
    assert len(chain) == MAX_CALL_DEPTH + 1
    [incident] = [i for inst in chain for i in incidents(session_factory, inst.id)]
    assert "deeper than" in incident.message


def test_interrupting_the_call_activity_cancels_the_called_instance(engine, session_factory, clock):
    engine.deploy(callee())
    engine.deploy(b.process("main", b.start(), call(), b.boundary_timer("late", "call", "PT1H"),
                            b.user_task("chase"), b.end(), b.end("end2"),
                            *b.chain("start", "call", "end"), *b.chain("late", "chase", "end2")))
    engine.start("main")
    clock.advance(timedelta(hours=2))
    engine.fire_due_timers()
    assert [t.element_id for t in open_tasks(session_factory)] == ["chase"]
    assert [i.status for i in instances(session_factory)] == ["running", "cancelled"]


@pytest.mark.parametrize("attrs, message", [
    ('', "calledElement"),
    ('calledElement="x" camunda:calledElementBinding="versionTag"', "versionTag"),
    ('calledElement="x" camunda:calledElementBinding="version"', "calledElementVersion"),
])
def test_call_activities_that_cannot_run_are_refused_at_deploy(engine, attrs, message):
    from engine.errors import BpmnValidationError
    with pytest.raises(BpmnValidationError, match=f"element call.*{message}"):
        engine.deploy(b.process("bad", b.start(), f'<bpmn:callActivity id="call" {attrs}/>', b.end(),
                                *b.chain("start", "call", "end")))
