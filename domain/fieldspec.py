"""marshmallow fields built from field specs in the form-JSON format.

A spec is a dict as in docs/process-conventions.md ("Forms"):
{"id", "type", "label": {zh, en}, "required", "options", "min", "max",
"max_length", "future", "default"}; plus, for record schemas, "past" (not
after now) and "end_of_day" (a datetime given as a bare date means 23:59:59).
Both `domain.forms` (task forms) and `domain.schemas` (records) build their
schemas here, so every message is localized and names the field.

Loaded values are Python objects: str, int, float, bool, date, aware UTC
datetime, list.
"""
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

from domain import creditcode
from domain.labels import pick
from domain.messages import message
from engine import clock
from engine.workcal import CHINA_TZ

FIELD_TYPES = ("text", "textarea", "integer", "number", "boolean", "date", "datetime", "enum",
               "multienum", "unit", "credit_code", "phone", "file")

_TYPE_MESSAGE = {
    "text": "invalid_text", "textarea": "invalid_text", "integer": "invalid_integer",
    "number": "invalid_number", "boolean": "invalid_boolean", "date": "invalid_date",
    "datetime": "invalid_datetime", "enum": "invalid_choice", "multienum": "invalid_choice",
    "unit": "invalid_unit", "credit_code": "invalid_credit_code", "phone": "invalid_phone",
    "file": "invalid_attachment",
}

MOBILE_RE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")
LANDLINE_RE = re.compile(r"(?:0\d{2,3}-?)?[2-9]\d{6,7}(?:-\d{1,6})?")
SERVICE_NUMBER_RE = re.compile(r"(?:400|800)-?\d{3}-?\d{4}")
UNIT_CODE_RE = re.compile(r"[a-z][a-z0-9_]{1,39}")
CLOCK_SKEW = timedelta(minutes=5)


def is_phone(value: str) -> bool:
    return any(pattern.fullmatch(value) for pattern in (MOBILE_RE, LANDLINE_RE, SERVICE_NUMBER_RE))


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def today_local() -> date:
    return clock.now().astimezone(CHINA_TZ).date()


# -- field classes -----------------------------------------------------------

class Text(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class CreditCode(Text):
    def _deserialize(self, value, attr, data, **kwargs):
        return creditcode.normalize(super()._deserialize(value, attr, data, **kwargs))


class Phone(Text):
    def _deserialize(self, value, attr, data, **kwargs):
        return "".join(super()._deserialize(value, attr, data, **kwargs).split())


class WholeNumber(fields.Integer):
    """An integer; unlike fields.Integer, 12.5 and True are rejected, not truncated."""

    def _validated(self, value):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        return super()._validated(value)


class Number(fields.Float):
    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class Day(fields.Date):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, datetime):
            raise self.make_error("invalid")
        if isinstance(value, date):
            return value
        return super()._deserialize(value, attr, data, **kwargs)


class Moment(fields.AwareDateTime):
    """A date and time; naive input is Beijing time; loaded as aware UTC.

    A bare date is rejected, or with `end_of_day` read as 23:59:59 Beijing
    time that day (deadlines given as dates).
    """

    def __init__(self, end_of_day: bool = False, **kwargs):
        super().__init__(default_timezone=CHINA_TZ, **kwargs)
        self.end_of_day = end_of_day

    def _bare_date(self, value) -> date | None:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and not re.search(r"\d[T ]\d", value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise self.make_error("invalid") from None
        return None

    def _deserialize(self, value, attr, data, **kwargs):
        day = self._bare_date(value)
        if day is not None:
            if not self.end_of_day:
                raise self.make_error("invalid")
            return datetime.combine(day, time(23, 59, 59), CHINA_TZ).astimezone(timezone.utc)
        if isinstance(value, datetime):
            loaded = value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)
        else:
            loaded = super()._deserialize(value, attr, data, **kwargs)
        return loaded.astimezone(timezone.utc)


class ValueList(fields.Field):
    """A list of plain values checked as a whole (errors stay on the field, not per index)."""

    def __init__(self, item_ok, **kwargs):
        super().__init__(**kwargs)
        self.item_ok = item_ok

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list | tuple) or not all(self.item_ok(item) for item in value):
            raise self.make_error("invalid")
        return list(dict.fromkeys(value))  # drop repeats, keep order


def _attachment_id_ok(item) -> bool:
    if isinstance(item, bool):
        return False
    if isinstance(item, int):
        return item > 0
    return isinstance(item, str) and 0 < len(item) <= 100 and not any(c.isspace() for c in item)


# -- building ----------------------------------------------------------------

def field_label(spec: Mapping, locale: str | None = "zh") -> str:
    return pick(spec.get("label"), locale) or spec["id"]


def option_values(spec: Mapping) -> list[str]:
    return [option["value"] if isinstance(option, Mapping) else option for option in spec.get("options") or []]


def _check(ok, text):
    def validate(value):
        if not ok(value):
            raise ValidationError(text)
    return validate


def _validators(spec: Mapping, kind: str, say, unit_codes) -> list:
    checks = []
    if spec.get("max_length") is not None and kind in ("text", "textarea", "phone"):
        limit = int(spec["max_length"])
        checks.append(_check(lambda v: len(v) <= limit, say("too_long", max=limit)))
    if kind in ("integer", "number"):
        if spec.get("min") is not None:
            low = spec["min"]
            checks.append(_check(lambda v: v >= low, say("too_small", min=low)))
        if spec.get("max") is not None:
            high = spec["max"]
            checks.append(_check(lambda v: v <= high, say("too_large", max=high)))
    if kind == "enum":
        allowed = set(option_values(spec))
        checks.append(_check(lambda v: v in allowed, say("invalid_choice")))
    if kind == "multienum":
        allowed = set(option_values(spec))
        checks.append(_check(lambda v: set(v) <= allowed, say("invalid_choice")))
    if kind == "unit":
        known = set(unit_codes) if unit_codes is not None else None
        checks.append(_check(lambda v: v in known if known is not None else bool(UNIT_CODE_RE.fullmatch(v)),
                             say("invalid_unit")))
    if kind == "credit_code":
        checks.append(_check(creditcode.is_valid, say("invalid_credit_code")))
    if kind == "phone":
        checks.append(_check(is_phone, say("invalid_phone")))
    if spec.get("future") and kind == "datetime":
        checks.append(_check(lambda v: v > clock.now(), say("in_past")))
    if spec.get("future") and kind == "date":
        checks.append(_check(lambda v: v >= today_local(), say("in_past")))
    if spec.get("past") and kind == "datetime":
        checks.append(_check(lambda v: v <= clock.now() + CLOCK_SKEW, say("not_past")))
    if spec.get("past") and kind == "date":
        checks.append(_check(lambda v: v <= today_local(), say("not_past")))
    return checks


def _base_field(kind: str, spec: Mapping, **kwargs) -> fields.Field:
    if kind in ("text", "textarea", "enum", "unit"):
        return Text(**kwargs)
    if kind == "credit_code":
        return CreditCode(**kwargs)
    if kind == "phone":
        return Phone(**kwargs)
    if kind == "integer":
        return WholeNumber(**kwargs)
    if kind == "number":
        return Number(allow_nan=False, **kwargs)
    if kind == "boolean":
        return fields.Boolean(**kwargs)
    if kind == "date":
        return Day(**kwargs)
    if kind == "datetime":
        return Moment(end_of_day=bool(spec.get("end_of_day")), **kwargs)
    if kind == "multienum":
        return ValueList(lambda item: isinstance(item, str), **kwargs)
    if kind == "file":
        return ValueList(_attachment_id_ok, **kwargs)
    raise ValueError(f"unknown field type {kind!r}; expected one of {', '.join(FIELD_TYPES)}")


def build_field(spec: Mapping, locale: str | None = "zh", unit_codes=None) -> fields.Field:
    """A marshmallow field for one spec; `unit_codes` limits `unit` fields to known units."""
    kind = spec.get("type", "text")
    label = field_label(spec, locale)

    def say(key, **params):
        return message(key, locale, label=label, **params)

    invalid = say(_TYPE_MESSAGE.get(kind, "invalid_text"))
    error_messages = {"required": say("required"), "null": say("required"), "invalid": invalid,
                      "invalid_awareness": invalid, "format": invalid, "invalid_utf8": invalid,
                      "special": invalid, "validator_failed": invalid}
    kwargs = {"required": bool(spec.get("required")), "error_messages": error_messages,
              "validate": _validators(spec, kind, say, unit_codes)}
    if not kwargs["required"] and "default" in spec:
        kwargs["load_default"] = spec["default"]
    return _base_field(kind, spec, **kwargs)


class SpecSchema(Schema):
    """Unknown keys are dropped; blank values ("", None, []) count as missing."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def drop_blanks(self, data, **kwargs):
        if not isinstance(data, Mapping):
            return data
        return {key: value for key, value in data.items() if not is_blank(value)}


def schema_from_specs(specs, locale: str | None = "zh", unit_codes=None, name: str = "SpecSchema",
                      extra: Mapping | None = None, base: type[Schema] = SpecSchema) -> Schema:
    """A schema instance with one field per spec (plus `extra` ready-made fields)."""
    declared = {spec["id"]: build_field(spec, locale, unit_codes) for spec in specs}
    declared.update(extra or {})
    return base.from_dict(declared, name=name)()
