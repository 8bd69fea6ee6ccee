"""Validate a BPMN file before it is deployed: every problem at once, each with its element.

`lint(bpmn, filename, known_groups, known_forms, known_processes=, known_decisions=, thrown_messages=,
thrown_signals=)` runs, in order:

1. the loader's checks (engine.bpmn.loader): size, XML well-formed without a
   DOCTYPE (no XXE, no entity bombs), the BPMN XSD (here: *every* schema
   error, not only the first), SpiffWorkflow's parse, and every script and
   expression (engine.bpmn.checks: the sandbox rules, values that cannot depend
   on the case worked out, durations within engine.deadlines' bounds). The API
   deploys through the same loader, so both ways in refuse the same files;
2. the campaign's rules (docs/process-conventions.md), read from the XML so
   each problem carries its element id and line:

   ====================  ========  ===================================================
   rule                  severity  what
   ====================  ========  ===================================================
   user-task-candidates  error     a user task names candidate groups, candidate users
                                   or an assignee (or lies in a lane)
   user-task-due         error     a user task has camunda:dueDate
   unknown-group         error     a literal candidate group (or lane name used as one)
                                   is a known unit code or role (``${...}`` is allowed)
   event-gateway-timers  error     no event-based gateway waits on two timers
                                   (a SpiffWorkflow 3.2 limitation)
   no-start-event        error     a process or subprocess has a start event
   unreachable           error     every element is reachable from a start event along
                                   sequence flows (a boundary event when its host is)
   no-path-to-end        error     from every reachable element some end event is
                                   reachable
   gateway-default       warning   an exclusive gateway that splits has a default flow
   user-task-form        warning   a user task has camunda:formKey
   unknown-form          warning   the form key names a form file that exists
                                   (only when the caller passes `known_forms`)
   user-task-name        warning   a user task has a name (inboxes show it)
   ====================  ========  ===================================================

   What the engine refuses (engine.bpmn.task_parsers, script_parser), said here for
   *every* element at once (the loader stops at the first) and in the page's
   language; the loader's own message for an element flagged here is left out:

   ======================  ========  =================================================
   java-implementation     error     a service, send or business rule task uses
                                     camunda:class, expression or delegateExpression
   connector               error     ... or a Camunda connector
   no-implementation       error     a service task has no implementation
   unknown-type            error     camunda:type is not "external"
   external-topic          error     an External implementation has a topic
   send-no-message         error     a send task has a message or an implementation
   decision-missing        error     a business rule task has a decisionRef or an
                                     implementation
   decision-binding        error     ... with decisionRefBinding latest, deployment or
                                     version
   decision-version        error     ... and a decisionRefVersion number for binding
                                     version
   decision-mapping        error     ... with mapDecisionResult resultList, singleResult,
                                     singleEntry or collectEntries
   decision-expression     error     ... and a ``${...}`` decisionRef the sandbox accepts
   script-format           error     a script task is Python (or has no format)
   script-resource         error     a script task's script is in the file
   call-no-process         error     a call activity names its process (calledElement)
   call-case               error     ... not a CMMN case (camunda:caseRef)
   call-binding            error     ... with binding latest, deployment or version
   call-version            error     ... and a version number for binding version
   call-mapping            error     camunda:in / camunda:out say what they map
   message-ref             error     a receive task or message event has a message
                                     (a receive task without one would not wait)
   message-unknown         error     ... defined in the file
   message-name            error     ... with a name (messages are matched by name)
   signal-ref, -unknown,   error     the same for signal events
   signal-name
   throw-implementation    warning   a message throw/end event's implementation
                                     (camunda:class, type ...) is ignored: it sends
   call-variable-mapping   warning   camunda:variableMappingClass / DelegateExpression
                                     are ignored
   external-error-events   warning   camunda:errorEventDefinition is ignored
   decision-no-result      warning   a business rule task with a decisionRef has
                                     camunda:resultVariable (else, as in Camunda, the
                                     decision's result is dropped)
   ======================  ========  =================================================

   And what could never complete, across processes:

   =============================  ========  ==========================================
   call-deployment-binding        error     binding "deployment" calls a process of the
                                            same file: one not in it is never found
   call-not-deployed              warning   a called process is in the file or deployed
                                            (only when the caller passes
                                            `known_processes`)
   call-version-not-deployed      warning   binding "version": that version is deployed
                                            (`known_processes` as {process id: versions})
   decision-deployment-binding    warning   binding "deployment": the decision must be
                                            deployed with the process in one deployment,
                                            through the API (the modeler deploys the BPMN
                                            file alone)
   decision-not-deployed          warning   a business rule task's decision is deployed
                                            (only when the caller passes
                                            `known_decisions`)
   decision-version-not-deployed  warning   binding "version": that version is deployed
                                            (`known_decisions` as {key: versions})
   message-external               info      a caught message (receive task, message
                                            catch, boundary or start event) is sent by a
                                            process of the file or a deployed one; else
                                            only another system can deliver it
                                            (`thrown_messages`)
   signal-never-thrown            warning   a caught signal is thrown by a process of the
                                            file or a deployed one (`thrown_signals`)
   =============================  ========  ==========================================

Errors block a deploy; warnings are shown and may be accepted; notes (info) are
shown and never block. Nothing here touches the database: callers pass what the
rules need to know (`deployed_events` reads what a deployed file throws).
"""
from collections import defaultdict
from collections.abc import Collection, Mapping

from lxml import etree

from engine.bpmn import juel, sandbox
from engine.bpmn.loader import _xsd_validator, load_definitions, parse_xml
from engine.dmn.task import RESULT_MAPPINGS
from engine.errors import BpmnValidationError, Problem, ScriptRejected

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}

ERROR, WARNING, INFO = "error", "warning", "info"
JAVA_ATTRIBUTES = ("class", "delegateExpression", "expression")
BINDINGS = ("latest", "deployment", "version")
PYTHON_FORMATS = frozenset({"python", "py", "python3"})  # as engine.bpmn.script_parser

SCOPES = {"process", "subProcess", "transaction", "adHocSubProcess"}
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
}

# The messages, by rule (also what the tests check against).
MESSAGES = {
    "user-task-candidates": "user task has no candidate groups, candidate users or assignee "
                            "(camunda:candidateGroups / camunda:candidateUsers / camunda:assignee)",
    "user-task-due": "user task has no due date (camunda:dueDate, e.g. P5WD)",
    "unknown-group": "candidate group {group!r} is not a known unit code or role",
    "unknown-lane-group": "lane {group!r} is used as the candidate group but is not a known unit code or role",
    "event-gateway-timers": "event-based gateway waits on {count} timers ({timers}); SpiffWorkflow 3.2 "
                            "supports at most one timer per event-based gateway",
    "no-start-event": "{kind} has no start event",
    "unreachable": "element is not reachable from a start event",
    "no-path-to-end": "no path from this element reaches an end event",
    "gateway-default": "exclusive gateway has no default flow; an instance stops with an error when no "
                       "condition is true",
    "user-task-form": "user task has no form key (camunda:formKey); officers would get an empty form",
    "unknown-form": "form {key!r} does not exist (processes/forms/{key}.json)",
    "user-task-name": "user task has no name; inboxes would show its id",
    # what the engine refuses
    "java-implementation": "uses camunda:{attribute} (Java code), which cannot run here: set the implementation to "
                           "External with a topic; a worker does the work through the external task API",
    "connector": "uses a Camunda connector, which cannot run here: set the implementation to External with a topic",
    "no-implementation": "service task has no implementation: set it to External with a topic "
                         "(camunda:type=\"external\", camunda:topic)",
    "unknown-type": "camunda:type is {type!r}; only 'external' runs here",
    "external-topic": "the implementation is External but has no topic (camunda:topic); workers fetch tasks by topic",
    "send-no-message": "send task has no message and no implementation: choose a message to send, or set the "
                       "implementation to External with a topic",
    "decision-missing": "business rule task names no decision (camunda:decisionRef) and has no implementation: "
                        "choose a decision (DMN), or set the implementation to External with a topic",
    "decision-binding": "camunda:decisionRefBinding {binding!r} is not supported here; use latest, deployment or "
                        "version",
    "decision-version": "binding is 'version' but camunda:decisionRefVersion {version!r} is not a version number",
    "decision-mapping": "camunda:mapDecisionResult {mapping!r} is not supported here; use resultList, singleResult, "
                        "singleEntry or collectEntries",
    "decision-expression": "the decision reference {expression!r} cannot be evaluated here: {reason}",
    "script-format": "script format {format!r} cannot run here: only Python scripts run here (scriptFormat=\"python\")",
    "script-resource": "the script is stored outside the BPMN file (camunda:resource={resource!r}), which cannot run "
                       "here: write the Python script into the task",
    "call-no-process": "call activity names no process to call (calledElement)",
    "call-case": "call activity calls a CMMN case (camunda:caseRef); only processes can be called here",
    "call-binding": "camunda:calledElementBinding {binding!r} is not supported here; use latest, deployment or version",
    "call-version": "binding is 'version' but camunda:calledElementVersion {version!r} is not a version number",
    "call-mapping": "camunda:{tag} needs a source (or source expression) and a target, or variables=\"all\"",
    "message-ref": "no message is chosen (messageRef): choose or create a message with a name",
    "message-unknown": "message {ref!r} is not defined in this file",
    "message-name": "message {ref!r} has no name; messages are matched by name",
    "signal-ref": "no signal is chosen (signalRef): choose or create a signal with a name",
    "signal-unknown": "signal {ref!r} is not defined in this file",
    "signal-name": "signal {ref!r} has no name; signals are matched by name",
    "throw-implementation": "the implementation of this message event (camunda:{attribute}) is ignored here: the "
                            "event itself sends its message",
    "call-variable-mapping": "camunda:{attribute} (Java) is ignored here: pass variables with in and out mappings",
    "external-error-events": "camunda:errorEventDefinition is ignored here: a worker reports a BPMN error itself "
                             "(POST /engine-rest/external-task/<id>/bpmnError)",
    "decision-no-result": "business rule task has no result variable (camunda:resultVariable): as in Camunda, the "
                          "decision's result is dropped",
    # what could never complete
    "call-deployment-binding": "binding is 'deployment' but process {process!r} is not in this file: the call would "
                               "never find it (deployment calls the version deployed from the same file)",
    "call-not-deployed": "calls process {process!r}, which is neither in this file nor deployed: an instance that "
                         "gets here stops with an incident until it is deployed",
    "call-version-not-deployed": "calls version {version} of process {process!r}, which is not deployed: an instance "
                                 "that gets here stops with an incident until it is",
    "decision-deployment-binding": "binding is 'deployment': decision {decision!r} must be deployed together with "
                                   "this process, in one deployment through the API; deployed from the modeler "
                                   "alone, an instance that gets here stops with an incident",
    "decision-not-deployed": "evaluates decision {decision!r}, which is not deployed: an instance that gets here "
                             "stops with an incident until it is deployed",
    "decision-version-not-deployed": "evaluates version {version} of decision {decision!r}, which is not deployed: "
                                     "an instance that gets here stops with an incident until it is",
    "message-external": "no process in this file or deployed sends message {name!r}: only another system can "
                        "deliver it, through POST /engine-rest/message",
    "signal-never-thrown": "no process in this file or deployed throws signal {name!r}: only POST "
                           "/engine-rest/signal can send it",
}

# The rules above that say what the engine's parser refuses (see lint()).
REFUSALS = frozenset({
    "java-implementation", "connector", "no-implementation", "unknown-type", "external-topic", "send-no-message",
    "decision-missing", "decision-binding", "decision-version", "decision-mapping", "decision-expression",
    "script-format", "script-resource", "call-no-process", "call-case", "call-binding", "call-version",
    "call-mapping", "message-ref", "message-unknown", "message-name", "signal-ref", "signal-unknown", "signal-name",
})


def _local(element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _is_bpmn(element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element.tag).namespace == BPMN


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _is_expression(text: str) -> bool:
    return juel.is_juel(text) or "${" in text or "#{" in text


def _has(element, definition: str) -> bool:
    return element.find(f"bpmn:{definition}", NS) is not None


def _camunda(element, name: str) -> str | None:
    return element.get(f"{{{CAMUNDA}}}{name}")


def _text(value: str | None) -> str:
    return (value or "").strip()


# -- messages and signals: who sends, who waits ---------------------------------------------------

THROWING_EVENTS = {"intermediateThrowEvent", "endEvent"}
CATCHING_EVENTS = {"startEvent", "intermediateCatchEvent", "boundaryEvent"}


def _has_implementation(task) -> bool:
    """A send task (or business rule task) that is a service task in all but name (as the loader reads it)."""
    return (_camunda(task, "type") is not None or any(_camunda(task, name) for name in JAVA_ATTRIBUTES)
            or (_local(task) == "sendTask" and task.find("bpmn:extensionElements/camunda:connector", NS) is not None))


class _Events:
    """The messages and signals the executable processes of a document send and wait for, by name."""

    def __init__(self, root):
        self.messages = {m.get("id"): m.get("name") for m in root.iterfind("bpmn:message", NS)}
        self.signals = {s.get("id"): s.get("name") for s in root.iterfind("bpmn:signal", NS)}
        self.sent_messages, self.thrown_signals = set(), set()
        self.message_catches, self.signal_catches = [], []  # (element, name)
        for process in executable_processes(root):
            for node in process.iter():
                if _is_bpmn(node):
                    self._read(node)

    def message_ref(self, node) -> str | None:
        """The messageRef of a receive or send task, or of a message event's definition."""
        if _local(node) in ("receiveTask", "sendTask") and node.get("messageRef") is not None:
            return node.get("messageRef")
        definition = node.find("bpmn:messageEventDefinition", NS)
        return None if definition is None else definition.get("messageRef")

    def message_name(self, node) -> str:
        return _text(self.messages.get(self.message_ref(node) or ""))

    def signal_name(self, definition) -> str:
        # Without a signalRef SpiffWorkflow takes the event's name as the signal's.
        ref = definition.get("signalRef")
        return _text(self.signals.get(ref) if ref else definition.getparent().get("name"))

    def _read(self, node) -> None:
        kind = _local(node)
        messages = node.findall("bpmn:messageEventDefinition", NS)
        signals = node.findall("bpmn:signalEventDefinition", NS)
        if kind == "sendTask" and not _has_implementation(node) or kind in THROWING_EVENTS and messages:
            self.sent_messages.add(self.message_name(node))
        if kind == "receiveTask" or kind in CATCHING_EVENTS and messages:
            self.message_catches.append((node, self.message_name(node)))
        for definition in signals:
            if kind in THROWING_EVENTS:
                self.thrown_signals.add(self.signal_name(definition))
            elif kind in CATCHING_EVENTS:
                self.signal_catches.append((node, self.signal_name(definition)))


def _expression_refused(reference: str) -> str | None:
    """Why the sandbox refuses a ``${...}`` decision reference (None: a plain key, or accepted)."""
    if not juel.is_juel(reference):
        return None
    try:
        sandbox.compile_expression(juel.to_python(reference))
    except ScriptRejected as err:
        return str(err)
    return None


def _is_literal_name(name: str) -> bool:
    return bool(name) and "${" not in name and "#{" not in name


def deployed_events(bpmn: bytes) -> tuple[frozenset[str], frozenset[str]]:
    """(messages sent, signals thrown) by the executable processes of a deployed file: what a caller
    passes lint() as `thrown_messages` and `thrown_signals` (the union over the deployed files)."""
    try:
        events = _Events(parse_xml(bpmn, "deployed.bpmn"))
    except BpmnValidationError:
        return frozenset(), frozenset()
    return (frozenset(filter(_is_literal_name, events.sent_messages)),
            frozenset(filter(_is_literal_name, events.thrown_signals)))


class _Linter:
    def __init__(self, root, filename, known_groups, known_forms, known_processes=None, thrown_messages=None,
                 thrown_signals=None, known_decisions=None):
        self.root = root
        self.filename = filename
        self.known_groups = None if known_groups is None else set(known_groups)
        self.known_forms = None if known_forms is None else set(known_forms)
        self.known_processes = known_processes
        self.known_decisions = known_decisions
        self.thrown_messages = None if thrown_messages is None else set(thrown_messages)
        self.thrown_signals = None if thrown_signals is None else set(thrown_signals)
        self.events = _Events(root)
        self.in_file = {p.get("id") for p in executable_processes(root)}
        self.problems: list[Problem] = []
        self.refused: set[str] = set()  # elements a refusal rule flagged

    def add(self, severity, rule, element, **values):
        if severity == ERROR and rule in REFUSALS:
            self.refused.add(element.get("id"))
        self.problems.append(Problem(MESSAGES[rule].format(**values), element_id=element.get("id"),
                                     line=element.sourceline, file=self.filename, severity=severity))

    # -- what the engine refuses --------------------------------------------

    def refusals(self, process) -> None:
        for node in process.iter():
            if not _is_bpmn(node):
                continue
            kind = _local(node)
            if kind == "serviceTask":
                self.implementation(node, required=True)
                self.external_errors(node)
            elif kind == "sendTask":
                if _has_implementation(node):
                    self.implementation(node)
                elif node.get("messageRef") is None and node.find("bpmn:messageEventDefinition", NS) is None:
                    self.add(ERROR, "send-no-message", node)
                else:
                    self.message(node)
            elif kind == "businessRuleTask":
                if _has_implementation(node):
                    self.implementation(node)
                else:
                    self.decision(node)
            elif kind == "scriptTask":
                script_format = _text(node.get("scriptFormat"))
                if script_format and script_format.lower() not in PYTHON_FORMATS:
                    self.add(ERROR, "script-format", node, format=script_format)
                elif _camunda(node, "resource") is not None:
                    self.add(ERROR, "script-resource", node, resource=_camunda(node, "resource"))
            elif kind == "callActivity":
                self.call(node)
            elif kind == "receiveTask":
                self.message(node)
            elif kind in THROWING_EVENTS | CATCHING_EVENTS:
                for definition in node.iterfind("bpmn:messageEventDefinition", NS):
                    self.message(node)
                    if kind in THROWING_EVENTS:
                        self.throw_implementation(node, definition)
                for definition in node.iterfind("bpmn:signalEventDefinition", NS):
                    self.signal(node, definition)

    def implementation(self, task, required=False) -> None:
        """A service task (or a send / business rule task with an implementation): External with a topic."""
        for name in JAVA_ATTRIBUTES:
            if _camunda(task, name):
                self.add(ERROR, "java-implementation", task, attribute=name)
                return
        if task.find("bpmn:extensionElements/camunda:connector", NS) is not None:
            self.add(ERROR, "connector", task)
            return
        kind = _camunda(task, "type")
        if kind != "external":
            if kind is not None:
                self.add(ERROR, "unknown-type", task, type=kind)
            elif required:
                self.add(ERROR, "no-implementation", task)
            return
        if not _text(_camunda(task, "topic")):
            self.add(ERROR, "external-topic", task)

    def external_errors(self, task) -> None:
        if task.find("bpmn:extensionElements/camunda:errorEventDefinition", NS) is not None:
            self.add(WARNING, "external-error-events", task)

    def throw_implementation(self, event, definition) -> None:
        for name in (*JAVA_ATTRIBUTES, "type"):
            if _camunda(definition, name) is not None:
                self.add(WARNING, "throw-implementation", event, attribute=name)
                return

    def message(self, node) -> None:
        ref = self.events.message_ref(node)
        if not ref:
            self.add(ERROR, "message-ref", node)
        elif ref not in self.events.messages:
            self.add(ERROR, "message-unknown", node, ref=ref)
        elif not _text(self.events.messages[ref]):
            self.add(ERROR, "message-name", node, ref=ref)

    def signal(self, event, definition) -> None:
        ref = definition.get("signalRef")
        if not ref:
            if not _text(event.get("name")):
                self.add(ERROR, "signal-ref", event)
        elif ref not in self.events.signals:
            self.add(ERROR, "signal-unknown", event, ref=ref)
        elif not _text(self.events.signals[ref]):
            self.add(ERROR, "signal-name", event, ref=ref)

    def decision(self, task) -> None:
        """A business rule task that evaluates a deployed decision, read as the loader reads it
        (engine.bpmn.task_parsers.DubanBusinessRuleTaskParser: attributes stripped, defaults applied)."""
        key = _text(_camunda(task, "decisionRef"))
        if not key:
            self.add(ERROR, "decision-missing", task)
            return
        binding = (_camunda(task, "decisionRefBinding") or "latest").strip()
        version = _text(_camunda(task, "decisionRefVersion"))
        mapping = (_camunda(task, "mapDecisionResult") or "resultList").strip()
        if binding not in BINDINGS:
            self.add(ERROR, "decision-binding", task, binding=binding)
        elif binding == "version" and not version.isdigit():
            self.add(ERROR, "decision-version", task, version=version)
        if mapping not in RESULT_MAPPINGS:
            self.add(ERROR, "decision-mapping", task, mapping=mapping)
        reason = _expression_refused(key)
        if reason:
            self.add(ERROR, "decision-expression", task, expression=key, reason=reason)
        if not _text(_camunda(task, "resultVariable")):
            self.add(WARNING, "decision-no-result", task)
        # What could never complete.
        if binding == "deployment":
            self.add(WARNING, "decision-deployment-binding", task, decision=key)
        elif binding in BINDINGS and not _is_expression(key):
            self.decision_deployed(task, key, int(version) if binding == "version" and version.isdigit() else None)

    def decision_deployed(self, task, key: str, version: int | None) -> None:
        if self.known_decisions is None:
            return
        if key not in self.known_decisions:
            self.add(WARNING, "decision-not-deployed", task, decision=key)
        elif version is not None and version not in set(self.known_decisions[key] or ()):
            self.add(WARNING, "decision-version-not-deployed", task, version=version, decision=key)

    def call(self, node) -> None:
        callee = _text(node.get("calledElement"))
        if not callee:
            self.add(ERROR, "call-no-process", node)
        if _camunda(node, "caseRef"):
            self.add(ERROR, "call-case", node)
        binding = _camunda(node, "calledElementBinding") or "latest"
        version = _camunda(node, "calledElementVersion")
        if binding not in BINDINGS:
            self.add(ERROR, "call-binding", node, binding=binding)
        elif binding == "version" and not _text(version).isdigit():
            self.add(ERROR, "call-version", node, version=version or "")
        for tag in ("in", "out"):
            for mapping in node.iterfind(f"bpmn:extensionElements/camunda:{tag}", NS):
                values = {key: _camunda(mapping, key) if _camunda(mapping, key) is not None else mapping.get(key)
                          for key in ("source", "sourceExpression", "target", "variables", "businessKey")}
                if not (values["variables"] == "all" or values["businessKey"] is not None
                        or ((values["source"] is not None or values["sourceExpression"] is not None)
                            and values["target"])):
                    self.add(ERROR, "call-mapping", node, tag=tag)
        for name in ("variableMappingClass", "variableMappingDelegateExpression"):
            if _camunda(node, name):
                self.add(WARNING, "call-variable-mapping", node, attribute=name)
        if not callee:
            return
        # What could never complete.
        if binding == "deployment" and callee not in self.in_file:
            self.add(ERROR, "call-deployment-binding", node, process=callee)
        elif self.known_processes is not None and callee not in self.in_file:
            if callee not in self.known_processes:
                self.add(WARNING, "call-not-deployed", node, process=callee)
            elif (binding == "version" and _text(version).isdigit() and isinstance(self.known_processes, Mapping)
                  and int(version) not in set(self.known_processes[callee] or ())):
                self.add(WARNING, "call-version-not-deployed", node, version=int(version), process=callee)

    # -- messages and signals nobody sends ----------------------------------------

    def deliveries(self) -> None:
        if self.thrown_messages is not None:
            sent = self.events.sent_messages | self.thrown_messages
            for node, name in self.events.message_catches:
                if _is_literal_name(name) and name not in sent:
                    self.add(INFO, "message-external", node, name=name)
        if self.thrown_signals is not None:
            thrown = self.events.thrown_signals | self.thrown_signals
            for node, name in self.events.signal_catches:
                if _is_literal_name(name) and name not in thrown:
                    self.add(WARNING, "signal-never-thrown", node, name=name)

    # -- user tasks -------------------------------------------------------

    def lanes(self, process) -> dict[str, str]:
        lane_of = {}
        for lane in process.iterfind(".//bpmn:lane", NS):
            for ref in lane.iterfind("bpmn:flowNodeRef", NS):
                if ref.text and lane.get("name"):
                    lane_of[ref.text.strip()] = lane.get("name").strip()
        return lane_of

    def user_tasks(self, process) -> None:
        lane_of = self.lanes(process)
        for task in process.iterfind(".//bpmn:userTask", NS):
            groups = _split(task.get(f"{{{CAMUNDA}}}candidateGroups"))
            users = _split(task.get(f"{{{CAMUNDA}}}candidateUsers"))
            assignee = (task.get(f"{{{CAMUNDA}}}assignee") or "").strip()
            lane = lane_of.get(task.get("id"))
            if not (groups or users or assignee or lane):
                self.add(ERROR, "user-task-candidates", task)
            if not (task.get(f"{{{CAMUNDA}}}dueDate") or "").strip():
                self.add(ERROR, "user-task-due", task)
            if self.known_groups is not None:
                for group in groups:
                    if not _is_expression(group) and group not in self.known_groups:
                        self.add(ERROR, "unknown-group", task, group=group)
                if not groups and lane and not _is_expression(lane) and lane not in self.known_groups:
                    self.add(ERROR, "unknown-lane-group", task, group=lane)
            form_key = (task.get(f"{{{CAMUNDA}}}formKey") or "").strip()
            if not form_key:
                self.add(WARNING, "user-task-form", task)
            elif self.known_forms is not None and not _is_expression(form_key) and form_key not in self.known_forms:
                self.add(WARNING, "unknown-form", task, key=form_key)
            if not (task.get("name") or "").strip():
                self.add(WARNING, "user-task-name", task)

    # -- gateways ---------------------------------------------------------

    def gateways(self, process, flows_by_id, nodes_by_id) -> None:
        for gateway in process.iterfind(".//bpmn:eventBasedGateway", NS):
            timers = [flows_by_id[f].get("targetRef") for f in self.outgoing_ids(gateway, flows_by_id)]
            timers = [t for t in timers if t in nodes_by_id and _local(nodes_by_id[t]) == "intermediateCatchEvent"
                      and _has(nodes_by_id[t], "timerEventDefinition")]
            if len(timers) > 1:
                self.add(ERROR, "event-gateway-timers", gateway, count=len(timers), timers=", ".join(timers))
        for gateway in process.iterfind(".//bpmn:exclusiveGateway", NS):
            outgoing = self.outgoing_ids(gateway, flows_by_id)
            if len(outgoing) < 2:
                continue
            # (A flow without condition that is not the default is refused by SpiffWorkflow's parser.)
            if not gateway.get("default"):
                self.add(WARNING, "gateway-default", gateway)

    @staticmethod
    def outgoing_ids(node, flows_by_id) -> list[str]:
        return [fid for fid, flow in flows_by_id.items() if flow.get("sourceRef") == node.get("id")]

    # -- the graph --------------------------------------------------------

    def graph(self, scope) -> None:
        """Reachability within one process or subprocess (and, recursively, the subprocesses in it)."""
        nodes = [child for child in scope if _is_bpmn(child) and _local(child) in FLOW_NODES]
        by_id = {node.get("id"): node for node in nodes}
        successors = defaultdict(set)
        for flow in scope.iterfind("bpmn:sequenceFlow", NS):
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            if source in by_id and target in by_id:
                successors[source].add(target)
        link_catchers = defaultdict(list)
        for node in nodes:
            link = node.find("bpmn:linkEventDefinition", NS)
            if _local(node) == "intermediateCatchEvent" and link is not None:
                link_catchers[link.get("name")].append(node.get("id"))
        for node in nodes:
            link = node.find("bpmn:linkEventDefinition", NS)
            if _local(node) == "intermediateThrowEvent" and link is not None:
                successors[node.get("id")].update(link_catchers.get(link.get("name"), []))
        boundary_of = defaultdict(list)
        for node in nodes:
            if _local(node) == "boundaryEvent" and node.get("attachedToRef") in by_id:
                boundary_of[node.get("attachedToRef")].append(node.get("id"))

        def exempt(node):
            # Compensation handlers and compensation boundary events are joined by associations, not flows.
            return node.get("isForCompensation") == "true" or (
                _local(node) == "boundaryEvent" and _has(node, "compensateEventDefinition"))

        def event_subprocess(node):
            return _local(node) in SCOPES and node.get("triggeredByEvent") == "true"

        starts = [n.get("id") for n in nodes if _local(n) == "startEvent"]
        roots = starts + [n.get("id") for n in nodes if event_subprocess(n)]
        if not starts:
            kind = "process" if _local(scope) == "process" else "subprocess"
            self.add(ERROR, "no-start-event", scope, kind=kind)
            return
        reachable, stack = set(), list(roots)
        while stack:
            current = stack.pop()
            if current in reachable:
                continue
            reachable.add(current)
            stack.extend(successors[current])
            stack.extend(boundary_of[current])
        for node in nodes:
            if node.get("id") not in reachable and not exempt(node):
                self.add(ERROR, "unreachable", node)

        predecessors = defaultdict(set)
        for source, targets in successors.items():
            for target in targets:
                predecessors[target].add(source)
        ends = [n.get("id") for n in nodes if _local(n) == "endEvent"]
        finishing, stack = set(), list(ends)
        while stack:
            current = stack.pop()
            if current in finishing:
                continue
            finishing.add(current)
            stack.extend(predecessors[current])
        for node in nodes:
            node_id = node.get("id")
            if node_id in reachable and node_id not in finishing and not exempt(node) and not event_subprocess(node):
                self.add(ERROR, "no-path-to-end", node)
        for node in nodes:
            if _local(node) in SCOPES and node.get("id") in reachable:
                self.graph(node)

    def run(self, process) -> None:
        flows_by_id = {flow.get("id"): flow for flow in process.iterfind(".//bpmn:sequenceFlow", NS)}
        nodes_by_id = {node.get("id"): node for node in process.iter()
                       if _is_bpmn(node) and _local(node) in FLOW_NODES}
        self.refusals(process)
        self.user_tasks(process)
        self.gateways(process, flows_by_id, nodes_by_id)
        self.graph(process)


def executable_processes(root) -> list:
    return [p for p in root.iterfind("bpmn:process", NS) if p.get("isExecutable", "").lower() == "true"]


def process_id_of(bpmn: bytes) -> str | None:
    """The id of the (first) executable process, or None when there is none or the XML is refused."""
    try:
        root = parse_xml(bpmn, "process.bpmn")
    except BpmnValidationError:
        return None
    processes = executable_processes(root)
    return processes[0].get("id") if processes else None


def _schema_problems(root, filename) -> list[Problem]:
    validator = _xsd_validator()
    validator.preprocess(root)
    if validator.validator.validate(root):
        return []
    return [Problem(f"BPMN schema: {error.message}", line=error.line or None, file=filename)
            for error in validator.validator.error_log]


_RANK = {ERROR: 0, WARNING: 1, INFO: 2}


def _key(problem: Problem):
    return (_RANK.get(problem.severity, 1), problem.line or 0, problem.element_id or "", problem.message)


def lint(bpmn: bytes, filename: str = "process.bpmn", known_groups: Collection[str] | None = None,
         known_forms: Collection[str] | None = None, *,
         known_processes: Mapping[str, Collection[int]] | Collection[str] | None = None,
         known_decisions: Mapping[str, Collection[int]] | None = None,
         thrown_messages: Collection[str] | None = None,
         thrown_signals: Collection[str] | None = None) -> list[Problem]:
    """Every problem of a BPMN file, errors first, then warnings, then notes. No errors and no
    warnings: it may be deployed as it is.

    `known_groups`: unit codes and role names a literal candidate group may name (None skips that rule).
    `known_forms`: form keys that exist (None skips that rule).
    `known_processes`: ids of the deployed processes, or {id: deployed versions} (None skips the rules
    on called processes that are not deployed).
    `known_decisions`: {key: deployed versions} of the deployed decisions (None skips the rules on
    decisions that are not deployed).
    `thrown_messages`, `thrown_signals`: the names deployed processes send (`deployed_events`; None
    skips the rules on messages and signals nobody sends).
    """
    try:
        root = parse_xml(bpmn, filename)
    except BpmnValidationError as err:
        return err.problems
    problems = _schema_problems(root, filename)
    if problems:
        return problems  # the rules below need a document the schema accepts
    loaded = []
    try:
        for parsed in load_definitions(bpmn, filename):
            loaded += parsed.warnings
    except BpmnValidationError as err:
        loaded += err.problems
    linter = _Linter(root, filename, known_groups, known_forms, known_processes, thrown_messages, thrown_signals,
                     known_decisions)
    for process in executable_processes(root):  # the engine deploys each of them
        linter.run(process)
    linter.deliveries()
    # The loader stops at the first element it refuses; the refusal rules flag each, in the page's language.
    problems += [p for p in loaded if not (p.severity == ERROR and p.element_id in linter.refused)]
    problems += linter.problems
    unique = {}
    for problem in problems:
        unique.setdefault((problem.severity, problem.element_id, problem.message), problem)
    return sorted(unique.values(), key=_key)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == WARNING]


def notes(problems: list[Problem]) -> list[Problem]:
    """Said for information; they never block a deploy."""
    return [p for p in problems if p.severity == INFO]


def blocking(problems: list[Problem], accept_warnings: bool = False) -> list[Problem]:
    """What stops a deploy: errors always, warnings unless accepted; never notes."""
    return errors(problems) if accept_warnings else errors(problems) + warnings(problems)
