"""Camunda's typed variable values <-> Duban's variables (plain JSON values).

In: `{"name": {"value": v, "type": T, "valueInfo": {...}}}`. Without a type the value is taken
as JSON gives it. Types: String, Boolean, Integer, Short, Long, Double, Date (kept as ISO 8601
text: Duban's variables are JSON), Json (a JSON text, parsed), Null, and Object serialized as
`application/json`. Anything else (Bytes, File, Java or XML objects) is refused naming the
variable. Type names are matched without regard to case.

Out: str -> String, bool -> Boolean, int -> Integer (Long beyond 32 bits), float -> Double,
None -> Null, dict and list -> Json (the value as JSON text), anything else -> String.
"""
import json
import math
from datetime import datetime

from web.api.schemas import find_bad_text
from web.engine_rest.body import MAX_INT, MAX_LONG, parse_date
from web.engine_rest.errors import CamundaError, invalid
from web.json_body import JSONBodyError, loads

RANGES = {"integer": (-MAX_INT - 1, MAX_INT), "short": (-2**15, 2**15 - 1), "long": (-MAX_LONG - 1, MAX_LONG)}
JSON_FORMAT = "application/json"


def read_variables(body: dict, field: str) -> dict | None:
    """`body[field]` as {name: plain value}, or None when absent."""
    given = body.get(field)
    if given is None:
        return None
    if not isinstance(given, dict):
        raise invalid(f"'{field}' must be a JSON object of variables.")
    return {name: from_typed(spec, f"{field}.{name}") for name, spec in given.items()}


def from_typed(spec, label: str):
    if not isinstance(spec, dict):
        raise invalid(f"'{label}' must be an object with a 'value' (and a 'type').")
    value, kind = spec.get("value"), spec.get("type")
    if kind is None:
        return value
    if not isinstance(kind, str):
        raise invalid(f"'{label}': the type must be a string.")
    convert = _CONVERT.get(kind.lower())
    if convert is None:
        raise invalid(f"'{label}': unsupported value type '{kind[:40]}'.")
    if value is None:
        return None
    try:
        return convert(value, spec.get("valueInfo") or {})
    except (TypeError, ValueError, JSONBodyError) as err:
        raise invalid(f"'{label}': cannot read {str(value)[:40]!r} as {kind}: {err}") from None


def _string(value, _info):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TypeError("a string is expected")


def _boolean(value, _info):
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise TypeError("true or false is expected")


def _whole(kind):
    low, high = RANGES[kind]

    def convert(value, _info):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and value.lstrip("-").isascii() and value.lstrip("-").isdigit() \
                and len(value) < 21:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("a whole number is expected")
        if not low <= value <= high:
            raise ValueError(f"out of range ({low} to {high})")
        return value
    return convert


def _double(value, _info):
    if isinstance(value, bool):
        raise TypeError("a number is expected")
    number = float(value) if isinstance(value, (int, float, str)) else None
    if number is None or not math.isfinite(number):
        raise TypeError("a finite number is expected")
    return value if isinstance(value, (int, float)) else number


def _date(value, _info):
    try:
        return parse_date(value, "value").isoformat()
    except CamundaError:
        raise ValueError("a date like 2026-03-02T09:00:00.000+0800 is expected") from None


def _json_text(value):
    """A JSON text parsed within the body's limits; a JSON value given as is is taken too."""
    parsed = loads(value) if isinstance(value, str) else value
    found = find_bad_text(parsed)
    if found:
        raise ValueError(found[1])
    return parsed


def _json(value, _info):
    return _json_text(value)


def _object(value, info):
    data_format = info.get("serializationDataFormat") if isinstance(info, dict) else None
    if data_format != JSON_FORMAT:
        raise ValueError(f"only objects serialized as {JSON_FORMAT} are supported, not {str(data_format)[:40]!r}")
    return _json_text(value)


def _null(_value, _info):
    return None


_CONVERT = {"string": _string, "boolean": _boolean, "integer": _whole("integer"), "short": _whole("short"),
            "long": _whole("long"), "double": _double, "date": _date, "json": _json, "object": _object,
            "null": _null}


# -- out ---------------------------------------------------------------------------------------

def typed(value) -> dict:
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        low, high = RANGES["integer"]
        return {"type": "Integer" if low <= value <= high else "Long", "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, (dict, list)):
        return {"type": "Json", "value": json.dumps(value, ensure_ascii=False, default=str), "valueInfo": {}}
    if isinstance(value, datetime):
        return {"type": "String", "value": value.isoformat(), "valueInfo": {}}
    return {"type": "String", "value": str(value), "valueInfo": {}}


def typed_map(values: dict) -> dict:
    return {name: typed(value) for name, value in values.items()}
