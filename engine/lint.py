"""Validate a BPMN file before it is deployed: every problem at once, each with its element.

`lint(bpmn, filename, known_groups)` runs, in order:

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

Errors block a deploy; warnings are shown and may be accepted. Nothing here
touches the database: callers pass what the rules need to know.
"""
from collections import defaultdict
from collections.abc import Collection

from lxml import etree

from engine.bpmn import juel
from engine.bpmn.loader import _xsd_validator, load_definition, parse_xml
from engine.errors import BpmnValidationError, Problem

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}

ERROR, WARNING = "error", "warning"

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
}


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


class _Linter:
    def __init__(self, root, filename, known_groups, known_forms):
        self.root = root
        self.filename = filename
        self.known_groups = None if known_groups is None else set(known_groups)
        self.known_forms = None if known_forms is None else set(known_forms)
        self.problems: list[Problem] = []

    def add(self, severity, rule, element, **values):
        self.problems.append(Problem(MESSAGES[rule].format(**values), element_id=element.get("id"),
                                     line=element.sourceline, file=self.filename, severity=severity))

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


def _key(problem: Problem):
    return (problem.severity != ERROR, problem.line or 0, problem.element_id or "", problem.message)


def lint(bpmn: bytes, filename: str = "process.bpmn", known_groups: Collection[str] | None = None,
         known_forms: Collection[str] | None = None) -> list[Problem]:
    """Every problem of a BPMN file, errors first. An empty list means it may be deployed as it is.

    `known_groups`: unit codes and role names a literal candidate group may name (None skips that rule).
    `known_forms`: form keys that exist (None skips that rule).
    """
    try:
        root = parse_xml(bpmn, filename)
    except BpmnValidationError as err:
        return err.problems
    problems = _schema_problems(root, filename)
    if problems:
        return problems  # the rules below need a document the schema accepts
    try:
        parsed = load_definition(bpmn, filename)
        problems += parsed.warnings
    except BpmnValidationError as err:
        problems += err.problems
    linter = _Linter(root, filename, known_groups, known_forms)
    processes = executable_processes(root)
    for process in processes[:1]:  # the engine deploys the first executable process
        linter.run(process)
    problems += linter.problems
    unique = {}
    for problem in problems:
        unique.setdefault((problem.severity, problem.element_id, problem.message), problem)
    return sorted(unique.values(), key=_key)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity != ERROR]


def blocking(problems: list[Problem], accept_warnings: bool = False) -> list[Problem]:
    """What stops a deploy: errors always, warnings unless accepted."""
    return errors(problems) if accept_warnings else list(problems)
