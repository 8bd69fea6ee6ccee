"""From uploaded DMN bytes to compiled decisions, or one error listing every problem.

The same guards as BPMN uploads (engine.bpmn.loader.parse_xml: size, no DTD, well-formed), then the
DMN schema of the file's version (1.1, 1.2, 1.3 as SpiffWorkflow ships them), SpiffWorkflow's DMN
parser (extended: several decisions per file, no Python in output cells), and each cell read as the
FEEL subset engine.dmn.feel knows. Problems name the element: a cell's entry id, or the rule's.
"""
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.dmn.specs.model import Decision, InputEntry

from engine.bpmn import juel, sandbox
from engine.bpmn.loader import parse_xml
from engine.dmn import feel
from engine.dmn.table import (
    AGGREGATIONS,
    HIT_POLICIES,
    CompiledDecision,
    InputColumn,
    OutputColumn,
    Rule,
    input_reader,
    is_path,
)
from engine.errors import BpmnValidationError, Problem, ScriptRejected

MAX_RULES = 2000
MAX_COLUMNS = 60
MAX_RULES_CHECKED_FOR_OVERLAP = 400  # the check compares every pair of rules
_validators = {}


@dataclass
class ParsedDecision:
    key: str
    name: str
    table: CompiledDecision
    warnings: list = field(default_factory=list)

    @property
    def hit_policy(self) -> str:
        return self.table.policy_label


def _validator(namespace: str) -> BpmnValidator:
    if namespace not in _validators:  # loading an XSD takes tens of ms: once per process
        _validators[namespace] = BpmnValidator(SCHEMAS[namespace])
    return _validators[namespace]


class DubanDMNParser(DMNParser):
    """SpiffWorkflow's DMN parser, for one decision element at a time; cells are kept as text (they
    are FEEL, read by engine.dmn.feel, not Python) and a rule with the wrong number of cells is
    reported rather than crashing."""

    def parse_decision(self, element) -> Decision:
        decision = Decision(element.get("id"), element.get("name", ""))
        self._parse_decision_tables(decision, element)
        return decision

    def _parse_input_output_element(self, decision_table, element, cls, idx):
        columns = decision_table.inputs if cls == InputEntry else decision_table.outputs
        if idx >= len(columns):
            raise ValidationException(f"rule has more {'input' if cls == InputEntry else 'output'} cells than "
                                      "the table has columns", node=element, file_name=self.filename)
        entry = cls(element.get("id"), columns[idx])
        for child in element:
            if child.tag.endswith("description"):
                entry.description = child.text
            elif child.tag.endswith("text"):
                entry.text = child.text
        if cls == InputEntry:
            entry.lhs.append(entry.text)
        return entry


def load_decisions(data: bytes, filename: str = "decision.dmn") -> list[ParsedDecision]:
    """Parse and check one DMN file; return each of its decisions, in file order."""
    root = parse_xml(data, filename)
    namespace = etree.QName(root).namespace
    if not root.tag.endswith("}definitions") or namespace not in SCHEMAS:
        raise BpmnValidationError([Problem("not a DMN file: expected <definitions> in the DMN 1.3 namespace "
                                           "(https://www.omg.org/spec/DMN/20191111/MODEL/)", file=filename)])
    try:
        _validator(namespace).validate(root, filename)
    except ValidationException as err:
        raise BpmnValidationError([Problem(getattr(err, "message", None) or str(err), file=filename,
                                           line=getattr(err, "line_number", None) or None)]) from None
    nsmap = {"dmn": namespace}
    parser = DubanDMNParser(None, root, nsmap, filename=filename)
    parsed, problems = [], []
    elements = root.findall("dmn:decision", nsmap)
    if not elements:
        problems.append(Problem("the file has no decision", file=filename))
    for element in elements:
        tables = element.findall("dmn:decisionTable", nsmap)
        if len(tables) != 1:
            problems.append(Problem("only decisions with one decision table run here (not literal expressions "
                                    "or other boxed expressions)", element_id=element.get("id"), file=filename,
                                    line=element.sourceline))
            continue
        try:
            decision = parser.parse_decision(element)
        except ValidationException as err:
            problems.append(Problem(getattr(err, "message", None) or str(err), element_id=getattr(err, "id", None),
                                    file=filename, line=getattr(err, "line_number", None) or None))
            continue
        compiled, found, warnings = _compile(decision, tables[0], nsmap, filename)
        problems += found
        if compiled is not None:
            parsed.append(ParsedDecision(decision.id, decision.name or decision.id, compiled, warnings))
    problems += _link_required(root, nsmap, parsed, filename)
    if problems:
        raise BpmnValidationError(problems)
    return parsed


def _link_required(root, nsmap, parsed: list, filename: str) -> list[Problem]:
    """Give each decision the decisions it requires (`informationRequirement/requiredDecision`), which
    must be in the same file and never require it back."""
    by_key = {decision.key: decision.table for decision in parsed}
    problems = []
    for element in root.findall("dmn:decision", nsmap):
        table = by_key.get(element.get("id"))
        if table is None:
            continue
        for requirement in element.findall("dmn:informationRequirement/dmn:requiredDecision", nsmap):
            key = (requirement.get("href") or "").lstrip("#")
            if key not in by_key:
                problems.append(Problem(f"requires decision {key!r}, which is not a decision table of this file",
                                        element_id=element.get("id"), file=filename, line=requirement.sourceline))
            else:
                table.required.append(by_key[key])
    for decision in parsed:
        if _requires_itself(decision.table, decision.table, set()):
            problems.append(Problem("its required decisions lead back to it (a cycle)", element_id=decision.key,
                                    file=filename))
    return problems


def _requires_itself(start, table, seen: set) -> bool:
    for required in table.required:
        if required is start:
            return True
        if id(required) not in seen:
            seen.add(id(required))
            if _requires_itself(start, required, seen):
                return True
    return False


def _compile(decision: Decision, table_element, nsmap, filename):
    table = decision.decisionTables[0]
    problems, warnings = [], []

    def problem(message, element_id, severity="error"):
        (problems if severity == "error" else warnings).append(
            Problem(message, element_id=element_id, file=filename, severity=severity))

    policy = " ".join((table_element.get("hitPolicy") or "UNIQUE").upper().replace("_", " ").split())
    aggregation = (table_element.get("aggregation") or "").upper() or None
    if policy not in HIT_POLICIES:
        problem(f"hit policy {policy!r} is not one of {', '.join(HIT_POLICIES)}", table.id)
    if aggregation and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
        problem(f"aggregation {aggregation} needs hit policy COLLECT and one of {', '.join(AGGREGATIONS)}",
                table.id)
    if aggregation and len(table.outputs) != 1:
        problem(f"COLLECT {aggregation} needs exactly one output column", table.id)
    if len(table.rules) > MAX_RULES or len(table.inputs) + len(table.outputs) > MAX_COLUMNS:
        problem(f"a table may have at most {MAX_RULES} rules and {MAX_COLUMNS} columns", table.id)
        return None, problems, warnings

    inputs, allowed_inputs = [], []
    input_elements = {el.get("id"): el for el in table_element.findall("dmn:input", nsmap)}
    for column in table.inputs:
        allowed_inputs.append(_allowed_values(input_elements[column.id], nsmap, column, problem))
        label = column.label or column.expression or column.id
        if not (column.expression or "").strip():
            problem(f'input "{label}" has no expression: name the variable it reads', column.id)
        elif not is_path(column.expression):
            try:
                text = column.expression.strip()
                sandbox.compile_expression(juel.to_python(text) if juel.is_juel(text) else text)
            except ScriptRejected as err:
                problem(f'input "{label}": its expression {column.expression.strip()!r} cannot run here ({err})',
                        column.id)
        inputs.append(InputColumn(column.id, label, (column.expression or "").strip(), column.typeRef or None,
                                  read=input_reader(column.expression)))
    known_names = {column.name.split('.')[0] for column in inputs if is_path(column.name)}

    outputs = []
    output_elements = {el.get("id"): el for el in table_element.findall("dmn:output", nsmap)}
    for column in table.outputs:
        name = column.name or column.label or column.id
        priorities = ()
        values_text = output_elements[column.id].findtext("dmn:outputValues/dmn:text", namespaces=nsmap)
        if values_text and values_text.strip():
            try:
                priorities = tuple(feel.output_value(v) for v in _split_list(values_text))
            except feel.FeelError as err:
                problem(f'output "{name}": its allowed values cannot be read: {err}', column.id)
        if policy in ("PRIORITY", "OUTPUT ORDER") and not priorities:
            problem(f'hit policy {policy} needs the allowed values of output "{name}" in priority order',
                    column.id)
        outputs.append(OutputColumn(column.id, column.label or name, name, column.typeRef or None,
                                    priorities=priorities))

    rules = []
    for rule in table.rules:
        where = f"rule {rule.row_number}"
        if len(rule.inputEntries) != len(inputs) or len(rule.outputEntries) != len(outputs):
            problem(f"{where} has {len(rule.inputEntries)} input and {len(rule.outputEntries)} output cells; "
                    f"the table has {len(inputs)} and {len(outputs)} columns", rule.id)
            continue
        tests = []
        for entry, column in zip(rule.inputEntries, inputs):
            try:
                test = feel.compile_input_entry(entry.text, column.type_ref)
            except feel.FeelError as err:
                problem(f'{where}, input "{column.label}": {err}', entry.id)
                test = None
            else:
                unknown = sorted(test.names - known_names) if test is not None else []
                allowed = allowed_inputs[len(tests)]
                if test is not None and allowed is not None and not test.names and not feel.may_overlap(test, allowed):
                    problem(f'{where}, input "{column.label}": {entry.text.strip()} never matches: the input\'s '
                            f'values are {allowed.text}', entry.id)
                if unknown:
                    problem(f'{where}, input "{column.label}": unknown input name {", ".join(unknown)} '
                            f'(the table\'s inputs: {", ".join(sorted(known_names)) or "none"})', entry.id)
            tests.append(test)
        values = {}
        for entry, column in zip(rule.outputEntries, outputs):
            try:
                values[column.name] = feel.output_value(entry.text, column.type_ref)
            except feel.FeelError as err:
                problem(f'{where}, output "{column.label}": {err}', entry.id)
        if column_problems := [v for v in values.values() if aggregation in ("SUM",) and not _is_number(v)]:
            problem(f"{where}: COLLECT SUM adds numbers, not {column_problems[0]!r}", rule.id)
        rules.append(Rule(rule.id, rule.row_number, (rule.description or "").strip(), tuple(tests), values))

    if policy == "UNIQUE" and not problems and len(rules) <= MAX_RULES_CHECKED_FOR_OVERLAP:
        for overlap in _overlaps(rules):
            problem(overlap[0], overlap[1], severity="warning")
    compiled = CompiledDecision(decision.id, decision.name or decision.id, policy, aggregation, inputs, outputs, rules)
    return (None if problems else compiled), problems, warnings


def _allowed_values(element, nsmap, column, problem):
    """An input's allowed values (`inputValues`, as dmn-js offers them) as a test, or None."""
    text = element.findtext("dmn:inputValues/dmn:text", namespaces=nsmap)
    if not (text or "").strip():
        return None
    try:
        return feel.compile_input_entry(text, column.typeRef or None)
    except feel.FeelError as err:
        problem(f'input "{column.label or column.id}": its allowed values cannot be read: {err}', column.id)
        return None


def _split_list(text: str) -> list[str]:
    """`"red","orange"` -> its items (commas inside double quotes are text)."""
    items, current, quoted, escaped = [], [], False, False
    for char in text:
        if char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
    items.append("".join(current).strip())
    return [item for item in items if item]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _overlaps(rules: list) -> list[tuple[str, str]]:
    """Pairs of rules some input could match both of (a UNIQUE table would fail on it)."""
    found = []
    for i, first in enumerate(rules):
        for second in rules[i + 1:]:
            if all(feel.may_overlap(a, b) for a, b in zip(first.tests, second.tests)):
                found.append((f"rules {first.row} and {second.row} can match the same inputs; "
                              "UNIQUE allows one match", second.id))
    return found
