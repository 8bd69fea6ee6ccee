"""Camunda's `${...}` expressions (a documented JUEL subset) turned into Python.

Supported: variables and literals (strings, numbers, true/false/null), comparisons
(== != < > <= >= and eq ne lt gt le ge), `&&` `||` `!` (and, or, not), `empty x`,
arithmetic, parentheses, item access `a['b']` and dotted access on dicts
`lead.grade` (read as `lead['grade']`), and Camunda's due-date idiom
`dateTime().plusDays(2).toDate()` (read as the duration `P2D`). Other method and function calls
(`${x.getClass()}`, `${f(x)}`) are refused: JUEL would call Java methods, which
have no meaning here. The result is evaluated in the same
sandbox as Python expressions, so JUEL gets no more power than Python does.
"""
import re

from engine.errors import ScriptRejected

_TOKEN = re.compile(r"""
    (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>&&|\|\||==|!=|<=|>=|!|<|>|\+|-|\*|/|%|\(|\)|\[|\]|,|\?|:)
  | (?P<space>\s+)
""", re.VERBOSE)

_WORD_OPS = {"and": "and", "or": "or", "not": "not", "eq": "==", "ne": "!=", "lt": "<",
             "gt": ">", "le": "<=", "ge": ">=", "true": "True", "false": "False",
             "null": "None", "div": "/", "mod": "%"}
_SYMBOL_OPS = {"&&": "and", "||": "or", "!": "not"}

_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)


def is_juel(text: str | None) -> bool:
    return bool(text) and _WRAPPED.match(text) is not None


def _is_operand(token) -> bool:
    """Whether a `(` after this token would call it."""
    if token is None:
        return False
    kind, text = token
    if kind == "name":
        return text not in _WORD_OPS and text != "empty"
    return kind in ("string", "number") or text in (")", "]")


def _dotted(name: str) -> str:
    head, *rest = name.split(".")
    return head + "".join(f"[{part!r}]" for part in rest)


# Camunda's documented due-date idiom, `${dateTime().plusDays(2).toDate()}`: a time from now, which
# is what an ISO duration means where due dates and timers read it.
_DATE_TIME = re.compile(r"^\s*dateTime\(\)((?:\s*\.\s*plus(?:Years|Months|Weeks|Days|Hours|Minutes|Seconds)"
                        r"\(\s*\d+\s*\))*)\s*(?:\.\s*toDate\(\s*\))?\s*$")
_PLUS = re.compile(r"plus(Years|Months|Weeks|Days|Hours|Minutes|Seconds)\(\s*(\d+)\s*\)")
_UNITS = {"Years": "Y", "Months": "M", "Weeks": "W", "Days": "D", "Hours": "H", "Minutes": "M", "Seconds": "S"}


def _date_time_duration(body: str) -> str | None:
    match = _DATE_TIME.match(body)
    if match is None:
        return None
    totals = {}
    for unit, amount in _PLUS.findall(match[1]):
        totals[unit] = totals.get(unit, 0) + int(amount)
    date = "".join(f"{totals[u]}{_UNITS[u]}" for u in ("Years", "Months", "Weeks", "Days") if u in totals)
    time = "".join(f"{totals[u]}{_UNITS[u]}" for u in ("Hours", "Minutes", "Seconds") if u in totals)
    return "P" + date + (f"T{time}" if time else "") if date or time else "PT0S"


def to_python(text: str) -> str:
    """Translate `${...}` into a Python expression; raise ScriptRejected if unsupported."""
    match = _WRAPPED.match(text)
    if not match:
        raise ScriptRejected(f"not a ${{...}} expression: {text!r}")
    duration = _date_time_duration(match.group(1))
    if duration is not None:
        return repr(duration)
    body, out, pos = match.group(1), [], 0
    pending_empty = 0
    previous = None  # (kind, text) of the last token, to tell a call from a parenthesis
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if not m:
            raise ScriptRejected(f"unsupported syntax in expression at: {body[pos:pos + 20]!r}")
        pos = m.end()
        kind, value = m.lastgroup, m.group()
        if kind == "space":
            continue
        if value == "(" and _is_operand(previous):
            raise ScriptRejected(f"method and function calls are not supported in ${{...}} expressions: "
                                 f"{previous[1]}(...)")
        previous = (kind, value)
        if kind == "name":
            if value == "empty":
                out.append("is_empty(")
                pending_empty += 1
                continue
            out.append(_WORD_OPS.get(value, _dotted(value)))
        elif kind == "op":
            if value in ("?", ":"):
                raise ScriptRejected("the ?: operator is not supported; use a gateway")
            out.append(_SYMBOL_OPS.get(value, value))
        else:
            out.append(value)
        # `empty` applies to the single operand that follows it.
        if pending_empty and kind in ("name", "string", "number"):
            out.append(")" * pending_empty)
            pending_empty = 0
    if pending_empty:
        raise ScriptRejected("`empty` needs an operand")
    return " ".join(out)


def is_empty(value) -> bool:
    return value is None or (hasattr(value, "__len__") and len(value) == 0)


FUNCTIONS = {"is_empty": is_empty}
