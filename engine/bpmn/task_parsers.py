"""Parsers for the palette beyond user and script tasks, with Camunda 7's attributes.

Service tasks run as external tasks (`camunda:type="external"`, `camunda:topic`);
the Java flavours (`camunda:class`, `delegateExpression`, `expression`, connectors)
cannot run here and are refused naming the element. Send tasks are external tasks
too when marked so, else they throw their message. Call activities call a deployed
process (engine.calls). Plain and manual tasks pass through. Message events need a
named message; signals are broadcast by the engine.
"""
from SpiffWorkflow.bpmn.parser.event_parsers import EventDefinitionParser, ReceiveTaskParser, SendTaskParser
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.camunda.parser.task_spec import BusinessRuleTaskParser, CamundaTaskParser

from engine.bpmn import juel, sandbox
from engine.bpmn.wait_specs import BroadcastSignal, CalledProcess, ExternalTask
from engine.dmn.task import RESULT_MAPPINGS, DecisionTask
from engine.errors import ScriptRejected

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
JAVA_ATTRIBUTES = ("class", "delegateExpression", "expression")
BINDINGS = ("latest", "deployment", "version")
USE_EXTERNAL = ("cannot run here (Java code runs only inside Camunda): set its implementation to "
                "External with a topic, and let a worker do the work through the external task API")


def _camunda(node, name):
    return node.get(f"{{{CAMUNDA_NS}}}{name}")


def refuse_java(parser, what: str) -> None:
    for name in JAVA_ATTRIBUTES:
        if _camunda(parser.node, name):
            parser.raise_validation_exception(f"{what} uses camunda:{name}, which {USE_EXTERNAL}")
    if parser.xpath("./bpmn:extensionElements/camunda:connector"):
        parser.raise_validation_exception(f"{what} uses a Camunda connector, which {USE_EXTERNAL}")


def external_settings(parser, what: str) -> dict:
    topic = (_camunda(parser.node, "topic") or "").strip()
    if not topic:
        parser.raise_validation_exception(f"{what} is external but has no topic (camunda:topic)")
    return {"topic": topic, "priority": (_camunda(parser.node, "taskPriority") or "").strip() or None}


class ServiceTaskParser(CamundaTaskParser):
    def create_task(self):
        refuse_java(self, "service task")
        kind = _camunda(self.node, "type")
        if kind != "external":
            self.raise_validation_exception(
                f"service task has camunda:type {kind!r}; only 'external' runs here" if kind else
                "service task has no implementation: set it to External with a topic (camunda:type=\"external\" "
                "camunda:topic=\"...\"); a worker does the work through the external task API")
        return ExternalTask(self.spec, self.bpmn_id, **self.bpmn_attributes)

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        extensions["external"] = external_settings(self, "service task")
        return extensions


class NamedEventsParser(EventDefinitionParser):
    """Messages must name what they wait for; signals are broadcast (engine.events)."""

    def parse_message_event(self, message_event):
        ref = message_event.get("messageRef")
        if ref is None:
            self.raise_validation_exception("message event has no message (messageRef): choose or create a "
                                            "message with a name")
        if not (self.process_parser.parser.messages.get(ref) or "").strip():
            # (SpiffWorkflow's own refusal here fails with a TypeError instead of naming the element.)
            self.raise_validation_exception(f"message {ref!r} is not declared with a name in this file")
        definition = EventDefinitionParser.parse_message_event(self, message_event)
        if not (definition.name or "").strip():
            self.raise_validation_exception("the message of this event has no name")
        return definition

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        # camunda:errorCodeVariable / errorMessageVariable: where a caught error's code and message go.
        for definition in self.xpath("./bpmn:errorEventDefinition"):
            names = {key: _camunda(definition, attribute) for key, attribute in
                     (("code", "errorCodeVariable"), ("message", "errorMessageVariable"))}
            names = {key: value.strip() for key, value in names.items() if value and value.strip()}
            if names:
                extensions["error_variables"] = names
        return extensions

    def parse_signal_event(self, signal_event):
        ref = signal_event.get("signalRef")
        if ref is not None and not (self.process_parser.parser.signals.get(ref) or "").strip():
            self.raise_validation_exception(f"signal {ref!r} is not declared with a name in this file")
        definition = super().parse_signal_event(signal_event)
        if not (definition.name or "").strip():
            self.raise_validation_exception("signal event has no signal (signalRef) with a name")
        return BroadcastSignal(definition.name, description=definition.description)


class DubanSendTaskParser(NamedEventsParser, SendTaskParser):
    """A send task throws its message; one with an implementation is a service task in all but name."""

    def create_task(self):
        self.external = None
        if _camunda(self.node, "type") is not None or any(_camunda(self.node, n) for n in JAVA_ATTRIBUTES) \
                or self.xpath("./bpmn:extensionElements/camunda:connector"):
            refuse_java(self, "send task")
            self.external = external_settings(self, "send task")
            return ExternalTask(self.spec, self.bpmn_id, **self.bpmn_attributes)
        if self.node.get("messageRef") is None and first(self.xpath(".//bpmn:messageEventDefinition")) is None:
            self.raise_validation_exception("send task has no message (messageRef) and no implementation: "
                                            "choose a message to send, or make it External with a topic")
        return super().create_task()

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        if self.external:
            extensions["external"] = self.external
        return extensions


class DubanReceiveTaskParser(NamedEventsParser, ReceiveTaskParser):
    def create_task(self):
        if self.node.get("messageRef") is None and first(self.xpath(".//bpmn:messageEventDefinition")) is None:
            # SpiffWorkflow would let it pass straight through: a wait for nothing.
            self.raise_validation_exception("receive task has no message (messageRef): choose the message it waits for")
        return super().create_task()


def _mappings(parser, tag: str) -> list[dict]:
    mappings = []
    for node in parser.xpath(f"./bpmn:extensionElements/camunda:{tag}"):
        mapping = {key: _camunda(node, key) if _camunda(node, key) is not None else node.get(key)
                   for key in ("source", "sourceExpression", "target", "variables", "businessKey", "local")}
        mapping = {key: value for key, value in mapping.items() if value is not None}
        if not (mapping.get("variables") == "all" or "businessKey" in mapping
                or (("source" in mapping or "sourceExpression" in mapping) and mapping.get("target"))):
            parser.raise_validation_exception(
                f"camunda:{tag} needs source (or sourceExpression) and target, or variables=\"all\"")
        mappings.append(mapping)
    return mappings


class CallActivityParser(CamundaTaskParser):
    def create_task(self):
        if not (self.node.get("calledElement") or "").strip():
            self.raise_validation_exception("call activity names no process to call (calledElement)")
        if _camunda(self.node, "caseRef"):
            self.raise_validation_exception("call activity calls a CMMN case (camunda:caseRef); only processes run here")
        binding = _camunda(self.node, "calledElementBinding") or "latest"
        if binding not in BINDINGS:
            self.raise_validation_exception(f"camunda:calledElementBinding {binding!r} is not supported here; "
                                            f"use one of {', '.join(BINDINGS)}")
        version = _camunda(self.node, "calledElementVersion")
        if binding == "version" and not (version or "").strip().isdigit():
            self.raise_validation_exception("camunda:calledElementBinding is 'version' but camunda:calledElementVersion "
                                            "is not a version number")
        return CalledProcess(self.spec, self.bpmn_id, **self.bpmn_attributes)

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        binding = _camunda(self.node, "calledElementBinding") or "latest"
        version = _camunda(self.node, "calledElementVersion")
        extensions["call"] = {
            "process_id": self.node.get("calledElement").strip(), "binding": binding,
            "version": int(version) if binding == "version" else None,
            "in": _mappings(self, "in"), "out": _mappings(self, "out"),
        }
        return extensions


class DubanBusinessRuleTaskParser(BusinessRuleTaskParser):
    """A business rule task evaluates a deployed decision (engine.dmn.task); one marked external runs as
    an external task."""

    @staticmethod
    def get_decision_ref(node):
        # SpiffWorkflow reads it while collecting dependencies, before any element can be blamed.
        return node.get(f"{{{CAMUNDA_NS}}}decisionRef")

    def create_task(self):
        self.external = None
        if _camunda(self.node, "type") is not None or any(_camunda(self.node, n) for n in JAVA_ATTRIBUTES):
            refuse_java(self, "business rule task")
            self.external = external_settings(self, "business rule task")
            return ExternalTask(self.spec, self.bpmn_id, **self.bpmn_attributes)
        if not (_camunda(self.node, "decisionRef") or "").strip():
            self.raise_validation_exception("business rule task names no decision (camunda:decisionRef)")
        return DecisionTask(self.spec, self.bpmn_id, **self.bpmn_attributes)

    def _decision_settings(self) -> dict:
        binding = (_camunda(self.node, "decisionRefBinding") or "latest").strip()
        if binding not in BINDINGS:
            self.raise_validation_exception(
                f"camunda:decisionRefBinding {binding!r} is not one of {', '.join(BINDINGS)}")
        version = (_camunda(self.node, "decisionRefVersion") or "").strip()
        if binding == "version" and not version.isdigit():
            self.raise_validation_exception("camunda:decisionRefBinding=\"version\" needs camunda:decisionRefVersion "
                                            f"as a whole number, not {version!r}")
        mapping = (_camunda(self.node, "mapDecisionResult") or "resultList").strip()
        if mapping not in RESULT_MAPPINGS:
            self.raise_validation_exception(
                f"camunda:mapDecisionResult {mapping!r} is not one of {', '.join(RESULT_MAPPINGS)}")
        reference = _camunda(self.node, "decisionRef").strip()
        if juel.is_juel(reference):
            try:
                sandbox.compile_expression(juel.to_python(reference))
            except ScriptRejected as err:
                self.raise_validation_exception(f"camunda:decisionRef expression rejected: {err}")
        return {"ref": reference, "binding": binding, "version": int(version) if binding == "version" else None,
                "result_variable": (_camunda(self.node, "resultVariable") or "").strip() or None,
                "map": mapping}

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        if self.external:
            extensions["external"] = self.external
        else:
            extensions["decision"] = self._decision_settings()
        return extensions
