"""The FEEL subset of DMN decision tables: input entries (unary tests) and output literals.

Camunda Modeler and dmn-js write input entries such as `< 10`, `[1..5]`, `"a","b"`, `not("c")`,
`-` and `date("2026-01-31")`. This module reads exactly those forms with a small hand-written
tokenizer and recursive-descent parser (tables come from uploaded files: nothing here evaluates
code) and compiles each entry once into closures, so testing a cell costs a few function calls.
Anything outside the subset raises FeelError with a short English message for administrators.

Semantics follow Camunda 7 (feel-scala): values of different types never compare or equal (a
number never equals a bool or a numeric string; a date never equals a date and time), and a
mismatch makes the test False rather than raising. Dates and times are naive Beijing time;
offset-aware ones are converted to Asia/Shanghai first.
"""
from __future__ import annotations

import math
import operator
import re
import string
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

MAX_ENTRY_LENGTH = 2000
BEIJING = ZoneInfo("Asia/Shanghai")


class FeelError(ValueError):
    """An entry outside the supported FEEL subset; str(err) is a short English message fit for an
    administrator, e.g. 'cannot read "<< 3": expected a value after "<"'."""


class _Refusal(Exception):
    """Raised inside the parser with the reason alone; the public functions add the entry text."""


# --- kinds of values -------------------------------------------------------------------------

NUMBER, STRING, BOOLEAN, DATE, DATETIME, DURATION, NULL, OTHER = (
    "number", "string", "boolean", "date", "date and time", "duration", "null", "other")
_ORDERED_KINDS = frozenset({NUMBER, STRING, DATE, DATETIME, DURATION})
_KIND_BY_TYPE = {
    int: NUMBER, float: NUMBER, Decimal: NUMBER, bool: BOOLEAN, str: STRING, date: DATE,
    datetime: DATETIME, timedelta: DURATION, type(None): NULL,
}
_KIND_WORDS = {
    NUMBER: "a number", STRING: "text", BOOLEAN: "true/false", DATE: "a date",
    DATETIME: "a date and time", DURATION: "a duration",
}
_NUMBER_TYPES = frozenset({"integer", "long", "double", "number"})
_WHOLE_NUMBER_TYPES = frozenset({"integer", "long"})
# Which literal kinds a column's typeRef can hold (Camunda 7's "date" is a java.util.Date).
_KINDS_BY_TYPE_REF = {
    "integer": {NUMBER}, "long": {NUMBER}, "double": {NUMBER}, "number": {NUMBER},
    "string": {STRING}, "boolean": {BOOLEAN}, "date": {DATE, DATETIME},
}


def _kind_of(value) -> str:
    kind = _KIND_BY_TYPE.get(type(value))
    return kind if kind is not None else _kind_of_subclass(value)


def _kind_of_subclass(value) -> str:
    # Only subclasses (IntEnum, str enums, ...) and foreign values get here: the slow way is fine.
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float, Decimal)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, datetime):  # before date: datetime is a subclass of date
        return DATETIME
    if isinstance(value, date):
        return DATE
    if isinstance(value, timedelta):
        return DURATION
    return OTHER


def _beijing_naive(moment: datetime) -> datetime:
    return moment.astimezone(BEIJING).replace(tzinfo=None)


def _type_name(type_ref: str | None) -> str | None:
    return type_ref.strip().lower() if type_ref else None


# --- tokens ----------------------------------------------------------------------------------

class _Token(NamedTuple):
    kind: str  # "str", "num", "name", "op" or "end"
    text: str  # as written
    value: object = None  # the string's or number's value


_IDENT_START = frozenset(string.ascii_letters + "_")
_IDENT_CHARS = _IDENT_START | frozenset(string.digits)
_DIGITS = frozenset(string.digits)
_ESCAPES = {'"': '"', "\\": "\\", "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_END = _Token("end", "")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, length = 0, len(text)
    while i < length:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == '"':
            token, i = _read_string(text, i)
        elif ch in _DIGITS or (ch == "-" and text[i + 1:i + 2] in _DIGITS and not _ends_value(tokens)):
            token, i = _read_number(text, i)
        elif ch in _IDENT_START:
            token, i = _read_name(text, i)
        elif text.startswith("..", i):
            token, i = _Token("op", ".."), i + 2
        elif ch in "<>":
            width = 2 if text.startswith("=", i + 1) else 1
            token, i = _Token("op", text[i:i + width]), i + width
        elif ch in "()[],":
            token, i = _Token("op", ch), i + 1
        else:
            raise _Refusal(_unexpected_character(text, i, tokens))
        tokens.append(token)
    tokens.append(_END)
    return tokens


def _ends_value(tokens: list[_Token]) -> bool:
    # After a value, "-" would be a subtraction rather than a minus sign.
    return bool(tokens) and (tokens[-1].kind in ("str", "num", "name") or tokens[-1].text == ")")


def _read_string(text: str, start: int) -> tuple[_Token, int]:
    parts = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return _Token("str", text[start:i + 1], "".join(parts)), i + 1
        if ch == "\\" and i + 1 < len(text):
            parts.append(_ESCAPES.get(text[i + 1], text[i:i + 2]))
            i += 2
            continue
        parts.append(ch)
        i += 1
    raise _Refusal("text is missing its closing double quote")


def _read_number(text: str, start: int) -> tuple[_Token, int]:
    i = _skip(text, start + 1, _DIGITS)
    is_float = text.startswith(".", i) and text[i + 1:i + 2] in _DIGITS
    if is_float:
        i = _skip(text, i + 1, _DIGITS)
    if i < len(text) and (text[i] in _IDENT_CHARS or (text[i] == "." and not text.startswith("..", i))):
        word = text[start:_skip(text, i, _IDENT_CHARS | {"."})]
        raise _Refusal(f'cannot read the number "{word}"')
    written = text[start:i]
    return _Token("num", written, float(written) if is_float else int(written)), i


def _read_name(text: str, start: int) -> tuple[_Token, int]:
    i = _skip(text, start, _IDENT_CHARS)
    # A dotted name (case.limit); ".." is the range operator, not a dot.
    while text.startswith(".", i) and text[i + 1:i + 2] in _IDENT_START:
        i = _skip(text, i + 1, _IDENT_CHARS)
    return _Token("name", text[start:i]), i


def _skip(text: str, i: int, chars) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _unexpected_character(text: str, i: int, tokens: list[_Token]) -> str:
    ch, rest = text[i], text[i + 1:].strip()
    if ch == "'":
        closing = text.find("'", i + 1)
        return f'text must be in double quotes: "{text[i + 1:closing if closing > 0 else None]}"'
    if ch in "“”‘’":
        return 'use straight double quotes (") around text, not “ ” or ‘ ’'
    if ch == "=":
        written = "==" if text.startswith("==", i) else "="
        value = text[i + len(written):].strip()
        return f'"{written}" is not FEEL: write just the value' + (f", e.g. {value}" if value else "")
    if ch == "!":
        if text.startswith("!=", i):
            return f'"!=" is not FEEL: use not({rest[1:].strip() or "..."})'
        return '"!" is not FEEL: use not(...)'
    if ch == "$":
        return '"${...}" expressions are not supported here: write a FEEL test such as < 10 or "a"'
    if ch == "-" and not _ends_value(tokens):
        return '"-" (any value) must be the whole entry'
    if ch in "+-*/%^":
        return f'arithmetic ("{ch}") is not supported'
    if ch in "&|":
        return '"&&" and "||" are not supported: separate alternatives with a comma'
    if ch == "?":
        return '"?" is not supported: write the test without it, e.g. < 10'
    if ch.isalpha():  # a non-ASCII word such as 红 meant as text
        end = i
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        return f'text must be in double quotes: "{text[i:end]}"'
    return f'unexpected character "{ch}"'


# --- syntax tree -----------------------------------------------------------------------------

class _Literal(NamedTuple):
    kind: str
    value: object
    text: str


class _Name(NamedTuple):
    path: tuple[str, ...]
    text: str


class _Equal(NamedTuple):
    endpoint: _Literal | _Name


class _Compare(NamedTuple):
    op: str  # "<", "<=", ">" or ">="
    endpoint: _Literal | _Name


class _Range(NamedTuple):
    low: _Literal | _Name
    low_closed: bool
    high: _Literal | _Name
    high_closed: bool


_CONSTANTS = {"true": (BOOLEAN, True), "false": (BOOLEAN, False), "null": (NULL, None)}
_COMPARISONS = frozenset({"<", "<=", ">", ">="})
_KEYWORD_HINTS = {
    "and": '"and" is not supported: a rule already needs all of its input cells to match',
    "or": '"or" is not supported: separate alternatives with a comma, e.g. "a", "b"',
    "in": '"in" is not supported: list the values separated by commas',
    "between": '"between" is not supported: write a range such as [1..5]',
}
_RESERVED = frozenset({
    "true", "false", "null", "not", "date", "time", "duration", "and", "or", "in", "between",
    "if", "then", "else", "for", "some", "every", "satisfies", "instance", "of", "function",
    "return",
})


class _Parser:
    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.pos = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def at_op(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "op" and token.text == text

    def at_name(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "name" and token.text == text

    def expect_op(self, text: str, reason: str) -> None:
        if not self.at_op(text):
            raise _Refusal(reason)
        self.take()


def _parse_unary_tests(parser: _Parser) -> tuple[bool, list]:
    """(negated, tests): the entry is `tests` or `not(tests)`; tests are alternatives."""
    if parser.at_name("not") and parser.at_op("(", 1):
        parser.take()
        parser.take()
        tests = _parse_test_list(parser, after="not(", closing=")")
        parser.expect_op(")", 'not( is missing its closing ")"')
        if parser.peek().kind != "end":
            raise _Refusal('not(...) must enclose the whole entry, e.g. not("a", "b")')
        return True, tests
    return False, _parse_test_list(parser, after=None, closing=None)


def _parse_test_list(parser: _Parser, after: str | None, closing: str | None) -> list:
    tests = [_parse_test(parser, after)]
    while parser.at_op(","):
        parser.take()
        tests.append(_parse_test(parser, ","))
    follower = parser.peek()
    if follower.kind != "end" and not (closing and parser.at_op(closing)):
        if follower.kind == "name" and follower.text in _KEYWORD_HINTS:
            raise _Refusal(_KEYWORD_HINTS[follower.text])
        if follower.kind == "op":
            raise _Refusal(f'unexpected "{follower.text}"')
        raise _Refusal(f'expected a comma before "{follower.text}"')
    return tests


def _parse_test(parser: _Parser, after: str | None):
    token = parser.peek()
    if token.kind == "op" and token.text in _COMPARISONS:
        parser.take()
        endpoint = _parse_endpoint(parser, after=token.text)
        _check_orderable(endpoint, f'with "{token.text}"')
        return _Compare(token.text, endpoint)
    if token.kind == "op" and token.text in ("[", "]", "("):
        return _parse_range(parser)
    if parser.at_name("not"):
        raise _Refusal('write not(...) around the whole entry, e.g. not("a", "b")')
    return _Equal(_parse_endpoint(parser, after))


def _parse_range(parser: _Parser) -> _Range:
    opening = parser.take().text
    low_closed = opening == "["
    low = _parse_endpoint(parser, after=opening)
    parser.expect_op("..", 'a range needs ".." between its ends, e.g. [1..5]')
    high = _parse_endpoint(parser, after="..")
    closing = parser.take()
    if closing.kind != "op" or closing.text not in ("]", ")", "["):
        raise _Refusal('the range is not closed: expected "]" or ")" after its end')
    high_closed = closing.text == "]"
    _check_orderable(low, "in a range")
    _check_orderable(high, "in a range")
    if isinstance(low, _Literal) and isinstance(high, _Literal):
        _check_range_ends(low, low_closed, high, high_closed)
    return _Range(low, low_closed, high, high_closed)


def _check_orderable(endpoint, where: str) -> None:
    if isinstance(endpoint, _Literal) and endpoint.kind not in _ORDERED_KINDS:
        raise _Refusal(f"{endpoint.text} cannot be used {where}: write it alone to match it exactly")


def _check_range_ends(low: _Literal, low_closed: bool, high: _Literal, high_closed: bool) -> None:
    if low.kind != high.kind:
        raise _Refusal(f"both ends of a range must be of one type ({low.text} and {high.text})")
    if low.value > high.value or (low.value == high.value and not (low_closed and high_closed)):
        raise _Refusal("the range is empty: its start is after its end")


def _parse_endpoint(parser: _Parser, after: str | None):
    token = parser.take()
    if token.kind == "str":
        return _Literal(STRING, token.value, token.text)
    if token.kind == "num":
        return _Literal(NUMBER, token.value, token.text)
    if token.kind == "name":
        return _parse_named(parser, token.text)
    where = f' after "{after}"' if after else ""
    found = "" if token.kind == "end" else f', found "{token.text}"'
    raise _Refusal(f"expected a value{where}{found}")


def _parse_named(parser: _Parser, word: str):
    if word in _CONSTANTS:
        return _Literal(*_CONSTANTS[word], word)
    if word == "date" and parser.at_name("and") and parser.at_name("time", 1) and parser.at_op("(", 2):
        parser.take()
        parser.take()
        return _parse_temporal(parser, "date and time")
    if word in _TEMPORAL_READERS and parser.at_op("("):
        return _parse_temporal(parser, word)
    if parser.at_op("("):
        raise _Refusal(f"function {word}() is not supported: only date(...), date and time(...) "
                       "and duration(...)")
    first = word.split(".")[0]
    if first in _KEYWORD_HINTS:
        raise _Refusal(_KEYWORD_HINTS[first])
    if first in _RESERVED:
        raise _Refusal(f'"{word}" is a FEEL keyword and cannot be used here')
    return _Name(tuple(word.split(".")), word)


def _parse_temporal(parser: _Parser, function: str) -> _Literal:
    kind, read, example = _TEMPORAL_READERS[function]
    parser.take()  # "("
    argument = parser.take()
    if argument.kind != "str":
        raise _Refusal(f"{function}(...) needs text in double quotes, e.g. {example}")
    parser.expect_op(")", f'{function}(...) is missing its closing ")"')
    return _Literal(kind, read(argument.value), f"{function}({argument.text})")


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")
_DURATION_RE = re.compile(
    r"(-)?P(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def _read_date(text: str) -> date:
    try:
        if _DATE_RE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise _Refusal(f'not a valid date: "{text}" (write e.g. date("2026-01-31"))')


def _read_datetime(text: str) -> datetime:
    try:
        if _DATETIME_RE.fullmatch(text):
            moment = datetime.fromisoformat(text)
            return _beijing_naive(moment) if moment.tzinfo else moment
    except ValueError:
        pass
    raise _Refusal(f'not a valid date and time: "{text}" (write e.g. '
                   'date and time("2026-01-31T09:00:00"))')


def _read_duration(text: str) -> timedelta:
    match = _DURATION_RE.fullmatch(text)
    if not match or not any(match.groups()[1:]):
        raise _Refusal(f'not a valid duration: "{text}" (write days and times, e.g. '
                       'duration("P3D") or duration("PT4H"))')
    sign, days, hours, minutes, seconds = match.groups()
    span = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0),
                     seconds=float(seconds or 0))
    return -span if sign else span


_TEMPORAL_READERS = {
    "date": (DATE, _read_date, 'date("2026-01-31")'),
    "date and time": (DATETIME, _read_datetime, 'date and time("2026-01-31T09:00:00")'),
    "duration": (DURATION, _read_duration, 'duration("P3D")'),
}


# --- compiling to closures -------------------------------------------------------------------
# A compiled test is `match(kind, value, context) -> bool`, the input's kind worked out once.

class _MissingName(Exception):
    pass


_MISSING = object()
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _reader(endpoint):
    """context -> the endpoint's value; a name absent from the context raises _MissingName."""
    if isinstance(endpoint, _Literal):
        value = endpoint.value
        return lambda context: value
    first, rest = endpoint.path[0], endpoint.path[1:]

    def read(context):
        value = context.get(first, _MISSING) if context is not None else _MISSING
        for part in rest:
            value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        if value is _MISSING:
            raise _MissingName(endpoint.text)
        if type(value) is datetime and value.tzinfo is not None:
            return _beijing_naive(value)
        return value
    return read


def _compile_equal(test: _Equal):
    endpoint = test.endpoint
    if isinstance(endpoint, _Literal):
        wanted_kind, wanted = endpoint.kind, endpoint.value
        if wanted_kind is NULL:
            return lambda kind, value, context: kind is NULL
        return lambda kind, value, context: kind is wanted_kind and value == wanted
    read = _reader(endpoint)

    def equal_name(kind, value, context):
        other = read(context)
        return _kind_of(other) is kind and value == other
    return equal_name


def _compile_compare(test: _Compare):
    compare, endpoint = _COMPARE[test.op], test.endpoint
    if isinstance(endpoint, _Literal):
        wanted_kind, bound = endpoint.kind, endpoint.value
        return lambda kind, value, context: kind is wanted_kind and compare(value, bound)
    read = _reader(endpoint)

    def compare_name(kind, value, context):
        other = read(context)
        return kind in _ORDERED_KINDS and _kind_of(other) is kind and compare(value, other)
    return compare_name


def _compile_range(test: _Range):
    above_low = operator.le if test.low_closed else operator.lt  # above_low(low, value)
    below_high = operator.le if test.high_closed else operator.lt  # below_high(value, high)
    if isinstance(test.low, _Literal) and isinstance(test.high, _Literal):
        wanted_kind, low, high = test.low.kind, test.low.value, test.high.value
        return lambda kind, value, context: (
            kind is wanted_kind and above_low(low, value) and below_high(value, high))
    read_low, read_high = _reader(test.low), _reader(test.high)

    def range_with_names(kind, value, context):
        low, high = read_low(context), read_high(context)
        return (kind in _ORDERED_KINDS and _kind_of(low) is kind and _kind_of(high) is kind
                and above_low(low, value) and below_high(value, high))
    return range_with_names


_COMPILERS = {_Equal: _compile_equal, _Compare: _compile_compare, _Range: _compile_range}


def _compile_tests(negated: bool, tests: list):
    alternatives = tuple(_COMPILERS[type(test)](test) for test in tests)
    if len(alternatives) == 1:
        match = alternatives[0]
    else:
        def match(kind, value, context):
            # As FEEL's "or" with null: one true alternative decides even if another names a
            # missing variable; otherwise the missing name makes the whole entry fail (even under not).
            missing = None
            for alternative in alternatives:
                try:
                    if alternative(kind, value, context):
                        return True
                except _MissingName as err:
                    missing = err
            if missing is not None:
                raise missing
            return False
    if negated:
        inner = match
        return lambda kind, value, context: not inner(kind, value, context)
    return match


def _endpoints(tests: list):
    for test in tests:
        if isinstance(test, _Range):
            yield test.low
            yield test.high
        else:
            yield test.endpoint


# --- public API ------------------------------------------------------------------------------

class UnaryTest:
    """A compiled input entry: call it with the input value and the variables."""

    __slots__ = ("_match", "_negated", "_tests", "_value_set", "names", "text", "type_ref")

    def __init__(self, text: str, type_ref: str | None, negated: bool, tests: list):
        self.text = text
        self.type_ref = type_ref
        self.names = frozenset(
            endpoint.path[0] for endpoint in _endpoints(tests) if isinstance(endpoint, _Name))
        self._negated = negated
        self._tests = tuple(tests)
        self._match = _compile_tests(negated, tests)
        self._value_set = None  # built on first may_overlap

    def __call__(self, value, context: dict | None = None) -> bool:
        kind = _KIND_BY_TYPE.get(type(value)) or _kind_of_subclass(value)
        if kind is DATETIME and value.tzinfo is not None:
            value = _beijing_naive(value)
        try:
            return self._match(kind, value, context)
        except (_MissingName, TypeError, ArithmeticError):
            # A missing name or values Python cannot compare: the rule does not match.
            return False

    def __repr__(self) -> str:
        return f"UnaryTest({self.text!r})"


def compile_input_entry(text: str | None, type_ref: str | None = None) -> UnaryTest | None:
    """None for '-' or empty/whitespace (matches anything). Raises FeelError."""
    if text is None:
        return None
    _check_length(text)
    if text.strip() in ("", "-"):
        return None
    return _compile_input_entry(text.strip(), type_ref)


@lru_cache(maxsize=4096)
def _compile_input_entry(text: str, type_ref: str | None) -> UnaryTest:
    try:
        negated, tests = _parse_unary_tests(_Parser(_tokenize(text)))
        for endpoint in _endpoints(tests):
            if isinstance(endpoint, _Literal):
                _check_type(endpoint, type_ref, "column")
    except _Refusal as refusal:
        raise FeelError(_cannot_read(text, refusal)) from None
    return UnaryTest(text, type_ref, negated, tests)


def output_value(text: str | None, type_ref: str | None = None):
    """An output entry's literal value. Empty/None -> None. Raises FeelError."""
    if text is None:
        return None
    _check_length(text)
    text = text.strip()
    if not text:
        return None
    if text == "-":
        raise FeelError('cannot read "-": an output cannot be "-", leave the cell empty for no value')
    try:
        literal = _parse_output(_Parser(_tokenize(text)))
        _check_type(literal, type_ref, "output")
    except _Refusal as refusal:
        raise FeelError(_cannot_read(text, refusal)) from None
    return _convert_output(literal, _type_name(type_ref))


def _parse_output(parser: _Parser) -> _Literal:
    token = parser.peek()
    if token.kind == "name" and token.text not in _CONSTANTS and token.text not in _TEMPORAL_READERS \
            and not parser.at_op("(", 1):
        raise _Refusal(f'text must be in double quotes: "{token.text}"')
    literal = _parse_endpoint(parser, after=None) if token.kind != "op" else None
    if literal is None or isinstance(literal, _Name) or parser.peek().kind != "end":
        found = parser.peek().text if literal is not None else token.text
        raise _Refusal("an output must be a single value (text in double quotes, a number, true, "
                       f'false, null or a date), found "{found}"')
    return literal


def _check_type(literal: _Literal, type_ref: str | None, what: str) -> None:
    type_name = _type_name(type_ref)
    allowed = _KINDS_BY_TYPE_REF.get(type_name)
    if allowed is None or literal.kind is NULL or literal.kind in allowed:
        return
    hint = ""
    if type_name == "string" and literal.kind is not STRING:
        hint = f', write "{literal.text}"'
    elif type_name == "date" and literal.kind is STRING:
        hint = f", write date({literal.text})"
    raise _Refusal(f"{literal.text} is {_KIND_WORDS[literal.kind]} but the {what} type is "
                   f"{type_name}{hint}")


def _convert_output(literal: _Literal, type_name: str | None):
    value = literal.value
    if literal.kind is not NUMBER or type_name not in _NUMBER_TYPES:
        return value
    if type_name in _WHOLE_NUMBER_TYPES:
        if value != int(value):
            raise FeelError(_cannot_read(literal.text, f"the output type is {type_name}: "
                                                       "write a whole number"))
        return int(value)
    return float(value) if type_name == "double" else value


def _check_length(text: str) -> None:
    if len(text) > MAX_ENTRY_LENGTH:
        raise FeelError(f"entry is too long ({len(text)} characters, at most {MAX_ENTRY_LENGTH})")


def _cannot_read(text: str, reason) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return f'cannot read "{shown}": {reason}'


def coerce_input(value, type_ref: str | None):
    """Input value as the table's typeRef reads it: numbers from numeric strings, dates from ISO
    strings, booleans from "true"/"false"; bools are never numbers. Values that cannot be read are
    returned unchanged (they then just fail comparisons, never raise)."""
    type_name = _type_name(type_ref)
    if type_name in _NUMBER_TYPES and isinstance(value, str):
        return _number_from_text(value)
    if type_name == "date":
        return _date_from(value)
    if type_name == "boolean" and isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower(), value)
    return value


_NUMBER_CHARS = frozenset(string.digits + "+-.")


def _number_from_text(text: str):
    written = text.strip()
    # int()/float() also read "1_000", "nan", "inf" and full-width digits: not numbers here.
    if not written or not set(written) <= _NUMBER_CHARS:
        return text
    try:
        return int(written)
    except ValueError:
        pass
    try:
        return float(written)
    except ValueError:
        return text


def _date_from(value):
    if isinstance(value, datetime):
        return _beijing_naive(value) if value.tzinfo is not None else value
    if not isinstance(value, str):
        return value
    written = value.strip()
    try:
        if len(written) == 10:
            return date.fromisoformat(written)
        moment = datetime.fromisoformat(written)
    except ValueError:
        return value
    return _beijing_naive(moment) if moment.tzinfo is not None else moment


# --- overlap ---------------------------------------------------------------------------------
# A literal-only test is a set of values: per kind, a list of intervals (low, low_closed, high,
# high_closed) over that kind's order. Points are closed intervals; not(...) is the complement
# over every kind, including values of no known kind.

class _Infinity:
    """Above (or below) every value of any ordered kind."""

    def __init__(self, sign: int):
        self.sign = sign

    def __lt__(self, other):
        return self is not other and self.sign < 0

    def __gt__(self, other):
        return self is not other and self.sign > 0

    def __le__(self, other):
        return self is other or self.sign < 0

    def __ge__(self, other):
        return self is other or self.sign > 0

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__


_BELOW_ALL, _ABOVE_ALL = _Infinity(-1), _Infinity(1)
_WHOLE_LINE = (_BELOW_ALL, False, _ABOVE_ALL, False)
_SINGLE_POINT = (0, True, 0, True)  # null and unknown kinds: a kind with one "value"
_KIND_EXTENT = {
    NUMBER: _WHOLE_LINE, STRING: _WHOLE_LINE, DATE: _WHOLE_LINE, DATETIME: _WHOLE_LINE,
    DURATION: _WHOLE_LINE, BOOLEAN: (False, True, True, True), NULL: _SINGLE_POINT,
    OTHER: _SINGLE_POINT,
}


def _value_set(test: UnaryTest) -> dict:
    if test._value_set is None:
        positive: dict[str, list] = {}
        for atom in test._tests:
            kind, interval = _interval(atom)
            positive.setdefault(kind, []).append(interval)
        test._value_set = _complement(positive) if test._negated else positive
    return test._value_set


def _interval(test) -> tuple[str, tuple]:
    if isinstance(test, _Range):
        return test.low.kind, (test.low.value, test.low_closed, test.high.value, test.high_closed)
    literal = test.endpoint
    if isinstance(test, _Equal):
        point = _SINGLE_POINT if literal.kind is NULL else (literal.value, True, literal.value, True)
        return literal.kind, point
    value = literal.value
    return literal.kind, {
        "<": (_BELOW_ALL, False, value, False), "<=": (_BELOW_ALL, False, value, True),
        ">": (value, False, _ABOVE_ALL, False), ">=": (value, True, _ABOVE_ALL, False),
    }[test.op]


def _complement(value_set: dict) -> dict:
    return {kind: _gaps(sorted(value_set.get(kind, []), key=lambda iv: (iv[0], not iv[1])), extent)
            for kind, extent in _KIND_EXTENT.items()}


def _gaps(intervals: list, extent: tuple) -> list:
    """The parts of `extent` that none of the (sorted) intervals cover."""
    gaps = []
    low, low_closed = extent[0], extent[1]
    for start, start_closed, end, end_closed in intervals:
        gaps.append((low, low_closed, start, not start_closed))
        if end > low or (end == low and end_closed):
            low, low_closed = end, not end_closed
    gaps.append((low, low_closed, extent[2], extent[3]))
    return [gap for gap in gaps if _non_empty(gap)]


def _non_empty(interval: tuple) -> bool:
    low, low_closed, high, high_closed = interval
    return low < high or (low == high and low_closed and high_closed)


def _intersection(a: tuple, b: tuple) -> tuple:
    # The later start and the earlier end; at a tie, the open end is the tighter one.
    low = a[:2] if a[0] > b[0] or (a[0] == b[0] and not a[1]) else b[:2]
    high = a[2:] if a[2] < b[2] or (a[2] == b[2] and not a[3]) else b[2:]
    return low + high


def _discrete(kind: str, interval: tuple, whole_numbers: bool) -> tuple:
    """The interval's ends moved onto the values that exist: whole days, whole numbers, booleans."""
    low, low_closed, high, high_closed = interval
    if kind is DATE:
        step = timedelta(days=1)
        if not low_closed and isinstance(low, date):
            low, low_closed = low + step, True
        if not high_closed and isinstance(high, date):
            high, high_closed = high - step, True
    elif kind is BOOLEAN or (kind is NUMBER and whole_numbers):
        if not isinstance(low, _Infinity):
            low, low_closed = (math.floor(low) + 1 if not low_closed else math.ceil(low)), True
        if not isinstance(high, _Infinity):
            high, high_closed = (math.ceil(high) - 1 if not high_closed else math.floor(high)), True
    return low, low_closed, high, high_closed


def _sets_intersect(a: dict, b: dict, whole_numbers: bool) -> bool:
    for kind, intervals in a.items():
        for first in intervals:
            for second in b.get(kind, ()):
                if _non_empty(_discrete(kind, _intersection(first, second), whole_numbers)):
                    return True
    return False


def may_overlap(a: UnaryTest | None, b: UnaryTest | None) -> bool:
    """True if some single value could pass both tests (None = '-' passes everything).
    Exact for literal-only tests; a test that refers to a name gives False (it cannot be known,
    and a false overlap warning would be wrong)."""
    if a is None and b is None:
        return True
    if (a is not None and a.names) or (b is not None and b.names):
        return False
    whole_numbers = any(t is not None and _type_name(t.type_ref) in _WHOLE_NUMBER_TYPES for t in (a, b))
    everything = _complement({})
    first = _value_set(a) if a is not None else everything
    second = _value_set(b) if b is not None else everything
    return _sets_intersect(first, second, whole_numbers)
