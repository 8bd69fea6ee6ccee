"""Reading an /engine-rest request: its JSON body, fields and query parameters, dates in
Camunda's format. Whatever is wrong is a 400 naming the field.

JSON is read within the app's limits (web.json_body: depth, digits, NaN; the byte size is
`request.max_content_length`, 413); strings the database cannot store (NUL, lone surrogates)
are refused wherever they are in the body. `null` counts as absent, as in Camunda.
"""
import json
from datetime import datetime, timedelta

from flask import request

from engine.workcal import CHINA_TZ
from web.api.schemas import find_bad_text
from web.engine_rest.errors import invalid
from web.json_body import JSONBodyError, loads

MAX_INT = 2**31 - 1
MAX_LONG = 2**63 - 1
MAX_TEXT = 200  # the columns a worker id or a business key is written to


def json_body() -> dict:
    """The body as a JSON object; an empty body is `{}`."""
    data = request.get_data(cache=True)
    if not data.strip():
        return {}
    try:
        value = loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise invalid("The request body is not UTF-8 text.") from None
    except JSONBodyError as err:
        raise invalid(str(err)) from None
    except json.JSONDecodeError as err:
        raise invalid(f"The request body is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise invalid("The request body must be a JSON object.")
    refused = find_bad_text(value)
    if refused:
        raise invalid(f"'{'.'.join(refused[0]) or 'body'}': {refused[1]}")
    return value


def _label(name: str, where: str) -> str:
    return f"{where}.{name}" if where else name


def _scalar_text(value):
    """As Jackson reads a scalar into a string field: 7 is "7", true is "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (int, float)) else value


def text(body: dict, name: str, required: bool = False, where: str = "", max_length: int | None = None):
    value = _scalar_text(body.get(name))
    if value is None:
        if required:
            raise invalid(f"'{_label(name, where)}' is required.")
        return None
    if not isinstance(value, str):
        raise invalid(f"'{_label(name, where)}' must be a string.")
    if required and not value.strip():
        raise invalid(f"'{_label(name, where)}' must not be empty.")
    if max_length is not None and len(value) > max_length:
        raise invalid(f"'{_label(name, where)}' must be at most {max_length} characters.")
    return value


def integer(body: dict, name: str, required: bool = False, where: str = "", low: int = -MAX_LONG - 1,
            high: int = MAX_LONG, default=None):
    """A whole number (as Jackson reads it: 3.0 is 3), within [low, high]."""
    value = body.get(name)
    label = _label(name, where)
    if value is None:
        if required:
            raise invalid(f"'{label}' is required.")
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.lstrip("-").isascii() and value.lstrip("-").isdigit() and len(value) < 21:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"'{label}' must be a whole number.")
    if not low <= value <= high:
        raise invalid(f"'{label}' must be from {low} to {high}.")
    return value


def boolean(body: dict, name: str, where: str = "", default: bool = False) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if value in ("true", "false"):
        return value == "true"
    if not isinstance(value, bool):
        raise invalid(f"'{_label(name, where)}' must be true or false.")
    return value


def text_list(body: dict, name: str, where: str = ""):
    value = body.get(name)
    if value is None:
        return None
    items = [_scalar_text(item) for item in value] if isinstance(value, list) else None
    if items is None or not all(isinstance(item, str) for item in items):
        raise invalid(f"'{_label(name, where)}' must be a list of strings.")
    return items


def obj(body: dict, name: str, where: str = ""):
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(f"'{_label(name, where)}' must be a JSON object.")
    return value


def millis(value: int, ceiling: timedelta) -> timedelta:
    """A duration in milliseconds, at most `ceiling` (the engine's own limit)."""
    return timedelta(milliseconds=min(value, ceiling // timedelta(milliseconds=1)))


def db_id(value) -> int | None:
    """A database id from a path or filter value ("12"), or None when it cannot name a row."""
    value = str(value)
    if value.isascii() and value.isdigit() and len(value) < 20 and 0 < int(value) <= MAX_LONG:
        return int(value)
    return None


# -- dates: Camunda writes yyyy-MM-dd'T'HH:mm:ss.SSSZ ----------------------------------------

def camunda_date(moment: datetime | None) -> str | None:
    """`2026-03-02T09:00:00.000+0800` (Beijing time, as the app shows times)."""
    if moment is None:
        return None
    local = moment.astimezone(CHINA_TZ)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")


def _read_date(value: str) -> datetime | None:
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            pass
    try:
        moment = datetime.fromisoformat(value) if "T" in value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=CHINA_TZ) if moment is not None and moment.tzinfo is None else moment


def parse_date(value, label: str) -> datetime:
    """Camunda's format, or ISO 8601 with an offset; a time without offset is Beijing time.
    Years 1900-2999 only (beyond them a conversion to UTC could overflow)."""
    moment = _read_date(value) if isinstance(value, str) else None
    if moment is not None and 1900 <= moment.year <= 2999:
        return moment
    raise invalid(f"'{label}' must be a date like 2026-03-02T09:00:00.000+0800, not {str(value)[:40]!r}.")


# -- query parameters -------------------------------------------------------------------------

def arg_bool(name: str) -> bool:
    value = request.args.get(name)
    if value is None or value == "":
        return False
    if value in ("true", "false"):
        return value == "true"
    raise invalid(f"Cannot set query parameter '{name}' to value '{value[:40]}'")


def arg_int(name: str, low: int = 0, high: int = MAX_LONG) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    digits = value.removeprefix("-")
    if not (digits.isascii() and digits.isdigit() and len(digits) < 20) or not low <= int(value) <= high:
        raise invalid(f"Cannot set query parameter '{name}' to value '{value[:40]}': "
                      f"a whole number from {low} to {high} is expected")
    return int(value)


def arg_date(name: str) -> datetime | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    return parse_date(value.replace(" ", "+"), name)  # an unencoded "+0800" arrives as " 0800"
