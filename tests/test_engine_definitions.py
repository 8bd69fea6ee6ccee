"""Deploying process definitions: versions, identical redeploys, bad input."""
import pytest
from sqlalchemy import select

from engine.errors import BpmnValidationError
from engine.store.models import AuditEvent, ProcessDefinition, ProcessInstance
from tests import bpmn_builder as b


def test_deploy_creates_version_one_with_spec_stored_once(engine, session_factory):
    result = engine.deploy(b.sequential("lead"), "lead.bpmn")
    assert result.created and result.definition.version == 1
    with session_factory() as s:
        row = s.scalars(select(ProcessDefinition)).one()
        assert row.source_xml == b.sequential("lead")
        assert '"t1"' in row.spec_json and len(row.checksum) == 64
        assert s.scalars(select(AuditEvent.action)).all() == ["definition.deployed"]


def test_identical_redeploy_is_a_noop_and_a_change_makes_version_two(engine, session_factory):
    first = engine.deploy(b.sequential("lead", n=2))
    again = engine.deploy(b.sequential("lead", n=2))
    assert not again.created and again.definition.id == first.definition.id
    second = engine.deploy(b.sequential("lead", n=3))
    assert second.created and second.definition.version == 2
    with session_factory() as s:
        assert s.scalar(select(ProcessDefinition.version).order_by(ProcessDefinition.version.desc())) == 2
        assert len(s.scalars(select(ProcessDefinition)).all()) == 2


def test_running_instances_stay_on_their_version(engine, session_factory):
    engine.deploy(b.sequential("lead", n=1))
    old = engine.start("lead")
    engine.deploy(b.sequential("lead", n=2))
    new = engine.start("lead")
    with session_factory() as s:
        assert s.get(ProcessInstance, old).definition.version == 1
        assert s.get(ProcessInstance, new).definition.version == 2
    from tests.helpers import complete_open_tasks
    complete_open_tasks(engine, session_factory, old)
    with session_factory() as s:
        assert s.get(ProcessInstance, old).status == "completed"
        assert s.get(ProcessInstance, new).status == "running"


@pytest.mark.parametrize("payload, expected", [
    (b"<bpmn:definitions", "not well-formed"),
    (b'<?xml version="1.0"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
     b'<process id="p" isExecutable="true"><bogus/></process></definitions>', "bogus"),
    (b.process("p", b.start(), b.end(), b.flow("start", "nowhere")), "nowhere"),
])
def test_bad_xml_comes_back_as_one_validation_error(engine, payload, expected):
    with pytest.raises(BpmnValidationError) as info:
        engine.deploy(payload, "bad.bpmn")
    problem = info.value.problems[0]
    assert problem.file == "bad.bpmn"
    assert expected in str(info.value)


def test_semantic_error_names_the_element(engine):
    xml = b.process("p", b.start(), b.gateway("gw"), b.user_task("a"), b.end(),
                    b.flow("start", "gw"), b.flow("gw", "a", condition="x >"), b.flow("a", "end"))
    with pytest.raises(BpmnValidationError) as info:
        engine.deploy(xml, "cond.bpmn")
    assert info.value.problems[0].element_id == "gw"


def test_xml_bombs_and_external_entities_are_refused(engine):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</definitions>')
    xxe = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</definitions>')
    for payload in (bomb, xxe):
        with pytest.raises(BpmnValidationError, match="DOCTYPE"):
            engine.deploy(payload, "evil.bpmn")


def test_oversized_and_str_uploads_are_refused(engine):
    with pytest.raises(BpmnValidationError, match="limit"):
        engine.deploy(b" " * (3 * 1024 * 1024), "big.bpmn")
    with pytest.raises(BpmnValidationError, match="bytes"):
        engine.deploy(b.sequential().decode(), "str.bpmn")


def test_rejected_upload_leaves_deployed_version_running(engine, session_factory):
    engine.deploy(b.sequential("lead"))
    with pytest.raises(BpmnValidationError):
        engine.deploy(b.process("lead", b.start(), b.script_task("s", "import os"), b.end(),
                                *b.chain("start", "s", "end")))
    instance = engine.start("lead")
    with session_factory() as s:
        assert s.get(ProcessInstance, instance).definition.version == 1
