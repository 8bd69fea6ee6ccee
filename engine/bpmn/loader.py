"""From uploaded bytes to a parsed, checked process spec — or one error listing every problem.

Checks, in order: size, XML well-formed (no DTD, so no XXE and no entity
bombs), BPMN XSD, SpiffWorkflow parse, and the sandbox rules for every script
and expression (so a forbidden script is refused at deploy, not at run time).
"""
import re
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.specs.ExclusiveChoice import ExclusiveChoice

from engine import ladder
from engine.bpmn import juel, sandbox
from engine.bpmn.parser import DubanParser
from engine.bpmn.script_engine import to_python_expression
from engine.errors import BpmnValidationError, Problem, ScriptRejected

MAX_BPMN_BYTES = 2 * 1024 * 1024
# A DOCTYPE in the prolog (after the XML declaration, comments and processing instructions).
_DOCTYPE = re.compile(rb"^(?:\xef\xbb\xbf)?\s*+(?:<\?.*?\?>\s*|<!--.*?-->\s*)*+<!DOCTYPE", re.DOTALL | re.IGNORECASE)
_DOCTYPE_REFUSED = ("DOCTYPE declarations are not allowed in BPMN files "
                    "(entity expansion and external entities are refused)")

_validator = None


def _xsd_validator():
    # Loading the XSDs takes ~100 ms; do it once per process.
    global _validator
    if _validator is None:
        _validator = BpmnValidator()
    return _validator


@dataclass
class ParsedDefinition:
    process_id: str
    name: str
    spec: object
    subprocess_specs: dict
    warnings: list[Problem] = field(default_factory=list)


def parse_xml(data: bytes, filename: str) -> etree._Element:
    if not isinstance(data, bytes):
        raise BpmnValidationError([Problem("BPMN must be given as bytes", file=filename)])
    if len(data) > MAX_BPMN_BYTES:
        raise BpmnValidationError([Problem(
            f"file is {len(data)} bytes; the limit is {MAX_BPMN_BYTES} bytes", file=filename)])
    if _DOCTYPE.match(data[:65536]):
        # Say so plainly, rather than whatever lxml finds first (it never expands or fetches them).
        raise BpmnValidationError([Problem(_DOCTYPE_REFUSED, file=filename, line=1)])
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise BpmnValidationError([Problem(f"XML is not well-formed: {err.msg}", file=filename,
                                           line=err.lineno)]) from None
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD is not None:
        raise BpmnValidationError([Problem(_DOCTYPE_REFUSED, file=filename)])
    return root


def _validation_problem(err: ValidationException, filename: str) -> Problem:
    return Problem(getattr(err, "message", None) or str(err), element_id=getattr(err, "id", None),
                   line=getattr(err, "line_number", None) or None, file=filename)


def _expressions_of(task_spec):
    """(kind, text) pairs that will run in the sandbox for this task spec."""
    if isinstance(task_spec, ScriptTask) and task_spec.script:
        yield "script", task_spec.script
    if isinstance(task_spec, ExclusiveChoice):
        for condition, _target in task_spec.cond_task_specs:
            # SpiffWorkflow wraps the condition text in an operator object.
            text = condition.args[0] if hasattr(condition, "args") else condition
            if text:
                yield "expression", text
    event_definition = getattr(task_spec, "event_definition", None)
    if isinstance(event_definition, TimerEventDefinition) and event_definition.expression:
        yield "expression", event_definition.expression
    human = (getattr(task_spec, "extensions", None) or {}).get("human") or {}
    for key in ("assignee", "due_date", "priority"):
        value = human.get(key)
        if value and juel.is_juel(value):
            yield "expression", value
    for value in human.get("candidate_groups", []) + human.get("candidate_users", []):
        if juel.is_juel(value):
            yield "expression", value


def _ladder_problems(task_spec, filename) -> list[Problem]:
    text = (getattr(task_spec, "extensions", None) or {}).get("escalation")
    if not text:
        return []
    try:
        ladder.parse(text)
    except ValueError as err:
        return [Problem(f"escalation property: {err}", element_id=task_spec.bpmn_id, file=filename)]
    return []


def _sandbox_problems(specs: list, filename: str) -> list[Problem]:
    problems = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            problems += _ladder_problems(task_spec, filename)
            for kind, text in _expressions_of(task_spec):
                try:
                    if kind == "script":
                        sandbox.compile_script(text)
                    else:
                        sandbox.compile_expression(to_python_expression(text))
                except ScriptRejected as err:
                    problems.append(Problem(f"{kind} rejected by the sandbox: {err}",
                                            element_id=getattr(task_spec, "bpmn_id", None) or task_spec.name,
                                            file=filename))
    return problems


def load_definition(data: bytes, filename: str = "process.bpmn") -> ParsedDefinition:
    """Parse and check one BPMN file; return its executable process."""
    root = parse_xml(data, filename)
    try:
        _xsd_validator().validate(root, filename)
    except ValidationException as err:
        raise BpmnValidationError([_validation_problem(err, filename)]) from None
    parser = DubanParser()
    try:
        parser.add_bpmn_xml(root, filename)
        process_ids = parser.get_process_ids()
        if not process_ids:
            raise BpmnValidationError([Problem("no executable process (isExecutable=\"true\") in file",
                                               file=filename)])
        process_id = process_ids[0]
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as err:
        raise BpmnValidationError([_validation_problem(err, filename)]) from None
    problems = _sandbox_problems([spec, *subprocess_specs.values()], filename)
    if problems:
        raise BpmnValidationError(problems)
    return ParsedDefinition(process_id, spec.description or process_id, spec, subprocess_specs)
