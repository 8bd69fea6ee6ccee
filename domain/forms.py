"""Task forms: `processes/forms/<key>.json` (see docs/process-conventions.md).

`load_form` reads and checks a form; `validate_submission` validates the data
a user submits for a task and returns JSON-ready values (dates and times as
ISO text), which become instance variables. Errors are keyed by field id,
with messages in the user's locale.

`visible_if` is a Python (or `${...}`) expression over the form's own values,
evaluated in the engine's sandbox; a hidden field is neither required nor
kept. An expression that fails to evaluate leaves the field visible.
"""
import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

from marshmallow import ValidationError

from domain import decision_fields
from domain.errors import ValidationFailed
from domain.fieldspec import FIELD_TYPES, option_values, schema_from_specs
from engine.bpmn import isolation, sandbox
from engine.bpmn.script_engine import to_python_expression
from engine.errors import DubanError

FORMS_DIR = Path(__file__).resolve().parents[1] / "processes" / "forms"
FORM_KEY_RE = re.compile(r"[a-z0-9_\-]+(?:/[a-z0-9_\-]+)*")
_OPTION_TYPES = ("enum", "multienum")


class FormError(DubanError):
    """A form file that is missing or malformed; `problems` lists what is wrong."""

    def __init__(self, key: str, problems: list[str]):
        self.key = key
        self.problems = problems
        super().__init__(f"form {key!r}: " + "; ".join(problems))


def form_path(key: str, base_dir: Path | str | None = None) -> Path:
    if not isinstance(key, str) or not FORM_KEY_RE.fullmatch(key):
        raise FormError(str(key), ["a form key is lower-case words separated by '/', e.g. lead/verify"])
    return Path(base_dir or FORMS_DIR) / f"{key}.json"


def check_form(form) -> list[str]:
    """Problems of a form definition (empty when it is usable)."""
    if not isinstance(form, Mapping) or not isinstance(form.get("fields"), list):
        return ["a form is an object with a 'fields' list"]
    problems, seen = [], set()
    reviews = form.get("reviews", [])
    if not isinstance(reviews, list) or not all(isinstance(item, str) and item for item in reviews):
        problems.append("'reviews' lists the element ids of the steps this one reviews")
    for position, spec in enumerate(form["fields"]):
        where = f"field {position + 1}"
        if not isinstance(spec, Mapping) or not isinstance(spec.get("id"), str) or not spec["id"]:
            problems.append(f"{where}: needs an 'id'")
            continue
        where = f"field {spec['id']!r}"
        if not spec["id"].isidentifier() or spec["id"].startswith("_"):
            problems.append(f"{where}: the id must be a variable name (letters, digits, _)")
        if spec["id"] in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(spec["id"])
        kind = spec.get("type", "text")
        if kind not in FIELD_TYPES:
            problems.append(f"{where}: unknown type {kind!r}")
        if kind in _OPTION_TYPES and not option_values(spec):
            problems.append(f"{where}: type {kind} needs 'options'")
        if None not in (spec.get("min"), spec.get("max")) and spec["min"] > spec["max"]:
            problems.append(f"{where}: min is greater than max")
        if spec.get("visible_if"):
            try:
                sandbox.compile_expression(to_python_expression(spec["visible_if"]))
            except DubanError as exc:
                problems.append(f"{where}: visible_if: {exc}")
    for role in ("outcome", "opinion"):  # the fields a step record shows as its outcome and opinion
        if role in form and form[role] not in seen:
            problems.append(f"'{role}' names no field of the form: {form[role]!r}")
    return problems + decision_fields.check(form)


def load_form(key: str, base_dir: Path | str | None = None) -> dict:
    """Read and check `processes/forms/<key>.json`; FormError if missing or malformed."""
    path = form_path(key, base_dir)
    try:
        form = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormError(key, [f"no file {path}"]) from None
    except (OSError, ValueError) as exc:
        raise FormError(key, [f"cannot read {path.name}: {exc}"]) from None
    problems = check_form(form)
    if problems:
        raise FormError(key, problems)
    return form


def form_schema(form: Mapping, locale: str | None = "zh", unit_codes=None, only=None):
    """A marshmallow schema instance for the form's fields (or the ids in `only`)."""
    specs = [spec for spec in form["fields"] if only is None or spec["id"] in only]
    return schema_from_specs(specs, locale, unit_codes, name=f"Form_{form.get('key', 'task')}")


def hidden_fields(form: Mapping, values: Mapping) -> set[str]:
    """Ids of fields whose `visible_if` is false for these (loaded) values."""
    namespace = {spec["id"]: None for spec in form["fields"]}
    namespace.update(values)
    hidden = set()
    for spec in form["fields"]:
        expression = spec.get("visible_if")
        if not expression:
            continue
        try:
            visible = isolation.evaluate(to_python_expression(expression), dict(namespace))
        except Exception:  # noqa: BLE001 - a broken condition must not hide a field
            visible = True
        if not visible:
            hidden.add(spec["id"])
    return hidden


def to_json_value(value):
    """Instance variables must be JSON: dates and times become ISO text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [to_json_value(item) for item in value]
    return value


def validate_submission(form: Mapping, data: Mapping, locale: str | None = "zh", unit_codes=None,
                        evaluate=None) -> dict:
    """Validated, JSON-ready values of a task submission; ValidationFailed keyed by field id.

    `evaluate`: the engine's `evaluate_decision`, for fields a decision table decides
    (domain.decision_fields); without it they are treated as if the table could not be applied."""
    # First pass without "required", to know the values visible_if looks at.
    try:
        preview = form_schema(form, locale, unit_codes).load(data, partial=True)
    except ValidationError as err:
        preview = err.valid_data if isinstance(err.valid_data, dict) else {}
    hidden = hidden_fields(form, preview)
    visible = [spec["id"] for spec in form["fields"] if spec["id"] not in hidden]
    try:
        loaded = form_schema(form, locale, unit_codes, only=visible).load(data)
    except ValidationError as err:
        # Say at once, too, that a grade changed from the rule needs its reason.
        valid = dict(err.valid_data) if isinstance(err.valid_data, dict) else {}
        raise ValidationFailed({**decision_fields.apply(form, valid, evaluate, locale), **err.messages}) from None
    # A visible field left empty takes the form's declared default, so scripts can count on it.
    for spec in form["fields"]:
        if "default" in spec and spec["id"] in visible and loaded.get(spec["id"]) is None:
            loaded[spec["id"]] = spec["default"]
    errors = decision_fields.apply(form, loaded, evaluate, locale)
    if errors:
        raise ValidationFailed(errors)
    return {key: to_json_value(value) for key, value in loaded.items()}
