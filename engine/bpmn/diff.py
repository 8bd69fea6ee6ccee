"""What changed between two versions of a process, element by element (matched by BPMN id).

For every element of the executable process (the process itself, flow nodes,
sequence flows, lanes) and the definitions' errors, messages, signals and
escalations, a *signature* is read from the XML: its type, name, attributes
(Camunda's included: candidate groups, due date, form key ...), condition,
script, timer texts, event definitions, Camunda properties and documentation.
Two versions are compared on these signatures; the diagram (bpmndi: shapes
and edges) is compared separately, as one "layout changed" flag.
"""
from dataclasses import dataclass, field

from lxml import etree

from engine.bpmn.loader import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS = {"bpmn": BPMN, "camunda": CAMUNDA, "bpmndi": BPMNDI}

FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
}
TRACKED = FLOW_NODES | {"process", "sequenceFlow", "lane", "error", "message", "signal", "escalation"}
EVENT_DEFINITIONS = {"timerEventDefinition", "errorEventDefinition", "messageEventDefinition",
                     "signalEventDefinition", "escalationEventDefinition", "conditionalEventDefinition",
                     "linkEventDefinition", "terminateEventDefinition", "compensateEventDefinition",
                     "cancelEventDefinition"}
TIMER_KINDS = ("timeDuration", "timeDate", "timeCycle")


@dataclass
class FieldChange:
    field: str
    old: str | None
    new: str | None


@dataclass
class ElementDiff:
    element_id: str
    type: str
    name: str | None
    status: str                     # added | removed | changed
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class DefinitionDiff:
    added: list[ElementDiff] = field(default_factory=list)
    removed: list[ElementDiff] = field(default_factory=list)
    changed: list[ElementDiff] = field(default_factory=list)
    layout_changed: bool = False

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed or self.layout_changed)

    def as_dict(self) -> dict:
        def element(e):
            return {"element_id": e.element_id, "type": e.type, "name": e.name, "status": e.status,
                    "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in e.changes]}
        return {"added": [element(e) for e in self.added], "removed": [element(e) for e in self.removed],
                "changed": [element(e) for e in self.changed], "layout_changed": self.layout_changed}


def _local(element) -> str:
    return etree.QName(element.tag).localname if isinstance(element.tag, str) else ""


def _namespace(element) -> str | None:
    return etree.QName(element.tag).namespace if isinstance(element.tag, str) else None


def _text(element) -> str:
    return "".join(element.itertext()).strip()


def _attribute_name(qualified: str) -> str:
    name = etree.QName(qualified)
    if name.namespace == CAMUNDA:
        return f"camunda:{name.localname}"
    if name.namespace == XSI:
        return f"xsi:{name.localname}"
    return name.localname if name.namespace is None else f"{{{name.namespace}}}{name.localname}"


def signature(element) -> dict[str, str]:
    """The comparable facts of one element, as field -> text."""
    facts = {}
    for key, value in element.attrib.items():
        name = _attribute_name(key)
        if name not in ("id", "name"):
            facts[name] = value
    for child in element:
        if _namespace(child) != BPMN:
            continue
        kind = _local(child)
        if kind == "conditionExpression":
            facts["condition"] = _text(child)
        elif kind == "script":
            facts["script"] = child.text or ""
        elif kind == "documentation":
            facts["documentation"] = _text(child)
        elif kind == "flowNodeRef":
            facts.setdefault("lane members", "")
            facts["lane members"] = ", ".join(filter(None, [facts["lane members"], (child.text or "").strip()]))
        elif kind in EVENT_DEFINITIONS:
            details = {_attribute_name(k): v for k, v in child.attrib.items() if k != "id"}
            facts["event"] = kind + "".join(f" {k}={v}" for k, v in sorted(details.items()))
            for timer in child:
                if _local(timer) in TIMER_KINDS:
                    facts[f"timer {_local(timer)}"] = _text(timer)
                elif _local(timer) == "condition":
                    facts["event condition"] = _text(timer)
        elif kind == "extensionElements":
            for extension in child.iter():
                if _namespace(extension) != CAMUNDA:
                    continue
                if _local(extension) == "property":
                    facts[f"camunda:property {extension.get('name')}"] = extension.get("value") or _text(extension)
                elif _local(extension) in ("inputParameter", "outputParameter"):
                    facts[f"camunda:{_local(extension)} {extension.get('name')}"] = _text(extension)
                elif _local(extension) == "formField":
                    attributes = " ".join(f"{k}={v}" for k, v in sorted(extension.attrib.items()) if k != "id")
                    facts[f"camunda:formField {extension.get('id')}"] = attributes
                elif _local(extension) == "executionListener" or _local(extension) == "taskListener":
                    facts[f"camunda:{_local(extension)} {extension.get('event')}"] = (
                        extension.get("class") or extension.get("expression") or _text(extension))
    return facts


def _elements(root) -> dict[str, tuple[str, str | None, dict]]:
    found = {}
    processes = [p for p in root.iterfind("bpmn:process", NS) if p.get("isExecutable", "").lower() == "true"]
    scopes = processes[:1] + [e for e in root if _namespace(e) == BPMN and _local(e) in
                              {"error", "message", "signal", "escalation"}]
    for scope in scopes:
        for element in scope.iter():
            if _namespace(element) == BPMN and _local(element) in TRACKED and element.get("id"):
                found[element.get("id")] = (_local(element), element.get("name"), signature(element))
    return found


def _layout(root) -> list:
    shapes = []
    for element in root.iter():
        if _namespace(element) == BPMNDI and _local(element) in ("BPMNShape", "BPMNEdge"):
            shapes.append(etree.tostring(element, method="c14n"))
    return sorted(shapes)


def diff_definitions(old_xml: bytes, new_xml: bytes) -> DefinitionDiff:
    """Elements added, removed and changed from `old_xml` to `new_xml` (both BPMN files as bytes)."""
    old_root, new_root = parse_xml(old_xml, "old.bpmn"), parse_xml(new_xml, "new.bpmn")
    old, new = _elements(old_root), _elements(new_root)
    result = DefinitionDiff(layout_changed=_layout(old_root) != _layout(new_root))
    for element_id, (kind, name, _facts) in new.items():
        if element_id not in old:
            result.added.append(ElementDiff(element_id, kind, name, "added"))
    for element_id, (kind, name, facts) in old.items():
        if element_id not in new:
            result.removed.append(ElementDiff(element_id, kind, name, "removed"))
            continue
        new_kind, new_name, new_facts = new[element_id]
        changes = []
        if kind != new_kind:
            changes.append(FieldChange("type", kind, new_kind))
        if (name or "") != (new_name or ""):
            changes.append(FieldChange("name", name, new_name))
        for key in sorted(set(facts) | set(new_facts)):
            if facts.get(key) != new_facts.get(key):
                changes.append(FieldChange(key, facts.get(key), new_facts.get(key)))
        if changes:
            result.changed.append(ElementDiff(element_id, new_kind, new_name or name, "changed", changes))
    return result
