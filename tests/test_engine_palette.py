"""The rest of the modeler's palette: what runs, what passes through, what is refused and why."""
import pytest
from sqlalchemy import select

from engine.errors import BpmnValidationError
from engine.store.models import Incident, ProcessDefinition, ProcessInstance
from tests import bpmn_builder as b
from tests.helpers import open_tasks


def one_element(element, process_id="p"):
    return b.process(process_id, b.start(), element, b.user_task("after"), b.end(),
                     *b.chain("start", "x", "after", "end"))


@pytest.mark.parametrize("element", ['<bpmn:task id="x" name="登记"/>', '<bpmn:manualTask id="x" name="现场走访"/>'])
def test_plain_and_manual_tasks_pass_through(engine, session_factory, element):
    instance_id = engine.start(engine.deploy(one_element(element)).definition.process_id)
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["after"]


@pytest.mark.parametrize("element, message", [
    ('<bpmn:serviceTask id="x" camunda:class="cn.gov.Push"/>', "camunda:class"),
    ('<bpmn:serviceTask id="x" camunda:delegateExpression="${push}"/>', "camunda:delegateExpression"),
    ('<bpmn:serviceTask id="x" camunda:expression="${push.run()}"/>', "camunda:expression"),
    ('<bpmn:serviceTask id="x"><bpmn:extensionElements><camunda:connector><camunda:connectorId>http-connector'
     '</camunda:connectorId></camunda:connector></bpmn:extensionElements></bpmn:serviceTask>', "connector"),
    ('<bpmn:serviceTask id="x"/>', "no implementation"),
    ('<bpmn:serviceTask id="x" camunda:type="external"/>', "no topic"),
    ('<bpmn:sendTask id="x" camunda:class="cn.gov.Send"/>', "camunda:class"),
    ('<bpmn:sendTask id="x"/>', "no message"),
    ('<bpmn:businessRuleTask id="x"/>', "camunda:decisionRef"),
])
def test_what_cannot_run_here_is_refused_at_deploy_naming_the_element(engine, session_factory, element, message):
    with pytest.raises(BpmnValidationError) as raised:
        engine.deploy(one_element(element))
    [problem] = raised.value.problems
    assert problem.element_id == "x" and message in problem.message
    with session_factory() as s:
        assert s.scalars(select(ProcessDefinition)).all() == []


def test_java_flavours_are_told_to_use_an_external_task(engine):
    with pytest.raises(BpmnValidationError, match="External with a topic"):
        engine.deploy(one_element('<bpmn:serviceTask id="x" camunda:class="cn.gov.Push"/>'))


def test_external_send_and_business_rule_tasks_run_as_external_tasks(engine, session_factory):
    for tag in ("sendTask", "businessRuleTask"):
        xml = one_element(f'<bpmn:{tag} id="x" camunda:type="external" camunda:topic="t_{tag}"/>', tag)
        engine.start(engine.deploy(xml).definition.process_id)
    from engine.store.wait_models import ExternalTask
    with session_factory() as s:
        assert sorted(s.scalars(select(ExternalTask.topic)).all()) == ["t_businessRuleTask", "t_sendTask"]


def test_every_executable_process_of_a_file_is_deployed_with_its_own_versions(engine, session_factory):
    first = b.process("alpha", b.start(), b.user_task("a"), b.end(), *b.chain("start", "a", "end"))
    second = b.process("beta", b.start("s2"), b.user_task("b"), b.end("e2"), *b.chain("s2", "b", "e2"))
    body = second.split(b"<bpmn:process", 1)[1].rsplit(b"</bpmn:definitions>", 1)[0]
    both = first.replace(b"</bpmn:definitions>", b"<bpmn:process" + body + b"</bpmn:definitions>")
    engine.deploy(b.process("beta", b.start(), b.end(), *b.chain("start", "end")))  # beta v1 exists already
    result = engine.deploy(both, "pair.bpmn")
    assert result.definition.process_id == "alpha" and result.created
    assert [(r.definition.process_id, r.definition.version) for r in result.others] == [("beta", 2)]
    again = engine.deploy(both, "pair.bpmn")
    assert not again.created and not again.others[0].created
    assert [t.element_id for t in open_tasks(session_factory, engine.start("beta"))] == ["b"]


def test_an_endless_loop_becomes_an_incident_not_a_hang(engine, session_factory):
    xml = b.process("loop", b.start(), b.gateway("g", kind="exclusiveGateway"), '<bpmn:task id="again"/>', b.end(),
                    b.flow("start", "g"), b.flow("g", "again"), b.flow("again", "g"))
    instance_id = engine.start(engine.deploy(xml).definition.process_id)
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "error"
        [incident] = s.scalars(select(Incident)).all()
    assert "loops" in incident.message and incident.element_id in ("g", "again")


@pytest.mark.parametrize("declarations, element, message", [
    ("", '<bpmn:receiveTask id="x"/>', "receive task has no message"),
    ("", '<bpmn:receiveTask id="x" messageRef="undeclared"/>', "'undeclared' is not declared"),
    ('<bpmn:message id="nameless"/>', '<bpmn:receiveTask id="x" messageRef="nameless"/>', "not declared with a name"),
    ('<bpmn:signal id="mute"/>', '<bpmn:intermediateCatchEvent id="x"><bpmn:signalEventDefinition signalRef="mute"/>'
     '</bpmn:intermediateCatchEvent>', "signal 'mute'"),
])
def test_messages_and_signals_must_be_declared_with_a_name(engine, declarations, element, message):
    xml = b.process("p", b.start(), element, b.end(), *b.chain("start", "x", "end"))
    with pytest.raises(BpmnValidationError) as raised:
        engine.deploy(xml.replace(b"<bpmn:process", declarations.encode() + b"<bpmn:process", 1))
    [problem] = raised.value.problems
    assert problem.element_id == "x" and message in problem.message
