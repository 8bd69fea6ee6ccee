"""JSON bodies parsed within limits, for the pages (`request.get_json`, through the app's JSON
provider) and the API (webargs, through `web.api.security.ApiParser`).

The byte size is limited before parsing (`request.max_content_length`: 413). What the bytes
may still hold and the rest of the app cannot handle is refused here with a message naming it:
nesting deeper than MAX_DEPTH (code walking the value recursively would overflow the stack),
numbers of more digits than Python converts, NaN and infinities (PostgreSQL's JSON refuses them).
"""
import json
import math

from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

MAX_DEPTH = 64


class JSONBodyError(ValueError):
    """The body is JSON but beyond what the app accepts; the message says why."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONBodyError(f"The JSON body holds a number too large to store: {text[:40]}.")
    return value


def _no_constant(name: str):
    raise JSONBodyError(f"The JSON body holds {name}, which is not a number JSON allows.")


def _deeper_than(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return False


def loads(text, **kwargs):
    """json.loads, refusing what the module docstring lists (JSONBodyError, a ValueError)."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    kwargs.setdefault("parse_float", _finite)
    kwargs.setdefault("parse_constant", _no_constant)
    too_deep = JSONBodyError(f"The JSON body is nested more than {MAX_DEPTH} levels deep.")
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise too_deep from None
    except (json.JSONDecodeError, JSONBodyError):
        raise
    except ValueError as err:  # an integer of more digits than sys.get_int_max_str_digits()
        raise JSONBodyError("The JSON body holds a number with too many digits.") from err
    if isinstance(value, (dict, list)) and _deeper_than(value, MAX_DEPTH):
        raise too_deep
    return value


def load_api_body(data: bytes):
    """The API's JSON body for webargs: malformed JSON stays webargs' (JSONDecodeError: its 400
    with errors by field); a body beyond the limits is a 400 with the reason as message."""
    try:
        return loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise json.JSONDecodeError(f"Bytes decoding error : {err.reason}", doc=str(err.object), pos=err.start) \
            from err
    except JSONBodyError as err:
        raise BadRequest(str(err)) from err


class LimitedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading within the limits above (`request.get_json`)."""

    def loads(self, s, **kwargs):
        return loads(s, **kwargs)
