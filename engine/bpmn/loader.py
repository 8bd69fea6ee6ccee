"""From uploaded bytes to a parsed, checked process spec — or one error listing every problem.

Checks, in order: size, XML well-formed (no DTD, so no XXE and no entity
bombs), BPMN XSD, SpiffWorkflow parse, and every script and expression
(engine.bpmn.checks: the sandbox rules, constant values and their bounds), so a
forbidden script or an impossible due date is refused at deploy, not at run time.
Both deploy paths (the API's engine.deploy and the administrators' lint, then
deploy) go through here.
"""
import re
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.bpmn import checks, script_parser
from engine.bpmn.parser import DubanParser
from engine.errors import BpmnValidationError, Problem

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


_CAMUNDA_COLLECTION = "{http://camunda.org/schema/1.0/bpmn}collection"
_NAME_IN_EXPRESSION = re.compile(r"^\s*[$#]\{\s*([A-Za-z_]\w*)\s*\}\s*$")


def _unwrap_collection_names(root) -> None:
    """`camunda:collection="${units}"` (as Camunda Modeler users write it) names the variable `units`:
    SpiffWorkflow reads the collection as a variable's name. (The stored source keeps what was written.)"""
    for node in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}multiInstanceLoopCharacteristics"):
        match = _NAME_IN_EXPRESSION.match(node.get(_CAMUNDA_COLLECTION) or "")
        if match:
            node.set(_CAMUNDA_COLLECTION, match[1])


def load_definitions(data: bytes, filename: str = "process.bpmn") -> list[ParsedDefinition]:
    """Parse and check one BPMN file; return each of its executable processes, in file order."""
    root = parse_xml(data, filename)
    try:
        _xsd_validator().validate(root, filename)
    except ValidationException as err:
        raise BpmnValidationError([_validation_problem(err, filename)]) from None
    parser = DubanParser()
    parsed = []
    try:
        _unwrap_collection_names(root)
        parser.add_bpmn_xml(root, filename)
        process_ids = parser.get_process_ids()
        if not process_ids:
            raise BpmnValidationError([Problem("no executable process (isExecutable=\"true\") in file",
                                               file=filename)])
        for process_id in process_ids:
            spec = parser.get_spec(process_id)
            parsed.append(ParsedDefinition(process_id, spec.description or process_id, spec,
                                           parser.get_subprocess_specs(process_id)))
    except ValidationException as err:
        raise BpmnValidationError([_validation_problem(err, filename)]) from None
    specs = {id(s): s for p in parsed for s in (p.spec, *p.subprocess_specs.values())}  # each spec once
    problems = checks.problems(list(specs.values()), filename)
    if problems:
        raise BpmnValidationError(problems)
    for definition in parsed:
        # Camunda extensions SpiffWorkflow does not read: said at deploy, not dropped in silence.
        process = root.find(f"{{{script_parser.BPMN_NS}}}process[@id='{definition.process_id}']")
        definition.warnings = script_parser.ignored_extensions(process if process is not None else root, filename)
    return parsed


def load_definition(data: bytes, filename: str = "process.bpmn") -> ParsedDefinition:
    """The first executable process of a file (engine.runtime deploys them all)."""
    return load_definitions(data, filename)[0]
