"""Form fields whose value a decision table gives, changed by the officer only with a written reason.

A form field declares it in the form JSON (docs/process-conventions.md, "Forms"):

    {"id": "grade", "type": "enum", ...,
     "decision": {"ref": "risk_grading", "output": "grade",
                  "inputs": ["people_involved", "money_at_risk", "opinion_heat", "stability_risk"],
                  "override_reason": "grade_override_reason",
                  "record": {"computed": "computed_grade", "rule": "grading_rule", "table": "grading_decision"}}}

`ref` is the key of a deployed decision; its latest version is evaluated on the form's own values
named by `inputs` (all of them filled in), and gives the field's value as its output `output`.
`override_reason` names a text field of the same form: required when the value chosen differs
from the computed one, dropped when it does not. `record` names the variables the submission
carries besides the chosen value (the defaults are `computed_<id>`, `<id>_rule`, `<id>_decision`):
the computed value, the rule that matched as people read it ("规则2：涉众规模大（100人以上）：红色")
and the table with its version ("风险等级研判（红橙黄绿） v2", never the key alone). All three are
None when the table could not be applied (not deployed, or it failed): the officer then chooses by
hand and no reason is asked for.

The server always evaluates again on submission; nothing the browser says about the rule is kept.
`evaluate` is the engine's `evaluate_decision(key, variables)`, so this module needs no engine.
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from marshmallow import ValidationError

from domain.fieldspec import field_label, is_blank, option_values, schema_from_specs
from domain.labels import pick, zh_en
from domain.messages import message
from engine.dmn.table import DecisionFailed
from engine.errors import NotFound

Evaluate = Callable[[str, dict], tuple]  # (key, variables) -> (DecisionDefinition, DecisionOutcome)

COMPUTED, INCOMPLETE, UNAVAILABLE = "computed", "incomplete", "unavailable"
_OPTION_KEYS = {"ref", "output", "inputs", "override_reason", "record"}
_RECORD_ROLES = ("computed", "rule", "table")

WORDS = {
    "by_rule": zh_en("按规则评定：{value}", "Graded by rule: {value}"),
    "rule": zh_en("规则{row}", "Rule {row}"),
    "table": zh_en("决策表", "Decision table"),
    "incomplete": zh_en("填写{inputs}后，按规则评定。", "Fill in {inputs} to get the grade by rule."),
    "unavailable": zh_en("评定规则暂时无法适用，请人工评定（无需填写改判理由）。",
                         "The rule could not be applied: choose by hand (no reason needed)."),
    "computed": zh_en("按规则评定", "By rule"),
    "rule_applied": zh_en("适用规则", "Rule applied"),
    "table_used": zh_en("评定依据", "Decision table"),
}


@dataclass(frozen=True)
class Outcome:
    """What the table says about one decided field: `status` computed / incomplete / unavailable."""
    field_id: str
    status: str
    value: str | None = None
    rule: str | None = None    # "规则2：涉众规模大（100人以上）：红色"
    table: str | None = None   # "风险等级研判（红橙黄绿） v2"

    @property
    def computed(self) -> bool:
        return self.status == COMPUTED


# -- the form's declarations -----------------------------------------------------------------

def decided_specs(form: Mapping | None) -> list[dict]:
    """The fields of the form that a decision table decides."""
    return [spec for spec in (form or {}).get("fields") or [] if isinstance(spec, Mapping) and spec.get("decision")]


def record_names(spec: Mapping) -> dict[str, str]:
    """{computed, rule, table}: the variables a submission carries for this decided field."""
    field_id = spec["id"]
    names = {"computed": f"computed_{field_id}", "rule": f"{field_id}_rule", "table": f"{field_id}_decision"}
    names.update(spec["decision"].get("record") or {})
    return names


def recorded_names(form: Mapping | None) -> set[str]:
    """Every variable the form's decided fields record."""
    return {name for spec in decided_specs(form) for name in record_names(spec).values()}


def reason_id(spec: Mapping) -> str | None:
    return spec["decision"].get("override_reason")


def check(form: Mapping) -> list[str]:
    """Problems of the form's `decision` options (domain.forms.check_form reports them)."""
    problems = []
    by_id = {spec.get("id"): spec for spec in form.get("fields") or [] if isinstance(spec, Mapping)}
    for spec in decided_specs(form):
        where = f"field {spec['id']!r}: decision"
        option = spec["decision"]
        if not isinstance(option, Mapping):
            problems.append(f"{where} is an object with 'ref' and 'output'")
            continue
        if set(option) - _OPTION_KEYS:
            problems.append(f"{where}: unknown keys {sorted(set(option) - _OPTION_KEYS)}")
        for key in ("ref", "output"):
            if not isinstance(option.get(key), str) or not option.get(key):
                problems.append(f"{where}: needs '{key}'")
        inputs = option.get("inputs")
        if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
            problems.append(f"{where}: 'inputs' lists the fields the table reads")
        else:
            unknown = [name for name in inputs if name not in by_id or name == spec["id"]]
            if unknown:
                problems.append(f"{where}: 'inputs' names no other field of the form: {unknown}")
        reason = option.get("override_reason")
        if reason is not None and (reason not in by_id or by_id[reason].get("type") not in ("text", "textarea")
                                   or by_id[reason].get("required")):
            problems.append(f"{where}: 'override_reason' names an optional text field of the form")
        record = option.get("record") or {}
        if not isinstance(record, Mapping) or set(record) - set(_RECORD_ROLES) or not all(
                isinstance(name, str) and name.isidentifier() for name in record.values()):
            problems.append(f"{where}: 'record' maps computed, rule and table to variable names")
        elif set(record_names(spec).values()) & set(by_id):
            problems.append(f"{where}: 'record' variables must not be fields of the form")
    return problems


# -- evaluating -----------------------------------------------------------------------------

def rule_text(match) -> str:
    """The matched rule as people read it and as it is recorded (Chinese: it is the table's own text)."""
    head = pick(WORDS["rule"], "zh").format(row=match.row)
    return f"{head}：{match.description}" if match.description else head


def table_text(definition) -> str:
    """The table's name and version; a table named only by its key reads as 决策表."""
    name = (definition.name or "").strip()
    if not name or name == definition.decision_key:
        name = pick(WORDS["table"], "zh")
    return f"{name} v{definition.version}"


def _inputs_of(spec: Mapping, values: Mapping) -> dict | None:
    """The values the table reads, or None while one of them is not filled in."""
    names = spec["decision"]["inputs"]
    found = {name: values.get(name) for name in names}
    return None if any(is_blank(value) for value in found.values()) else found


def evaluate_field(spec: Mapping, values: Mapping, evaluate: Evaluate | None) -> Outcome:
    """The table's value for the field from the (validated) form values."""
    variables = _inputs_of(spec, values)
    if variables is None:
        return Outcome(spec["id"], INCOMPLETE)
    if evaluate is None:
        return Outcome(spec["id"], UNAVAILABLE)
    option = spec["decision"]
    try:
        definition, outcome = evaluate(option["ref"], variables)
    except (DecisionFailed, NotFound):  # not deployed, or no result: the officer grades by hand
        return Outcome(spec["id"], UNAVAILABLE)
    value = outcome.results[0].get(option["output"]) if outcome.results else None
    matched = next((m for m in outcome.matched if m.outputs.get(option["output"]) == value), None)
    if value is None or value not in option_values(spec) and spec.get("options"):
        return Outcome(spec["id"], UNAVAILABLE)  # a table that gives no allowed value is not applied
    return Outcome(spec["id"], COMPUTED, value, rule_text(matched) if matched else None, table_text(definition))


def preview(form: Mapping, raw: Mapping, evaluate: Evaluate | None, locale: str | None = "zh",
            unit_codes=None) -> dict[str, Outcome]:
    """{field id: Outcome} for values as a page sends them while the officer types (unvalidated:
    inputs that do not load count as not filled in)."""
    specs = decided_specs(form)
    names = {name for spec in specs for name in spec["decision"]["inputs"]}
    schema = schema_from_specs([s for s in form["fields"] if s["id"] in names], locale, unit_codes)
    try:
        values = schema.load({name: raw.get(name) for name in names if not is_blank(raw.get(name))}, partial=True)
    except ValidationError as err:
        values = err.valid_data if isinstance(err.valid_data, dict) else {}
    return {spec["id"]: evaluate_field(spec, values, evaluate) for spec in specs}


def apply(form: Mapping, values: dict, evaluate: Evaluate | None, locale: str | None = "zh") -> dict:
    """Evaluate each decided field on the validated `values` and add what the submission records
    (in place); returns the errors: {reason field id: [message]} for a change without a reason."""
    errors = {}
    by_id = {spec["id"]: spec for spec in form["fields"]}
    for spec in decided_specs(form):
        outcome = evaluate_field(spec, values, evaluate)
        names = record_names(spec)
        values[names["computed"]] = outcome.value
        values[names["rule"]] = outcome.rule
        values[names["table"]] = outcome.table
        reason = reason_id(spec)
        if reason is None:
            continue
        chosen = values.get(spec["id"])
        overridden = outcome.computed and chosen is not None and chosen != outcome.value
        if not overridden and outcome.computed:
            values[reason] = None  # agreeing with the rule needs no reason: none is kept
        elif overridden and is_blank(values.get(reason)):
            values[reason] = None
            errors[reason] = [message("override_reason_required", locale, label=field_label(by_id[reason], locale),
                                      field=field_label(spec, locale),
                                      computed=option_label(spec, outcome.value, locale))]
        else:
            values.setdefault(reason, None)
    return errors


# -- as people read it ----------------------------------------------------------------------

def option_label(spec: Mapping, value, locale: str | None = "zh") -> str:
    for option in spec.get("options") or []:
        if isinstance(option, Mapping) and option.get("value") == value:
            return pick(option.get("label"), locale) or str(value)
    return "" if value is None else str(value)


def summary(spec: Mapping, outcome: Outcome, locale: str | None = "zh", labels: Mapping | None = None) -> str:
    """One line for the task page: the value by rule and the rule, or why there is none."""
    if outcome.status == COMPUTED:
        text = pick(WORDS["by_rule"], locale).format(value=option_label(spec, outcome.value, locale))
        return f"{text} — {outcome.rule}" if outcome.rule else text
    if outcome.status == INCOMPLETE:
        names = [(labels or {}).get(name, name) for name in spec["decision"]["inputs"]]
        return pick(WORDS["incomplete"], locale).format(inputs="、".join(names) if locale != "en" else ", ".join(names))
    return pick(WORDS["unavailable"], locale)


def recorded_rows(form: Mapping | None, values: Mapping | None, locale: str | None = "zh") -> dict[str, dict]:
    """{variable: {label, value}} of the recorded variables of a submission, in plain words (the
    case file shows them with the step's other values; never the decision's key)."""
    rows = {}
    values = values or {}
    for spec in decided_specs(form):
        names = record_names(spec)
        computed = values.get(names["computed"])
        if computed is not None:
            rows[names["computed"]] = {"label": pick(WORDS["computed"], locale),
                                       "value": option_label(spec, computed, locale)}
        for role, word in (("rule", "rule_applied"), ("table", "table_used")):
            if values.get(names[role]):
                rows[names[role]] = {"label": pick(WORDS[word], locale), "value": str(values[names[role]])}
    return rows
