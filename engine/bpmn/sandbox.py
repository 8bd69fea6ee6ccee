"""Sandboxed evaluation of BPMN scripts and expressions.

Administrators upload BPMN, so its Python must never reach the operating
system. RestrictedPython compiles the code with guards: no imports, no names or
attributes starting with an underscore (so no `__class__.__mro__` walks), no
classes, a short list of builtins. On top of that we bound run time (a line
budget and a wall-clock limit enforced by a trace function, which a script
cannot catch: no bare `except`, no `Exception`/`BaseException`) and the size of
values built in C where a trace function cannot interrupt: `*`, `**`, `<<`,
`pow()`, `%`-formatting, f-string and `format()` widths, and the str/bytes
methods that pad or multiply their input (ljust, rjust, center, zfill,
expandtabs, replace, join).

`print()` is allowed (scripts from Camunda Modeler and SpiffWorkflow's examples
debug with it): its output goes to the log (logger `engine.bpmn.scripts`), the
first MAX_PRINTED characters of each run, never to the process's stdout.
"""
import ast
import logging
import math
import re
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from engine.bpmn.json_data import as_stored, stored_size, stored_size_over
from engine.errors import ScriptLimitExceeded, ScriptRejected

MAX_LINES = 200_000          # line events per script run
MAX_SECONDS = 2.0            # wall-clock per script run
MAX_RANGE = 1_000_000        # longest range() a script may build
MAX_SEQUENCE = 1_000_000     # longest str/list/bytes built by `*`
MAX_INT_BITS = 4096          # largest integer built by `**` or `<<`

MAX_PRINTED = 2000           # characters of a run's print() output that reach the log

SCRIPT_FILENAME = "<bpmn-script>"

script_log = logging.getLogger("engine.bpmn.scripts")
# Who is running (set by engine.bpmn.script_engine), for the log line of what a script printed.
_printing_as: ContextVar[str] = ContextVar("duban_printing_as", default="a BPMN script")

# Names that would reach outside the task data; rejected when the BPMN is deployed.
FORBIDDEN_NAMES = frozenset({
    "open", "exec", "eval", "compile", "globals", "locals", "vars", "getattr", "setattr",
    "delattr", "__import__", "input", "breakpoint", "type", "object", "super", "help", "exit", "quit",
    # The budget's own exception must not be caught (a loop around `try` would never end).
    "Exception", "BaseException",
})


class _DubanPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus guarded `*`, `**`, `<<`, `%` and f-string widths."""

    _GUARDED_OPS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}

    def visit_ClassDef(self, node):
        self.error(node, "class definitions are not allowed in BPMN scripts")

    def visit_ExceptHandler(self, node):
        if node.type is None:
            self.error(node, "a bare except is not allowed in BPMN scripts; name the errors to catch")
        return super().visit_ExceptHandler(node)

    def visit_FormattedValue(self, node):
        node = self.node_contents_visit(node)
        spec = node.format_spec
        if isinstance(spec, ast.JoinedStr):
            for index, part in enumerate(spec.values):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    if _too_wide(part.value):
                        self.error(node, f"a format width over {MAX_SEQUENCE} is not allowed")
                elif isinstance(part, ast.FormattedValue):
                    # A width computed at run time is checked when it is known.
                    call = ast.Call(func=ast.Name(id="_width_", ctx=ast.Load()), args=[part.value], keywords=[])
                    part.value = ast.fix_missing_locations(ast.copy_location(call, part.value))
        return node

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        guard = self._GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(id=guard, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_Import(self, node):
        self.error(node, "import is not allowed in BPMN scripts")

    visit_ImportFrom = visit_Import

    def visit_Name(self, node):
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not available in BPMN scripts')
        return super().visit_Name(node)

    def visit_AugAssign(self, node):
        if isinstance(node.op, tuple(self._GUARDED_OPS)):
            self.error(node, "augmented *=, **=, <<= and %= are not allowed; write x = x * y")
        return super().visit_AugAssign(node)


def _too_wide(text: str) -> bool:
    """Whether a format specification asks for a width or precision over the limit."""
    return any(int(number) > MAX_SEQUENCE for number in re.findall(r"\d+", text))


def _limit(size: int, what: str = "text") -> None:
    if size > MAX_SEQUENCE:
        raise ScriptLimitExceeded(f"{what} too large")


def _width_(value):
    if isinstance(value, int) and not isinstance(value, bool):
        _limit(value, "format width")
    return value


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")


def _mod_(a, b):
    """`%`: for text, no width or precision (given or `*`) over the limit."""
    if isinstance(a, (str, bytes)):
        text = a.decode("latin-1") if isinstance(a, bytes) else a
        for width, precision in _PERCENT_SPEC.findall(text):
            for part in (width, precision):
                if part.isdigit():
                    _limit(int(part), "format width")
        if "*" in text:
            for arg in (b if isinstance(b, tuple) else (b,)):
                _width_(arg)
    return a % b


def _size_of(value):
    try:
        return len(value)
    except TypeError:
        return None


def _mul_(a, b):
    for seq, count in ((a, b), (b, a)):
        if isinstance(count, int) and _size_of(seq) is not None and not isinstance(seq, dict):
            if _size_of(seq) * count > MAX_SEQUENCE:
                raise ScriptLimitExceeded("sequence too large")
    return a * b


def _pow_(a, b):
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        if b * math.log2(abs(a)) > MAX_INT_BITS:
            raise ScriptLimitExceeded("number too large")
    return a ** b


def _lshift_(a, b):
    if isinstance(b, int) and b > MAX_INT_BITS:
        raise ScriptLimitExceeded("number too large")
    return a << b


def _limited_pow(base, exp, mod=None):
    return pow(base, exp, mod) if mod is not None else _pow_(base, exp)


def _text_method(value, name, method):
    """str/bytes methods whose result can grow far beyond their input, checked before they run."""
    if name in ("ljust", "rjust", "center", "zfill"):
        def padded(width, *rest):
            _width_(width)
            return method(width, *rest)
        return padded
    if name == "expandtabs":
        def expanded(tabsize=8):
            _limit(len(value) * max(int(tabsize), 1))
            return method(tabsize)
        return expanded
    if name == "replace":
        def replaced(old, new, count=-1):
            found = value.count(old) if old else len(value) + 1
            if count is not None and count >= 0:
                found = min(found, count)
            _limit(len(value) + found * max(len(new) - len(old), 0))
            return method(old, new, count)
        return replaced
    if name == "join":
        def joined(items):
            items = list(items)
            _limit(sum(len(item) for item in items if isinstance(item, (str, bytes)))
                   + len(value) * max(len(items) - 1, 0))
            return method(items)
        return joined
    return method  # (str.format and format_map are refused by RestrictedPython itself)


def _getattr_(obj, name, default=None):
    value = safer_getattr(obj, name, default)
    if isinstance(obj, (str, bytes)) and callable(value):
        return _text_method(obj, name, value)
    return value


def _limited_format(value, spec=""):
    if _too_wide(str(spec)):
        _limit(MAX_SEQUENCE + 1, "format width")
    return format(value, spec)


def _limited_range(*args):
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ScriptLimitExceeded(f"range longer than {MAX_RANGE}")
    return r


def _inplacevar_(op, x, y):
    ops = {"+=": lambda: x + y, "-=": lambda: x - y, "/=": lambda: x / y, "//=": lambda: x // y,
           "%=": lambda: x % y, "|=": lambda: x | y, "&=": lambda: x & y, "^=": lambda: x ^ y,
           ">>=": lambda: x >> y}
    if op not in ops:
        raise ScriptRejected(f"operator {op} is not allowed")
    return ops[op]()


_EXTRA_BUILTINS = {
    "dict": dict, "list": list, "set": set, "frozenset": frozenset, "tuple": tuple,
    "min": min, "max": max, "sum": sum, "any": any, "all": all, "sorted": sorted,
    "enumerate": enumerate, "zip": zip, "map": map, "filter": filter, "reversed": reversed,
    "range": _limited_range, "str": str, "int": int, "float": float, "bool": bool,
    "pow": _limited_pow, "format": _limited_format,
}
_BUILTINS = {k: v for k, v in safe_builtins.items() if k not in ("setattr", "delattr", "__build_class__")}
_BUILTINS.update(_EXTRA_BUILTINS)

_GUARDS = {
    "__builtins__": _BUILTINS,
    "_getattr_": _getattr_,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar_,
    "_mul_": _mul_,
    "_pow_": _pow_,
    "_lshift_": _lshift_,
    "_mod_": _mod_,
    "_width_": _width_,
}
_RESERVED = frozenset(_GUARDS)


class PrintSink:
    """What print() wrote during one run: its first MAX_PRINTED characters (later text is not even
    turned into a string, so printing in a loop costs next to nothing)."""

    def __init__(self):
        self._parts: list[str] = []
        self._room = MAX_PRINTED
        self.cut = False

    @property
    def full(self) -> bool:
        return self._room <= 0

    def write(self, text) -> None:
        text = str(text)
        if len(text) > self._room:
            self.cut = True
        if self._room > 0:
            self._parts.append(text[:self._room])
            self._room -= len(self._parts[-1])

    def text(self) -> str:
        kept = "".join(self._parts)
        return f"{kept}... (cut at {MAX_PRINTED} characters)" if self.cut else kept

    def printer(self, _getattr_=None) -> "_Printer":
        """RestrictedPython's `_print_`: called once per module or function scope that prints."""
        return _Printer(self)


class _Printer:
    """What RestrictedPython turns `print(...)` into (`_print._call_print(...)`) and `printed` into
    (`_print()`), writing to the run's sink."""

    def __init__(self, sink: PrintSink):
        self._sink = sink

    def _call_print(self, *objects, sep=" ", end="\n", file=None, flush=False):
        # Whatever `file` a script names, its output goes to the log (and nowhere else).
        if self._sink.full:
            self._sink.cut = True
            return
        print(*objects, sep=sep, end=end, file=self._sink)

    def __call__(self) -> str:
        return self._sink.text()


@contextmanager
def printing_as(who: str):
    """Name who runs the scripts inside (an element), for the log line of what they print."""
    token = _printing_as.set(who)
    try:
        yield
    finally:
        _printing_as.reset(token)


def log_printed(text: str | None) -> None:
    if text:
        script_log.info("%s printed: %s", _printing_as.get(), text.rstrip("\n"))


@lru_cache(maxsize=4096)
def compile_script(source: str):
    """Compile a script task's body; raise ScriptRejected listing what breaks the rules."""
    result = compile_restricted_exec(source, filename=SCRIPT_FILENAME, policy=_DubanPolicy)
    if result.errors:
        raise ScriptRejected("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=4096)
def compile_expression(source: str):
    """Compile an expression (gateway condition, timer, assignee ...)."""
    result = compile_restricted_eval(source.strip(), filename=SCRIPT_FILENAME, policy=_DubanPolicy)
    if result.errors:
        raise ScriptRejected("; ".join(result.errors))
    return result.code


class _Budget:
    """A trace function that stops runaway scripts (loops, recursion)."""

    def __init__(self, max_lines=MAX_LINES, max_seconds=MAX_SECONDS):
        self.lines_left = max_lines
        self.deadline = time.monotonic() + max_seconds

    def __call__(self, frame, event, arg):
        # Only our own code is traced line by line; library frames run untraced.
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None
        if event == "line":
            self.lines_left -= 1
            if self.lines_left < 0:
                raise ScriptLimitExceeded(f"script ran more than {MAX_LINES} steps")
            if self.lines_left % 1000 == 0 and time.monotonic() > self.deadline:
                raise ScriptLimitExceeded(f"script ran longer than {MAX_SECONDS} s")
        return self


def _run(code, namespace):
    budget = _Budget()
    previous = sys.gettrace()
    sys.settrace(budget)
    try:
        # eval() runs exec-mode code objects too (returning None); the new
        # frame it starts is traced from its first line.
        return eval(code, namespace)
    finally:
        sys.settrace(previous)


def _namespace(context: dict, functions: dict | None, sink: PrintSink):
    namespace = dict(_GUARDS)
    # A script's scopes make their `_print` from `_print_`; an expression has no scope and uses `_print`.
    namespace["_print_"] = sink.printer
    namespace["_print"] = sink.printer()
    if functions:
        namespace.update(functions)
    namespace.update(context)
    return namespace


@contextmanager
def _printing(printed: PrintSink | None):
    """The run's print sink: the caller's (a worker sends the text back), else one logged here."""
    sink = printed if printed is not None else PrintSink()
    try:
        yield sink
    finally:
        if printed is None:
            log_printed(sink.text())  # a script that fails has printed its way there: logged too


def evaluate(expression: str, context: dict, functions: dict | None = None, printed: PrintSink | None = None):
    """Evaluate an expression against task data; returns its value."""
    code = compile_expression(expression)
    with _printing(printed) as sink:
        return _run(code, _namespace(context, functions, sink))


def execute(script: str, context: dict, functions: dict | None = None, max_growth_bytes: int | None = None,
            printed: PrintSink | None = None) -> None:
    """Run a script against task data, writing its variables back into `context`.

    With `max_growth_bytes`, results that would store more than that many bytes beyond the data the
    script was given are refused before anything is written back. What it prints goes to `printed`,
    or to the log."""
    code = compile_script(script)
    size_before = stored_size(context) if max_growth_bytes is not None else 0
    with _printing(printed) as sink:
        namespace = _namespace(context, functions, sink)
        _run(code, namespace)
    blocked = _RESERVED | set(functions or ())
    results = {key: value for key, value in namespace.items()
               if not (key in blocked or key.startswith("_") or callable(value) or isinstance(value, type(sys)))}
    if max_growth_bytes is not None and stored_size_over(results, size_before + max_growth_bytes):
        raise ScriptLimitExceeded(f"the script's results are larger than {max_growth_bytes} bytes")
    for key in list(context):
        if key not in namespace:
            del context[key]
    for key, value in results.items():
        context[key] = as_stored(value)  # what the next load of this data will read back
