"""What a URL may carry into a query: path values the database can compare, page numbers and
dates within range, no NUL characters.

- Routes: `<int:…>` matches only what fits a 64-bit column (a larger id is no route: 404, never a
  driver overflow); string and path segments never match a NUL character (PostgreSQL refuses it).
- Query strings: `page_arg`, `int_arg` and `date_arg` answer 400 naming the parameter
  (`BadParameter`) when a value is malformed or out of range; a NUL anywhere in the query string
  is a 400 for every route.

`register(app)` installs the converters; call it before any rule is added (rules bind their
converters when they are added).
"""
from datetime import date

from flask import request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

MAX_DB_INT = 2**63 - 1  # BIGINT
MAX_PAGE = 100_000
# Dates beyond these are typing slips; near date.min/max a period's arithmetic would overflow.
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2999, 12, 31)

WHOLE_NUMBER = _l("The parameter %(name)s must be a whole number from %(low)s to %(high)s.")
DATE = _l("The parameter %(name)s must be a date (YYYY-MM-DD) from %(low)s to %(high)s.")
NO_NUL = _l("The parameter %(name)s must not contain NUL characters.")


class BadParameter(BadRequest):
    """400 for one query parameter: the pages show it in their language, the API in English."""

    def __init__(self, message, **values):
        self.message, self.values = message, values
        with force_locale("en"):
            super().__init__(str(message) % values)

    def translated(self) -> str:
        return str(self.message) % self.values


class BoundedIntConverter(IntegerConverter):
    """`int`, at most MAX_DB_INT unless the rule says otherwise."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits, min, MAX_DB_INT if max is None else max, signed)


class TextConverter(UnicodeConverter):
    """`string` (the default): one segment, without NUL."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


class NoNulPathConverter(PathConverter):
    """`path`: as werkzeug's, without NUL."""

    regex = "[^/\\x00][^\\x00]*?"


def register(app) -> None:
    converters = app.url_map.converters
    converters.update(int=BoundedIntConverter, default=TextConverter, string=TextConverter,
                      path=NoNulPathConverter)
    app.before_request(refuse_nul_in_query)


def refuse_nul_in_query():
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise BadParameter(NO_NUL, name=name.replace("\x00", "\\0"))


def int_arg(name: str, default: int | None = None, *, low: int = 1, high: int = MAX_DB_INT, source=None):
    """The whole number `name` of the query string (or `source`), `default` when absent or empty."""
    raw = ((request.args if source is None else source).get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise BadParameter(WHOLE_NUMBER, name=name, low=low, high=high)
    return value


def id_list(name: str, *, source=None) -> list[int]:
    """The ids among the values of `name` (others are left out, as a list of ticks may hold junk)."""
    ids = []
    for raw in (request.args if source is None else source).getlist(name):
        raw = raw.strip()
        if raw.isdecimal() and len(raw) <= len(str(MAX_DB_INT)) and 1 <= int(raw) <= MAX_DB_INT:
            ids.append(int(raw))
    return ids


def page_arg(name: str = "page") -> int:
    """A list's page number: 1 when absent; 400 unless 1 to MAX_PAGE."""
    return int_arg(name, 1, low=1, high=MAX_PAGE)


def date_arg(name: str, args=None) -> date | None:
    """An ISO date (YYYY-MM-DD) of the query string (or `args`); None when absent or empty."""
    raw = ((request.args if args is None else args).get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or not MIN_DATE <= value <= MAX_DATE:
        raise BadParameter(DATE, name=name, low=MIN_DATE.isoformat(), high=MAX_DATE.isoformat())
    return value
