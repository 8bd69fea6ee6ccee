"""The campaign's four BPMN processes and their forms (processes/).

Static checks: each file passes the engine's loader (XML, XSD, SpiffWorkflow
parse, sandbox), every user task is complete (candidates, due date, a form that
exists), every exclusive gateway has a default flow, every element has diagram
interchange, and every form is well-formed.

Walks: each process is run in memory with SpiffWorkflow, fake service
functions (with the signatures of docs/process-conventions.md) and a manual
clock, completing user tasks with values built from their forms (hidden fields
are left out, as a browser would), delivering messages from other systems and
completing external tasks as their workers would. Together the scenarios of a
process must visit every flow node and take every sequence flow, and each
scenario must end where it says.
"""
import ast
import functools
import itertools
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import deadlines
from engine.bpmn import juel, sandbox
from engine.bpmn.loader import load_definition
from engine.bpmn.parser import is_iso_literal
from engine.bpmn.script_engine import DubanScriptEngine
from engine.errors import BpmnValidationError
from engine.workcal import WorkCalendar

try:  # the web checks forms and submissions with the domain's form code; so do these tests when it is there
    from domain.forms import check_form, validate_submission
except ImportError:  # pragma: no cover
    check_form = validate_submission = None

ROOT = Path(__file__).resolve().parents[1]
PROCESS_DIR = ROOT / "processes"
FORM_DIR = PROCESS_DIR / "forms"
PROCESS_IDS = ["lead_handling", "risk_disposal", "rectification", "supervision"]
# Checked statically like the four above; their runs are tested in tests/test_returns_process.py.
STATIC_PROCESS_IDS = PROCESS_IDS + ["monthly_return", "monthly_return_cycle"]

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}
FLOW_NODE_TAGS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "scriptTask", "serviceTask", "manualTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway",
    "inclusiveGateway", "eventBasedGateway", "complexGateway",
}

UNITS = {"office", "civil_affairs", "market", "health", "land", "urban_enforcement", "police", "court",
         "justice", "enterprise_service", "bank", "community"}
ROLES = {"officer", "supervisor", "administrator", "office_leader"}
FIELD_TYPES = {"text", "textarea", "integer", "number", "boolean", "date", "datetime", "enum", "multienum",
               "unit", "credit_code", "phone", "file"}
FIELD_KEYS = {"id", "type", "label", "required", "min", "max", "max_length", "future", "default", "help",
              "visible_if", "options", "decision"}

LEAD_FIELDS = {"status", "result", "responsible_unit", "feedback_deadline", "major", "recovered_amount"}
LEAD_STATUSES = {"dispatched", "verifying", "feedback", "reviewing", "closed"}
RESULTS = {"substantiated", "partly", "not_substantiated"}
INTENSITIES = {"none", "low", "medium", "high"}
MEASURES = {"risk_warning", "warning_interview", "suspension", "order_rectify", "urge_refunds",
            "transfer_department", "transfer_police"}
FEEDBACK_OPTIONS = MEASURES | {"case_filed", "mediation", "no_action"}  # lead/feedback `handling`
RECTIFICATION_STATUSES = {"open", "submitted", "accepted", "sent_back", "overdue", "closed", "reopened"}
SUPERVISION_STAGES = {"reminder", "notice", "interview", "deadline_rectify", "accountability"}
LEVELS = ("ordinary", "yellow", "red")
# The documented functions, plus update_supervision(case_id, status, stage, level), which
# domain.services provides to keep the supervision case (督办案件) in step.
SERVICE_FUNCTIONS = {"update_lead", "record_risk_grade", "record_disposal", "record_feedback_measures",
                     "record_police_receipt", "record_completion_report", "open_rectification",
                     "update_rectification", "start_supervision", "update_supervision", "open_accountability",
                     "lead_info", "workdays_after", "local_time", "open_monthly_returns", "submit_monthly_return"}
ENGINE_FUNCTIONS = {"workdays_after", "local_time"}  # provided by the engine itself
SCRIPT_BUILTINS = {"len", "min", "max", "sum", "sorted", "dict", "list", "set", "tuple", "str", "int", "float",
                   "bool", "any", "all", "range", "enumerate", "zip", "round", "abs", "isinstance"}

CJK = re.compile(r"[\u4e00-\u9fff]")
ELEMENT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# ---------------------------------------------------------------- loading

def bpmn_bytes(process_id):
    return (PROCESS_DIR / f"{process_id}.bpmn").read_bytes()


@functools.cache
def parsed(process_id):
    return load_definition(bpmn_bytes(process_id), f"{process_id}.bpmn")


@functools.cache
def xml_root(process_id):
    return etree.fromstring(bpmn_bytes(process_id))


def process_element(process_id):
    [process] = xml_root(process_id).findall("bpmn:process", NS)
    return process


def flow_nodes(process_id):
    return [el for el in process_element(process_id) if etree.QName(el).localname in FLOW_NODE_TAGS]


def sequence_flows(process_id):
    return process_element(process_id).findall("bpmn:sequenceFlow", NS)


def user_task_specs(process_id):
    return [ts for ts in parsed(process_id).spec.task_specs.values()
            if (getattr(ts, "extensions", None) or {}).get("human") is not None]


@functools.cache
def load_form(key):
    return json.loads((FORM_DIR / f"{key}.json").read_text(encoding="utf-8"))


def all_form_keys():
    return sorted(str(p.relative_to(FORM_DIR).with_suffix("")) for p in FORM_DIR.rglob("*.json"))


# ---------------------------------------------------------------- static checks

@pytest.mark.parametrize("process_id", STATIC_PROCESS_IDS)
def test_process_loads_with_the_engine_loader(process_id):
    try:
        definition = parsed(process_id)
    except BpmnValidationError as err:
        pytest.fail(f"{process_id}.bpmn rejected: {[str(p) for p in err.problems]}")
    assert definition.process_id == process_id
    assert CJK.search(definition.name), "the process needs a Chinese name"
    assert process_element(process_id).get("isExecutable") == "true"


@pytest.mark.parametrize("process_id", STATIC_PROCESS_IDS)
def test_element_ids_are_english_and_names_chinese(process_id):
    for el in flow_nodes(process_id) + sequence_flows(process_id):
        assert ELEMENT_ID.match(el.get("id")), el.get("id")
    for el in flow_nodes(process_id):
        kind = etree.QName(el).localname
        merging = kind.endswith("Gateway") and len(el.findall("bpmn:outgoing", NS)) <= 1
        if not merging:
            assert CJK.search(el.get("name") or ""), f"{el.get('id')} needs a Chinese name"


@pytest.mark.parametrize("process_id", STATIC_PROCESS_IDS)
def test_every_user_task_has_candidates_due_date_and_form(process_id):
    specs = user_task_specs(process_id)
    assert specs or process_id == "monthly_return_cycle", "no user tasks"  # (the cycle only starts others)
    for spec in specs:
        human = spec.extensions["human"]
        assert CJK.search(spec.bpmn_name or ""), f"{spec.bpmn_id} needs a Chinese name"
        assert human["candidate_groups"] or human["assignee"], f"{spec.bpmn_id} has no candidates"
        for group in human["candidate_groups"]:
            assert group in UNITS | ROLES or juel.is_juel(group), f"{spec.bpmn_id}: unknown group {group}"
        due = human["due_date"]
        assert due and (is_iso_literal(due) or juel.is_juel(due)), f"{spec.bpmn_id}: due date {due!r}"
        key = human["form_key"]
        assert key, f"{spec.bpmn_id} has no form key"
        assert (FORM_DIR / f"{key}.json").is_file(), f"{spec.bpmn_id}: no form file for {key}"
        assert load_form(key)["key"] == key


@pytest.mark.parametrize("process_id", STATIC_PROCESS_IDS)
def test_exclusive_gateways_have_a_default_flow(process_id):
    flows = {f.get("id"): f for f in sequence_flows(process_id)}
    for gateway in process_element(process_id).findall("bpmn:exclusiveGateway", NS):
        outgoing = [flows[o.text] for o in gateway.findall("bpmn:outgoing", NS)]
        if len(outgoing) < 2:
            continue
        default = gateway.get("default")
        assert default in {f.get("id") for f in outgoing}, f"{gateway.get('id')} has no default flow"
        for flow in outgoing:
            condition = flow.find("bpmn:conditionExpression", NS)
            if flow.get("id") == default:
                assert condition is None, f"default flow {default} must not have a condition"
            else:
                assert condition is not None and condition.text.strip(), f"{flow.get('id')} has no condition"


@pytest.mark.parametrize("process_id", STATIC_PROCESS_IDS)
def test_scripts_call_only_the_documented_service_functions(process_id):
    for script in process_element(process_id).iter(f"{{{NS['bpmn']}}}script"):
        for node in ast.walk(ast.parse(script.text)):
            if isinstance(node, ast.Call):
                assert isinstance(node.func, ast.Name), "call service functions by name"
                assert node.func.id in SERVICE_FUNCTIONS | SCRIPT_BUILTINS, node.func.id


# Where the BPMN itself escalates lateness (a boundary timer that starts supervision, or the
# supervision process's own ladder), the engine's ladder must not also reach its accountability
# rung, which starts another `supervision` instance.
OWN_LADDER = {"lead_handling": {"verify_lead"}, "supervision": "all"}


@pytest.mark.parametrize("process_id", STATIC_PROCESS_IDS)
def test_tasks_escalated_by_the_process_do_not_climb_the_engine_accountability_rung(process_id):
    from engine import ladder

    wanted = OWN_LADDER.get(process_id, set())
    for spec in user_task_specs(process_id):
        text = spec.extensions.get("escalation")
        if wanted == "all" or spec.bpmn_id in wanted:
            assert text, f"{spec.bpmn_id} needs an escalation property"
            assert "accountability" not in {rung.name for rung in ladder.parse(text)}, spec.bpmn_id
        elif text:
            ladder.parse(text)


def _bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def _within(point, bounds, tolerance=2.0):
    """Whether a waypoint lies on or inside a shape (give or take `tolerance`)."""
    x, y = point
    bx, by, bw, bh = bounds
    inside = bx - tolerance <= x <= bx + bw + tolerance and by - tolerance <= y <= by + bh + tolerance
    return inside


@pytest.mark.parametrize("process_id", STATIC_PROCESS_IDS)
def test_diagram_interchange_covers_every_element(process_id):
    root = xml_root(process_id)
    [plane] = root.findall("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == process_id
    shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}
    nodes = flow_nodes(process_id)
    for node in nodes:
        assert node.get("id") in shapes, f"no shape for {node.get('id')}"
        assert shapes[node.get("id")].find("dc:Bounds", NS) is not None
    bounds = {node_id: _bounds(shape) for node_id, shape in shapes.items()}
    for flow in sequence_flows(process_id):
        edge = edges.get(flow.get("id"))
        assert edge is not None, f"no edge for {flow.get('id')}"
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        assert len(points) >= 2
        assert _within(points[0], bounds[flow.get("sourceRef")]), f"{flow.get('id')} starts off its source"
        assert _within(points[-1], bounds[flow.get("targetRef")]), f"{flow.get('id')} ends off its target"
    # No two shapes overlap, except a boundary event on its host.
    attached = {n.get("id"): n.get("attachedToRef") for n in nodes if etree.QName(n).localname == "boundaryEvent"}
    ids = [n.get("id") for n in nodes]
    for a, b in itertools.combinations(ids, 2):
        if attached.get(a) == b or attached.get(b) == a:
            continue
        ax, ay, aw, ah = bounds[a]
        bx, by, bw, bh = bounds[b]
        assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), f"{a} overlaps {b}"


def test_every_form_key_has_a_form_and_every_form_is_used():
    used = {spec.extensions["human"]["form_key"] for pid in STATIC_PROCESS_IDS for spec in user_task_specs(pid)}
    assert used == set(all_form_keys())


def _check_label(label, where):
    assert isinstance(label, dict) and set(label) == {"zh", "en"}, where
    assert CJK.search(label["zh"]), f"{where}: zh label is not Chinese"
    assert label["en"].strip(), f"{where}: empty en label"


@pytest.mark.parametrize("key", all_form_keys())
def test_form_is_well_formed(key):
    form = load_form(key)
    assert form["key"] == key
    _check_label(form["title"], f"{key} title")
    assert form["fields"], f"{key} has no fields"
    ids = [f["id"] for f in form["fields"]]
    assert len(ids) == len(set(ids)), f"{key}: duplicate field ids"
    for field in form["fields"]:
        where = f"{key}.{field.get('id')}"
        assert set(field) <= FIELD_KEYS, f"{where}: unknown keys {set(field) - FIELD_KEYS}"
        assert field["id"].isidentifier() and not field["id"].startswith("_"), where
        assert field["type"] in FIELD_TYPES, where
        _check_label(field["label"], where)
        if "help" in field:
            _check_label(field["help"], f"{where} help")
        if field["type"] in ("enum", "multienum"):
            values = [o["value"] for o in field["options"]]
            assert values and len(values) == len(set(values)), f"{where}: options"
            for option in field["options"]:
                _check_label(option["label"], f"{where} option {option['value']}")
            if "default" in field:
                assert field["default"] in values, f"{where}: default is not an option"
        else:
            assert "options" not in field, where
        if "visible_if" in field:
            sandbox.compile_expression(field["visible_if"])
            names = {n.id for n in ast.walk(ast.parse(field["visible_if"], mode="eval")) if isinstance(n, ast.Name)}
            assert names <= set(ids) - {field["id"]}, f"{where}: visible_if reads {names - set(ids)}"
    if check_form is not None:
        assert check_form(form) == []


# ---------------------------------------------------------------- in-memory walks

class FakeServices:
    """The service functions of docs/process-conventions.md, recording their calls."""

    def __init__(self):
        self.calls = []
        self._ids = itertools.count(100)

    def functions(self, calendar):
        functions = {name: getattr(self, name) for name in SERVICE_FUNCTIONS - ENGINE_FUNCTIONS}
        functions.update(deadlines.script_functions(calendar))
        return functions

    def _record(self, name, *args, **kwargs):
        self.calls.append((name, args, kwargs))

    def named(self, name):
        return [(args, kwargs) for n, args, kwargs in self.calls if n == name]

    def update_lead(self, lead_id, **fields):
        assert set(fields) <= LEAD_FIELDS, fields
        assert fields.get("status", "closed") in LEAD_STATUSES, fields
        assert fields.get("responsible_unit", "office") in UNITS, fields
        assert fields.get("result", "partly") in RESULTS, fields
        self._record("update_lead", lead_id, **fields)

    def record_risk_grade(self, subject_id, grade, people_involved, money_at_risk, opinion_heat, stability_risk,
                          **graded_by_rule):
        assert grade in ("red", "orange", "yellow", "green")
        assert opinion_heat in INTENSITIES and stability_risk in INTENSITIES
        assert isinstance(people_involved, int) and isinstance(money_at_risk, int | float)
        assert set(graded_by_rule) <= {"computed_grade", "grading_rule", "grading_decision", "override_reason"}
        self._record("record_risk_grade", subject_id, grade, people_involved, money_at_risk, opinion_heat,
                     stability_risk)

    def record_disposal(self, subject_id, measure, unit, officer, note="", lead_id=None):
        assert measure in MEASURES and unit in UNITS and officer
        self._record("record_disposal", subject_id, measure, unit, officer, note=note, lead_id=lead_id)

    def record_feedback_measures(self, lead_id, handling, note=None):
        assert isinstance(lead_id, int) and isinstance(handling, list) and set(handling) <= FEEDBACK_OPTIONS
        assert isinstance(note, str) and note
        self._record("record_feedback_measures", lead_id, handling, note=note)
        return []

    def record_police_receipt(self, receipt_no, accepting_unit=None, accepted_on=None, subject_id=None,
                              lead_id=None, paper=False):
        assert isinstance(receipt_no, str) and receipt_no and isinstance(paper, bool)
        assert accepted_on is None or datetime.fromisoformat(accepted_on)
        self._record("record_police_receipt", receipt_no, accepting_unit, accepted_on, subject_id=subject_id,
                     lead_id=lead_id, paper=paper)

    def record_completion_report(self, lead_id, sent):
        assert isinstance(lead_id, int) and isinstance(sent, bool)
        self._record("record_completion_report", lead_id, sent)

    def open_rectification(self, subject_id, problem, unit, deadline, measures, person="", lead_id=None):
        assert unit in UNITS
        datetime.fromisoformat(deadline)
        self._record("open_rectification", subject_id, problem, unit, deadline, measures, person=person,
                     lead_id=lead_id)
        return next(self._ids)

    def lead_info(self, lead_id):
        assert isinstance(lead_id, int)
        return {"id": lead_id, "feedback_deadline": None}

    def open_monthly_returns(self, month=None):
        assert month is None or re.match(r"^\d{4}-\d{2}$", month)
        self._record("open_monthly_returns", month)
        return 0

    def submit_monthly_return(self, return_id, values):
        assert isinstance(return_id, int) and isinstance(values, dict)
        self._record("submit_monthly_return", return_id)

    def update_rectification(self, item_id, status, lookback_result=None, deadline=None):
        assert status in RECTIFICATION_STATUSES
        assert lookback_result is None or isinstance(lookback_result, str)
        assert deadline is None or isinstance(deadline, str)
        self._record("update_rectification", item_id, status, lookback_result=lookback_result)

    def start_supervision(self, kind, target_id, unit, reason, level="ordinary"):
        assert kind in ("lead", "unit", "rectification") and unit in UNITS and level in LEVELS
        assert target_id is None or isinstance(target_id, int)
        self._record("start_supervision", kind, target_id, unit, reason, level)
        return next(self._ids)

    def update_supervision(self, case_id, status=None, stage=None, level=None):
        assert isinstance(case_id, int) and status in (None, "open", "closed")
        assert stage in SUPERVISION_STAGES | {None} and level in (None, *LEVELS)
        self._record("update_supervision", case_id, **{k: v for k, v in
                                                        (("status", status), ("stage", stage), ("level", level)) if v})

    def open_accountability(self, unit, reason, target_kind=None, target_id=None):
        assert unit in UNITS and reason
        assert target_kind in (None, "lead", "unit", "rectification", "supervision")
        assert target_id is None or isinstance(target_id, int)
        self._record("open_accountability", unit, reason, target_kind=target_kind, target_id=target_id)
        return next(self._ids)


OMIT = object()  # an override that leaves a visible field empty


def fill(key, overrides, now):
    """What a user submits: every visible field, from overrides, defaults or plausible values."""
    form = load_form(key)
    ids = {f["id"] for f in form["fields"]}
    assert set(overrides) <= ids, f"{key} has no fields {set(overrides) - ids}"
    plausible = {
        "text": "测试", "textarea": "情况说明", "integer": 3, "number": 12000.0, "boolean": False,
        "date": now.date().isoformat(), "datetime": (now + timedelta(days=20)).isoformat(), "unit": "market",
        "credit_code": "91350582MA31U8YK8Q", "phone": "13800000000", "file": ["att-1"],
    }
    values = {}
    for field in form["fields"]:
        if field["id"] in overrides:
            values[field["id"]] = overrides[field["id"]]
        elif "default" in field:
            values[field["id"]] = field["default"]
        elif field["type"] == "enum":
            values[field["id"]] = field["options"][0]["value"]
        elif field["type"] == "multienum":
            values[field["id"]] = [field["options"][0]["value"]]
        else:
            values[field["id"]] = plausible[field["type"]]
    submitted = {}
    for field in form["fields"]:
        visible = "visible_if" not in field or sandbox.evaluate(field["visible_if"], dict(values))
        if field["id"] in overrides:
            assert visible, f"{key}.{field['id']} is hidden with these values"
        if visible and values[field["id"]] is not OMIT:
            submitted[field["id"]] = values[field["id"]]
    return submitted


class Timer:
    """A scenario step: move the clock past the named timer event and let it fire."""

    def __init__(self, element_id):
        self.element_id = element_id


class Message:
    """A scenario step: another system sends the named message with these variables."""

    def __init__(self, name, variables):
        self.name, self.variables = name, variables


class External:
    """A scenario step: the worker of the (started) external task completes it with these variables."""

    def __init__(self, element_id, variables):
        self.element_id, self.variables = element_id, variables


class Walk:
    def __init__(self, process_id, clock, start_data):
        definition = parsed(process_id)
        self.clock = clock
        self.calendar = WorkCalendar()
        self.services = FakeServices()
        self.engine = DubanScriptEngine(self.services.functions(self.calendar))
        self.workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=self.engine)
        self.seen = {}      # spiff task id -> (element id, groups, due)
        self.tasks = []     # the same, in order of creation
        data = {"initiator": "li.officer", **start_data}
        self.workflow.task_tree.data.update(data)
        for task in self.workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        self._steps()

    def _steps(self):
        self.workflow.do_engine_steps()
        for task in self.workflow.get_tasks(state=TaskState.READY):
            human = (getattr(task.task_spec, "extensions", None) or {}).get("human")
            if human is not None and task.id not in self.seen:
                self.seen[task.id] = self._project(task, human)
                self.tasks.append(self.seen[task.id])

    def _project(self, task, human):
        """What the engine's task projection would compute; it must work."""
        evaluate = lambda text: self.engine.evaluate(task, text)  # noqa: E731
        groups = [evaluate(g) if juel.is_juel(g) else g for g in human["candidate_groups"]]
        for group in groups:
            assert group in UNITS | ROLES, f"{task.task_spec.bpmn_id}: candidate group {group!r}"
        due = deadlines.resolve_due_at(human["due_date"], self.clock.now(), evaluate, self.calendar)
        assert isinstance(due, datetime), f"{task.task_spec.bpmn_id}: due date {human['due_date']!r}"
        return (task.task_spec.bpmn_id, groups, due)

    def ready_user_tasks(self):
        return [t for t in self.workflow.get_tasks(state=TaskState.READY) if t.id in self.seen]

    def complete(self, element_id, overrides):
        ready = [t for t in self.ready_user_tasks() if t.task_spec.bpmn_id == element_id]
        assert ready, f"{element_id} is not ready; ready: {[t.task_spec.bpmn_id for t in self.ready_user_tasks()]}"
        task = ready[0]
        key = task.task_spec.extensions["human"]["form_key"]
        values = fill(key, overrides, self.clock.now())
        if validate_submission is not None:
            values = validate_submission(load_form(key), values, "en", unit_codes=UNITS)
        task.data.update(values)
        task.run()
        self._steps()

    def fire(self, element_id):
        waiting = [t for t in self.workflow.get_tasks(state=TaskState.WAITING) if t.task_spec.bpmn_id == element_id]
        assert waiting, f"timer {element_id} is not waiting"
        task = waiting[0]
        self.workflow.refresh_timers()
        due = task.task_spec.event_definition.details(task).value
        assert due, f"timer {element_id} has no due time"
        due = datetime.fromisoformat(due)
        assert due > self.clock.now(), f"timer {element_id} was already due"
        self.clock.set(due + timedelta(minutes=1))
        self.workflow.refresh_timers()
        self._steps()
        assert task.state == TaskState.COMPLETED, f"timer {element_id} did not fire"

    def deliver(self, name, variables):
        waiting = [t for t in self.workflow.get_tasks(state=TaskState.WAITING)
                   if getattr(t.task_spec, "event_definition", None) == MessageEventDefinition(name)]
        assert len(waiting) == 1, f"{len(waiting)} tasks wait for message {name}"
        self.workflow.catch(BpmnEvent(MessageEventDefinition(name), payload=dict(variables)))
        self._steps()
        assert waiting[0].state == TaskState.COMPLETED, f"message {name} was not caught"

    def complete_external(self, element_id, variables):
        started = [t for t in self.workflow.get_tasks(state=TaskState.STARTED) if t.task_spec.bpmn_id == element_id]
        assert started, f"external task {element_id} is not waiting for its worker"
        assert started[0].task_spec.external["topic"], element_id
        started[0].data.update(variables)
        started[0].complete()
        self._steps()

    def run(self, steps):
        for step in steps:
            if isinstance(step, Timer):
                self.fire(step.element_id)
            elif isinstance(step, Message):
                self.deliver(step.name, step.variables)
            elif isinstance(step, External):
                self.complete_external(step.element_id, step.variables)
            else:
                element_id, overrides = step
                self.complete(element_id, overrides)
        return self

    def completed_elements(self):
        return {t.task_spec.bpmn_id for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.bpmn_id}

    def taken_flows(self):
        """(source, target) of each step from a completed BPMN element to the next one."""
        pairs = set()
        for task in self.workflow.get_tasks(state=TaskState.COMPLETED):
            if not task.task_spec.bpmn_id:
                continue
            parent = task.parent
            while parent is not None and not parent.task_spec.bpmn_id:
                parent = parent.parent
            if parent is not None:
                pairs.add((parent.task_spec.bpmn_id, task.task_spec.bpmn_id))
        return pairs

    def due_of(self, element_id, nth=0):
        return [due for eid, _groups, due in self.tasks if eid == element_id][nth]

    def groups_of(self, element_id):
        return [groups for eid, groups, _due in self.tasks if eid == element_id]


def statuses(walk, name, position=1):
    return [args[position] if len(args) > position else kwargs.get("status")
            for args, kwargs in walk.services.named(name)]


# -- lead_handling

def lead_plain(walk):
    assert walk.workflow.is_completed() and "end_closed" in walk.completed_elements()
    assert [k["status"] for _a, k in walk.services.named("update_lead")] == [
        "dispatched", "verifying", "feedback", "reviewing", "closed"]
    dispatched = walk.services.named("update_lead")[0][1]
    assert dispatched["responsible_unit"] == "market" and dispatched["major"] is False
    # 15 working days from Monday 2 March 2026 09:00 Beijing time, to the end of the day (18:00 Beijing)
    assert dispatched["feedback_deadline"] == "2026-03-23T10:00:00+00:00"
    assert walk.due_of("verify_lead").isoformat() == dispatched["feedback_deadline"]
    assert walk.groups_of("verify_lead") == [["market"]]
    assert walk.services.named("start_supervision") == []
    # the measures chosen at 查办反馈 go to the disposal records in the same step
    [(args, kwargs)] = walk.services.named("record_feedback_measures")
    assert args == (9, ["warning_interview", "order_rectify"]) and kwargs["note"]
    # the report worker's answer goes on the case
    assert walk.services.named("record_completion_report") == [((9, True), {})]


def lead_not_dispatched(walk):
    assert walk.workflow.is_completed() and "end_not_dispatched" in walk.completed_elements()
    assert walk.services.named("update_lead") == [((9,), {"status": "closed"})]


def lead_major_returned_overdue_sent_back(walk):
    assert walk.workflow.is_completed() and "end_closed" in walk.completed_elements()
    assert walk.groups_of("accept_lead") == [["civil_affairs"], ["market"]]
    supervisions = walk.services.named("start_supervision")
    assert [(a[0], a[1], a[2], a[4]) for a, _k in supervisions] == [
        ("lead", 9, "market", "ordinary"), ("lead", 9, "market", "red")]
    assert "重大线索" in supervisions[0][0][3] and "逾期" in supervisions[1][0][3]
    sent_back = [k for _a, k in walk.services.named("update_lead") if "feedback_deadline" in k][-1]
    assert sent_back["status"] == "verifying"
    assert walk.due_of("verify_lead", 1).isoformat() == sent_back["feedback_deadline"]
    assert walk.due_of("verify_lead", 1) > walk.due_of("verify_lead", 0)
    # each feedback hands its measures over (the service replaces the earlier feedback's)
    assert len(walk.services.named("record_feedback_measures")) == 2
    # no platform configured: the worker recorded the report without sending it
    assert walk.services.named("record_completion_report") == [((9, False), {})]


TRIAGE = {"triage_decision": "dispatch", "responsible_unit": "market", "major": False}

# -- risk_disposal

def risk_no_problem(walk):
    assert walk.workflow.is_completed() and "end_no_problem" in walk.completed_elements()
    [(args, _k)] = walk.services.named("record_risk_grade")
    assert args == (5, "green", 0, 0.0, "low", "none")
    assert walk.services.named("record_disposal") == []


def risk_budding_then_clear_problem(walk):
    assert walk.workflow.is_completed() and "end_clear_problem" in walk.completed_elements()
    assert [a[1] for a, _k in walk.services.named("record_risk_grade")] == ["yellow", "orange"]
    assert statuses(walk, "record_disposal") == [
        "risk_warning", "warning_interview", "suspension", "order_rectify", "urge_refunds"]
    assert {a[2] for a, _k in walk.services.named("record_disposal")} == {"market"}
    [(args, kwargs)] = walk.services.named("open_rectification")
    assert args[0] == 5 and args[2] == "market" and kwargs == {"person": "张三", "lead_id": 7}
    [task] = [t for t in walk.workflow.get_tasks(state=TaskState.COMPLETED)
              if t.task_spec.bpmn_id == "open_rectification_item"]
    assert task.data["rectification_item_id"] == 100  # the new item's id is kept


def risk_budding_only(walk):
    assert walk.workflow.is_completed() and "end_budding" in walk.completed_elements()
    assert statuses(walk, "record_disposal") == ["risk_warning"]
    assert walk.groups_of("warn_risk") == [["office"]]  # no responsible_unit at start: the office


def risk_clear_problem_interview_only(walk):
    assert walk.workflow.is_completed() and "end_clear_problem" in walk.completed_elements()
    assert statuses(walk, "record_disposal") == ["warning_interview"]
    assert walk.services.named("open_rectification") == []


def risk_other_department(walk):
    assert walk.workflow.is_completed() and "end_transferred" in walk.completed_elements()
    assert walk.groups_of("department_acknowledge") == [["health"], ["civil_affairs"]]
    [(args, kwargs)] = walk.services.named("record_disposal")
    assert args[1] == "transfer_department" and "civil_affairs" in kwargs["note"]


def risk_suspected_crime(walk):
    assert walk.workflow.is_completed() and "end_police" in walk.completed_elements()
    assert walk.groups_of("police_acceptance") == [["police"], ["police"]]
    disposals = walk.services.named("record_disposal")
    assert [a[1] for a, _k in disposals] == ["transfer_police", "transfer_police"]
    assert all(k["lead_id"] == 7 for _a, k in disposals)
    # the police system's receipts: at once the first time; the second time after a chase, while chasing again
    assert walk.groups_of("chase_police_receipt") == [["office"], ["office"]]
    # five working days after Monday 2 March (the transfer), at the close of the day
    assert walk.due_of("chase_police_receipt", 0) > datetime(2026, 3, 9, 10, 0, tzinfo=timezone.utc)
    receipts = walk.services.named("record_police_receipt")
    assert [(a[0], k["paper"], k["lead_id"]) for a, k in receipts] == [
        ("晋公（新）受字〔2026〕11号", False, 7), ("晋公（新）受字〔2026〕12号", False, 7)]
    assert "受案回执 晋公（新）受字〔2026〕12号" in disposals[1][1]["note"]
    cancelled = [t for t in walk.workflow.get_tasks(state=TaskState.CANCELLED)
                 if t.task_spec.bpmn_id == "chase_police_receipt"]
    assert len(cancelled) == 1, "the receipt that came while chasing closes the chase"


def risk_suspected_crime_paper_receipt(walk):
    assert walk.workflow.is_completed() and "end_police" in walk.completed_elements()
    [(args, kwargs)] = walk.services.named("record_police_receipt")
    assert args == ("纸质回执001", "晋江市公安局新塘派出所", "2026-03-10") and kwargs["paper"] is True


# -- rectification

def rectification_plain(walk):
    assert walk.workflow.is_completed() and "end_closed" in walk.completed_elements()
    assert statuses(walk, "update_rectification") == ["submitted", "accepted", "closed"]
    assert walk.services.named("update_rectification")[-1][1]["lookback_result"].startswith("整改成果巩固")
    assert walk.due_of("submit_rectification").isoformat() == "2026-03-31T01:00:00+00:00"
    assert walk.groups_of("submit_rectification") == [["health"]]


def rectification_overdue_sent_back_relapsed(walk):
    assert walk.workflow.is_completed() and "end_closed" in walk.completed_elements()
    assert statuses(walk, "update_rectification") == [
        "overdue", "submitted", "sent_back", "submitted", "accepted", "reopened", "submitted", "accepted",
        "closed"]
    assert walk.due_of("submit_rectification", 1).isoformat() == "2026-04-30T01:00:00+00:00"
    # reopened without a new deadline: 15 working days from the look-back
    assert walk.due_of("submit_rectification", 2) > walk.due_of("submit_rectification", 1)


# -- supervision

def supervision_resolved(walk):
    assert walk.workflow.is_completed() and "end_resolved" in walk.completed_elements()
    assert walk.groups_of("report_progress") == [["civil_affairs"]]
    assert walk.services.named("update_supervision") == [((11,), {"status": "closed"})]


def supervision_periodic(walk):
    assert walk.workflow.is_completed() and "end_resolved" in walk.completed_elements()
    assert len(walk.groups_of("report_progress")) == 3


def supervision_full_ladder(walk):
    assert walk.workflow.is_completed() and "end_resolved" in walk.completed_elements()
    done = walk.completed_elements()
    assert {"send_reminder", "issue_notice", "interview_unit_head", "order_rectification",
            "decide_accountability"} <= done
    assert walk.groups_of("interview_unit_head") == [["office_leader"]]
    assert walk.due_of("report_progress", 4).isoformat() == "2026-05-29T01:00:00+00:00"  # the rectify deadline
    [(args, kwargs)] = walk.services.named("open_accountability")
    assert args == ("civil_affairs", "未按期整改") and kwargs == {"target_kind": "supervision", "target_id": 11}
    assert [k for _a, k in walk.services.named("update_supervision")] == [
        {"stage": "reminder"}, {"stage": "notice", "level": "yellow"}, {"stage": "interview", "level": "red"},
        {"stage": "deadline_rectify"}, {"stage": "accountability"}, {"status": "closed"}]


def supervision_missed_report(walk):
    assert walk.workflow.is_completed() and "end_resolved" in walk.completed_elements()
    assert "note_missing_report" in walk.completed_elements()
    cancelled = [t for t in walk.workflow.get_tasks(state=TaskState.CANCELLED)
                 if t.task_spec.bpmn_id == "report_progress"]
    assert cancelled, "the overdue report task is withdrawn"


def supervision_from_the_engine_ladder(walk):
    """The engine's escalation ladder starts supervision for a late task: no case, maybe no unit."""
    assert walk.workflow.is_completed() and "end_resolved" in walk.completed_elements()
    assert walk.groups_of("report_progress") == [["office"]] * 6
    assert walk.services.named("update_supervision") == []
    [(args, kwargs)] = walk.services.named("open_accountability")
    assert args == ("office", "逾期未办结") and kwargs == {"target_kind": None, "target_id": None}


def _report():
    return ("report_progress", {})


def _review(decision):
    return ("review_progress", {"review_decision": decision})


SCENARIOS = {
    "lead_handling": {
        "dispatched_verified_closed": (
            {"lead_id": 9}, [
                ("triage_lead", TRIAGE),
                ("accept_lead", {}),
                ("verify_lead", {"result": "substantiated", "people_involved": 12, "amount_involved": 350000.0}),
                ("feedback_lead", {"handling": ["warning_interview", "order_rectify"]}),
                ("review_feedback", {"review_decision": "accept"}),
                External("report_completion", {"report_sent": True, "completion_report": "线索编号：…"}),
            ], lead_plain),
        "duplicate_not_dispatched": (
            {"lead_id": 9}, [("triage_lead", {"triage_decision": "duplicate"})], lead_not_dispatched),
        "major_returned_overdue_sent_back": (
            {"lead_id": 9}, [
                ("triage_lead", {**TRIAGE, "responsible_unit": "civil_affairs", "major": True,
                                 "major_reason": "涉及老人众多"}),
                ("accept_lead", {"accept_decision": "return", "return_reason": "属市场监管职责"}),
                ("triage_lead", {**TRIAGE, "major": True, "major_reason": "涉及老人众多"}),
                ("accept_lead", {}),
                Timer("verify_overdue"),
                ("verify_lead", {"result": "partly"}),
                ("feedback_lead", {}),
                ("review_feedback", {"review_decision": "send_back", "extra_workdays": 5}),
                ("verify_lead", {"result": "substantiated"}),
                ("feedback_lead", {}),
                ("review_feedback", {"review_decision": "accept"}),
                External("report_completion", {"report_sent": False}),
            ], lead_major_returned_overdue_sent_back),
    },
    "risk_disposal": {
        "no_problem": (
            {"subject_id": 5, "responsible_unit": "civil_affairs"}, [
                ("assess_risk", {"grade": "green", "finding": "no_problem", "people_involved": 0,
                                 "money_at_risk": 0.0, "opinion_heat": "low", "stability_risk": "none"}),
            ], risk_no_problem),
        "budding_spot_check_then_all_measures": (
            {"subject_id": 5, "lead_id": 7, "responsible_unit": "market"}, [
                ("assess_risk", {"grade": "yellow", "finding": "budding"}),
                ("warn_risk", {"spot_check_after": "P14D"}),
                Timer("wait_spot_check"),
                ("spot_check", {"problem_found": True}),
                ("assess_risk", {"grade": "orange", "finding": "clear_problem"}),
                ("warning_interview", {"principal": "王某"}),
                ("decide_measures", {"suspend_business": True, "order_rectify": True, "urge_refunds": True}),
                ("suspend_business", {}),
                ("issue_rectification_order", {"rectify_person": "张三"}),
                ("urge_refunds", {"amount_due": 80000.0, "amount_refunded": 50000.0, "people_refunded": 20}),
            ], risk_budding_then_clear_problem),
        "budding_only": (
            {"subject_id": 5}, [
                ("assess_risk", {"grade": "yellow", "finding": "budding"}),
                ("warn_risk", {}),
                Timer("wait_spot_check"),
                ("spot_check", {"problem_found": False}),
            ], risk_budding_only),
        "clear_problem_interview_only": (
            {"subject_id": 5, "responsible_unit": "health"}, [
                ("assess_risk", {"grade": "yellow", "finding": "clear_problem"}),
                ("warning_interview", {}),
                ("decide_measures", {}),
            ], risk_clear_problem_interview_only),
        "other_department_rejected_then_accepted": (
            {"subject_id": 5, "responsible_unit": "market"}, [
                ("assess_risk", {"grade": "yellow", "finding": "other_department"}),
                ("transfer_to_department", {"target_department": "health"}),
                ("department_acknowledge", {"ack_decision": "reject"}),
                ("transfer_to_department", {"target_department": "civil_affairs"}),
                ("department_acknowledge", {"ack_decision": "accept"}),
            ], risk_other_department),
        "suspected_crime_not_filed_then_filed": (
            {"subject_id": 5, "lead_id": 7, "responsible_unit": "market"}, [
                ("assess_risk", {"grade": "red", "finding": "suspected_crime"}),
                ("fix_evidence", {}),
                ("transfer_to_police", {}),
                Message("police_acceptance", {"receipt_no": "晋公（新）受字〔2026〕11号",
                                              "accepting_unit": "晋江市公安局新塘派出所", "accepted_on": "2026-03-03"}),
                ("police_acceptance", {"police_decision": "not_filed"}),
                ("assess_risk", {"grade": "red", "finding": "suspected_crime"}),
                ("fix_evidence", {}),
                ("transfer_to_police", {}),
                Timer("police_receipt_overdue"),
                ("chase_police_receipt", {"chase_decision": "chased"}),
                Timer("police_receipt_overdue"),
                Message("police_acceptance", {"receipt_no": "晋公（新）受字〔2026〕12号",
                                              "accepting_unit": "晋江市公安局新塘派出所"}),
                ("police_acceptance", {"police_decision": "filed", "case_no": "A2026-001"}),
            ], risk_suspected_crime),
        "suspected_crime_paper_receipt": (
            {"subject_id": 5, "responsible_unit": "market"}, [
                ("assess_risk", {"grade": "red", "finding": "suspected_crime"}),
                ("fix_evidence", {}),
                ("transfer_to_police", {}),
                Timer("police_receipt_overdue"),
                ("chase_police_receipt", {"chase_decision": "paper_receipt", "receipt_no": "纸质回执001",
                                          "accepting_unit": "晋江市公安局新塘派出所", "accepted_on": "2026-03-10"}),
                ("police_acceptance", {"police_decision": "under_review"}),
            ], risk_suspected_crime_paper_receipt),
    },
    "rectification": {
        "accepted_and_stayed_fixed": (
            {"item_id": 3, "responsible_unit": "health", "deadline": "2026-03-31T09:00:00+08:00"}, [
                ("submit_rectification", {}),
                ("accept_rectification", {"acceptance_decision": "accept"}),
                Timer("wait_lookback"),
                ("lookback_inspection", {"lookback_result": "stayed_fixed"}),
            ], rectification_plain),
        "overdue_sent_back_relapsed": (
            {"item_id": 3, "responsible_unit": "health", "deadline": "2026-03-31T09:00:00+08:00",
             "lookback_after": "P60D"}, [
                Timer("rectification_overdue"),
                ("submit_rectification", {"completion": "partly"}),
                ("accept_rectification", {"acceptance_decision": "send_back",
                                          "new_deadline": "2026-04-30T09:00:00+08:00"}),
                ("submit_rectification", {}),
                ("accept_rectification", {"acceptance_decision": "accept", "lookback_after": "P15D"}),
                Timer("wait_lookback"),
                ("lookback_inspection", {"lookback_result": "relapsed", "new_deadline": OMIT}),
                ("submit_rectification", {}),
                ("accept_rectification", {"acceptance_decision": "accept"}),
                Timer("wait_lookback"),
                ("lookback_inspection", {"lookback_result": "stayed_fixed"}),
            ], rectification_overdue_sent_back_relapsed),
    },
    "supervision": {
        "resolved_at_first_report": (
            {"case_id": 11, "kind": "lead", "target_id": 9, "lead_id": 9, "unit": "civil_affairs",
             "responsible_unit": "civil_affairs", "reason": "重大线索督办盯办", "level": "ordinary"},
            [_report(), _review("resolved")], supervision_resolved),
        "periodic_reports": (
            {"kind": "lead", "target_id": 9, "unit": "market", "reason": "重大线索督办盯办", "level": "yellow"},
            [_report(), _review("continue"), Timer("wait_next_report"), _report(), _review("continue"),
             Timer("wait_next_report"), _report(), _review("resolved")], supervision_periodic),
        "full_escalation_ladder": (
            {"case_id": 11, "kind": "unit", "target_id": None, "unit": "civil_affairs", "reason": "推进不力"}, [
                _report(), _review("escalate"), ("send_reminder", {}),
                _report(), _review("escalate"), ("issue_notice", {}),
                _report(), _review("escalate"), ("interview_unit_head", {}),
                _report(), _review("escalate"),
                ("order_rectification", {"rectify_deadline": "2026-05-29T09:00:00+08:00"}),
                _report(), _review("escalate"), ("decide_accountability", {"accountability_facts": "未按期整改"}),
                _report(), _review("resolved"),
            ], supervision_full_ladder),
        "missed_report_escalates": (
            {"kind": "rectification", "target_id": 3, "unit": "health", "reason": "整改逾期", "level": "red"},
            [Timer("report_overdue"), ("send_reminder", {}), _report(), _review("resolved")],
            supervision_missed_report),
        "started_by_the_engine_ladder": (
            {"kind": "task", "target_id": 77, "unit": None, "level": "red", "reason": "任务逾期未办结"}, [
                _report(), _review("escalate"), ("send_reminder", {}),
                _report(), _review("escalate"), ("issue_notice", {}),
                _report(), _review("escalate"), ("interview_unit_head", {}),
                _report(), _review("escalate"), ("order_rectification", {}),
                _report(), _review("escalate"), ("decide_accountability", {"accountability_facts": "逾期未办结"}),
                _report(), _review("resolved"),
            ], supervision_from_the_engine_ladder),
    },
}


def run_scenario(process_id, name, clock):
    start_data, steps, _check = SCENARIOS[process_id][name]
    return Walk(process_id, clock, start_data).run(steps)


@pytest.mark.parametrize("process_id,name", [(p, n) for p, scenarios in SCENARIOS.items() for n in scenarios])
def test_scenario(process_id, name, clock):
    walk = run_scenario(process_id, name, clock)
    SCENARIOS[process_id][name][2](walk)


@pytest.mark.parametrize("process_id", PROCESS_IDS)
def test_scenarios_visit_every_element_and_take_every_flow(process_id, clock):
    visited, taken = set(), set()
    start = clock.now()
    for name in SCENARIOS[process_id]:
        clock.set(start)
        walk = run_scenario(process_id, name, clock)
        assert walk.workflow.is_completed(), f"{name} did not reach an end"
        visited |= walk.completed_elements()
        taken |= walk.taken_flows()
    nodes = {n.get("id") for n in flow_nodes(process_id)}
    assert nodes - visited == set(), "never visited"
    flows = {(f.get("sourceRef"), f.get("targetRef")) for f in sequence_flows(process_id)}
    assert flows - taken == set(), "never taken"


def test_working_day_timers_and_due_dates_resolve(clock):
    """P…WD literals in due dates resolve on the working-day calendar (e.g. triage: 2 working days)."""
    walk = Walk("lead_handling", clock, {"lead_id": 1})
    # Monday 2 March 2026 09:00 + 2 working days = the end of Wednesday 4 March, 18:00 Beijing time
    assert walk.due_of("triage_lead").isoformat() == "2026-03-04T10:00:00+00:00"


# ---------------------------------------------------------------- on the real engine

def _utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@pytest.fixture
def own_database(tmp_path):
    """A fresh SQLite database built by the migrations, for this module alone."""
    from engine.store.database import make_engine, make_session_factory, upgrade

    url = f"sqlite:///{tmp_path / 'processes.sqlite'}"
    upgrade(url)
    db_engine = make_engine(url)
    yield make_session_factory(db_engine)
    db_engine.dispose()


def test_a_major_lead_runs_on_the_engine_and_starts_supervision(own_database, clock):
    """Deploy all four files; a major lead's scripts start `supervision` instances through the
    engine; task rows get the right units and due times; boundary timers become timer rows and fire."""
    from sqlalchemy import select

    from engine.external_tasks import TopicRequest
    from engine.identity import Actor
    from engine.runtime import Engine
    from engine.store.models import HumanTask, ProcessInstance, Timer

    session_factory = own_database

    fakes = FakeServices()

    def services(session, actor_name, start_process):
        functions = {name: getattr(fakes, name) for name in SERVICE_FUNCTIONS - ENGINE_FUNCTIONS}

        def start_supervision(kind, target_id, unit, reason, level="ordinary"):
            fakes.start_supervision(kind, target_id, unit, reason, level)
            case_id = len(fakes.calls)  # any positive id will do
            start_process("supervision", {"case_id": case_id, "kind": kind, "target_id": target_id, "unit": unit,
                                          "reason": reason, "level": level})
            return case_id

        functions["start_supervision"] = start_supervision
        return functions

    engine = Engine(session_factory, clock=clock, services=services, node_id="processes-test")
    for process_id in PROCESS_IDS:
        engine.deploy(bpmn_bytes(process_id), f"{process_id}.bpmn")
    office = Actor("li.office", groups=frozenset({"office"}), roles=frozenset({"officer"}))
    market = Actor("wang.market", groups=frozenset({"market"}), roles=frozenset({"officer"}))

    def open_tasks():
        with session_factory() as session:
            return session.scalars(select(HumanTask).where(HumanTask.status == "open").order_by(HumanTask.id)).all()

    def complete(element_id, actor, overrides):
        [task] = [t for t in open_tasks() if t.element_id == element_id]
        engine.complete(task.id, actor, fill(task.form_key, overrides, clock.now()))

    lead = engine.start("lead_handling", {"lead_id": 9}, actor=office)
    [triage] = open_tasks()
    assert (triage.element_id, triage.candidate_groups, triage.form_key) == ("triage_lead", "office", "lead/triage")
    assert _utc(triage.due_at).isoformat() == "2026-03-04T10:00:00+00:00"
    complete("triage_lead", office, {**TRIAGE, "major": True, "major_reason": "涉及老人众多"})
    complete("accept_lead", market, {})

    tasks = {t.element_id: t for t in open_tasks()}
    assert set(tasks) == {"verify_lead", "report_progress"}
    assert tasks["verify_lead"].candidate_groups == "market"
    assert _utc(tasks["verify_lead"].due_at).isoformat() == "2026-03-23T10:00:00+00:00"
    assert tasks["report_progress"].candidate_groups == "market"
    with session_factory() as session:
        waiting = {t.element_id: _utc(t.due_at) for t in session.scalars(select(Timer).where(Timer.status == "waiting"))}
    assert waiting == {"verify_overdue": _utc(tasks["verify_lead"].due_at),
                       "report_overdue": _utc(tasks["report_progress"].due_at)}

    # Past the feedback deadline: the lead's overdue timer starts a second supervision, and the
    # first supervision's missed report escalates to a reminder for the office.
    clock.set(_utc(tasks["verify_lead"].due_at) + timedelta(hours=1))
    assert engine.fire_due_timers() == 2
    assert [a[4] for a, _k in fakes.named("start_supervision")] == ["ordinary", "red"]
    elements = sorted(t.element_id for t in open_tasks())
    assert elements == ["report_progress", "send_reminder", "verify_lead"]

    complete("verify_lead", market, {"result": "substantiated"})
    complete("feedback_lead", market, {})
    complete("review_feedback", office, {"review_decision": "accept"})
    # the closed lead waits for its report worker only: no one's task
    assert sorted(t.element_id for t in open_tasks()) == ["report_progress", "send_reminder"]
    [report] = engine.external.fetch_and_lock("report-worker", 5,
                                              [TopicRequest("report-completion", timedelta(minutes=5))])
    assert (report.row.element_id, report.variables["lead_id"]) == ("report_completion", 9)
    engine.external.complete(report.row.id, "report-worker", office, {"report_sent": True})
    assert fakes.named("record_completion_report") == [((9, True), {})]
    with session_factory() as session:
        assert session.get(ProcessInstance, lead).status == "completed"
        supervisions = session.scalars(select(ProcessInstance).where(ProcessInstance.process_id == "supervision")).all()
    assert [s.status for s in supervisions] == ["running", "running"]
    assert [k["status"] for _a, k in fakes.named("update_lead")] == [
        "dispatched", "verifying", "feedback", "reviewing", "closed"]
