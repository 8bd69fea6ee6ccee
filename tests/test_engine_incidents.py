"""Failures become incidents; the instance stays loadable and can be retried."""
import pytest
from sqlalchemy import select

from engine.errors import InvalidOperation
from engine.store.models import AuditEvent, Incident, ProcessInstance
from tests import bpmn_builder as b
from tests.helpers import OFFICER, SUPERVISOR, open_tasks


def _incidents(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()


def test_script_failure_records_an_incident_and_a_retry_after_the_fix_continues(engine, session_factory):
    xml = b.process("calc", b.start(), b.user_task("enter"), b.script_task("compute", "ratio = recovered / lost"),
                    b.user_task("review"), b.end(), *b.chain("start", "enter", "compute", "review", "end"))
    engine.deploy(xml)
    instance_id = engine.start("calc")
    engine.complete(open_tasks(session_factory, instance_id)[0].id, OFFICER, {"recovered": 5, "lost": 0})
    [incident] = _incidents(session_factory, instance_id)
    assert incident.kind == "script_error" and incident.element_id == "compute"
    assert "ZeroDivisionError" in incident.message
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "error"
        _, workflow = engine.load_workflow(s, instance_id)  # still loadable
    assert open_tasks(session_factory, instance_id) == []
    with pytest.raises(Exception, match="supervisor"):
        engine.retry(instance_id, OFFICER)
    engine.retry(instance_id, SUPERVISOR, data={"lost": 10}, reason="lost amount corrected")
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["review"]
    [incident] = _incidents(session_factory, instance_id)
    assert incident.resolved_at is not None and incident.resolution == "retried"
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "running"
        assert "incident.retried" in s.scalars(select(AuditEvent.action)).all()
    with pytest.raises(InvalidOperation, match="not in error"):
        engine.retry(instance_id, SUPERVISOR)


def test_runaway_script_at_run_time_becomes_an_incident(engine, session_factory):
    xml = b.process("loop", b.start(), b.script_task("spin", "n = 0\nwhile n >= 0:\n    n = n + 1"), b.end(),
                    *b.chain("start", "spin", "end"))
    engine.deploy(xml)
    instance_id = engine.start("loop")
    [incident] = _incidents(session_factory, instance_id)
    assert incident.element_id == "spin" and "steps" in incident.message


def test_uncaught_error_end_event_is_an_incident_not_a_completion(engine, session_factory):
    xml = b.process("err", b.start(), b.user_task("check"), b.end("fail", error_code="NO_EVIDENCE"),
                    *b.chain("start", "check", "fail"), errors=["NO_EVIDENCE"])
    engine.deploy(xml)
    instance_id = engine.start("err")
    engine.complete(open_tasks(session_factory, instance_id)[0].id, OFFICER, {})
    [incident] = _incidents(session_factory, instance_id)
    assert incident.kind == "bpmn_error" and "NO_EVIDENCE" in incident.message
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "error"
