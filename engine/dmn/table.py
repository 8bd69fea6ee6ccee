"""A decision table compiled once and evaluated many times, with the hit policies Camunda 7 and DMN 1.3
define (UNIQUE, FIRST, PRIORITY, ANY, COLLECT with SUM/MIN/MAX/COUNT, RULE ORDER, OUTPUT ORDER).

Input entries are engine.dmn.feel's unary tests, compiled at deploy; an input expression that is a
variable's name (or a dotted path) is read directly, anything else is an expression evaluated in the
script sandbox like a gateway's condition. Evaluation never runs uploaded code outside that sandbox.
"""
import re
from dataclasses import dataclass, field

from engine.bpmn import isolation, juel
from engine.dmn import feel
from engine.errors import DubanError

HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
_PATH = re.compile(r"^\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*$")
_SHOWN_INPUT = 60  # characters of each input value an error message shows


class DecisionFailed(DubanError):
    """The table cannot give a result for these inputs (UNIQUE with no or several matches, ANY with
    differing outputs) or an input expression failed."""


@dataclass
class Column:
    id: str
    label: str
    name: str           # input: its expression text; output: the result's key
    type_ref: str | None = None


@dataclass
class InputColumn(Column):
    read: object = None  # callable(context) -> value


@dataclass
class OutputColumn(Column):
    priorities: tuple = ()  # allowed output values, highest priority first (PRIORITY, OUTPUT ORDER)


@dataclass
class Rule:
    id: str
    row: int  # 1-based, as the editor numbers them
    description: str
    tests: tuple  # one feel.UnaryTest (or None for '-') per input
    outputs: dict  # output name -> value


@dataclass
class MatchedRule:
    rule_id: str
    row: int
    description: str
    outputs: dict

    def as_dict(self) -> dict:
        return {"rule_id": self.rule_id, "row": self.row, "description": self.description,
                "outputs": self.outputs}


@dataclass
class DecisionOutcome:
    """What a table gave: `results` (one dict per result, output name -> value, after the hit policy
    and any aggregation) and the rules that matched, in table order; `inputs` by column label."""
    results: list
    matched: list
    inputs: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"results": self.results, "matched": [m.as_dict() for m in self.matched], "inputs": self.inputs}


@dataclass
class CompiledDecision:
    key: str
    name: str
    hit_policy: str
    aggregation: str | None
    inputs: list
    outputs: list
    rules: list
    # Decisions of the same file this one requires (a DRD's information requirements): evaluated first,
    # their outputs given to this one as variables, as Camunda does.
    required: list = field(default_factory=list)

    @property
    def policy_label(self) -> str:
        return f"{self.hit_policy} {self.aggregation}" if self.aggregation else self.hit_policy

    def evaluate(self, variables: dict) -> DecisionOutcome:
        """Evaluate against `variables` (a case's data); raises DecisionFailed."""
        if self.required:
            variables = {**variables, **self._required_outputs(variables)}
        values = [feel.coerce_input(self._read(column, variables), column.type_ref) for column in self.inputs]
        matched = []
        for rule in self.rules:
            for test, value in zip(rule.tests, values):
                if test is not None and not test(value, variables):
                    break
            else:
                matched.append(rule)
                if self.hit_policy == "FIRST":
                    break
        shown = {column.label or column.name: value for column, value in zip(self.inputs, values)}
        results = self._apply_policy(matched, shown)
        return DecisionOutcome(results, [MatchedRule(r.id, r.row, r.description, dict(r.outputs)) for r in matched],
                               shown)

    def _required_outputs(self, variables: dict) -> dict:
        """Each required decision's outputs by name: the value of its one result, a list of values for
        several results, null for none."""
        values = {}
        for decision in self.required:
            results = decision.evaluate(variables).results
            for column in decision.outputs:
                found = [result.get(column.name) for result in results]
                values[column.name] = found[0] if len(found) == 1 else (found or None)
        return values

    def _read(self, column: InputColumn, variables: dict):
        try:
            return column.read(variables)
        except DubanError as err:
            raise self._fail(f"input {column.label or column.name!r} failed: {err}", {}) from err
        except Exception as err:  # noqa: BLE001 - the sandbox's NameError, TypeError...: the case's data
            raise self._fail(f"input {column.label or column.name!r} failed: {type(err).__name__}: {err}", {}) from err

    def _fail(self, what: str, inputs: dict) -> DecisionFailed:
        shown = ", ".join(f"{name} = {_short(value)}" for name, value in inputs.items())
        return DecisionFailed("decision {decision} ({policy}): {what}; inputs: {inputs}",
                              decision=self.key, policy=self.policy_label, what=what, inputs=shown or "none")

    def _apply_policy(self, matched: list, inputs: dict) -> list:
        policy = self.hit_policy
        if policy == "UNIQUE":
            if len(matched) != 1:
                rows = ", ".join(str(rule.row) for rule in matched)
                raise self._fail("no rule matches" if not matched else f"rules {rows} all match; UNIQUE allows one",
                                 inputs)
            return [dict(matched[0].outputs)]
        if policy == "ANY":
            if any(rule.outputs != matched[0].outputs for rule in matched[1:]):
                rows = ", ".join(str(rule.row) for rule in matched)
                raise self._fail(f"rules {rows} match with different outputs; ANY needs them equal", inputs)
            return [dict(matched[0].outputs)] if matched else []
        if policy in ("PRIORITY", "OUTPUT ORDER"):
            ordered = sorted(matched, key=self._priority)  # stable: equal priorities keep rule order
            ordered = ordered[:1] if policy == "PRIORITY" else ordered
            return [dict(rule.outputs) for rule in ordered]
        if policy == "COLLECT" and self.aggregation:
            return self._aggregate(matched)
        return [dict(rule.outputs) for rule in matched]  # FIRST (one at most), RULE ORDER, COLLECT

    def _priority(self, rule: Rule) -> tuple:
        key = []
        for column in self.outputs:
            value = rule.outputs.get(column.name)
            key.append(column.priorities.index(value) if value in column.priorities else len(column.priorities))
        return tuple(key)

    def _aggregate(self, matched: list) -> list:
        name = self.outputs[0].name
        values = [rule.outputs.get(name) for rule in matched if rule.outputs.get(name) is not None]
        if self.aggregation == "COUNT":
            return [{name: len(values)}]
        if not values:
            return []
        if self.aggregation == "SUM":
            return [{name: sum(values)}]
        return [{name: (min if self.aggregation == "MIN" else max)(values)}]


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_INPUT else text[:_SHOWN_INPUT - 1] + "…"


def is_path(text: str | None) -> bool:
    """Whether an input expression is a variable's name or a dotted path into one."""
    return bool(_PATH.match(text or ""))


def input_reader(expression: str | None):
    """How an input column reads its value from the case's data: a name or dotted path directly (a
    missing name reads as null, as FEEL does); any other expression through the sandbox."""
    text = (expression or "").strip()
    path = _PATH.match(text)
    if path:
        parts = path[1].split(".")
        return lambda context: _lookup(context, parts)
    python = juel.to_python(text) if juel.is_juel(text) else text
    return lambda context: isolation.evaluate(python, dict(context))


def _lookup(context, parts):
    value = context
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
