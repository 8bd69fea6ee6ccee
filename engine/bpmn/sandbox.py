"""Sandboxed evaluation of BPMN scripts and expressions.

Administrators upload BPMN, so its Python must never reach the operating
system. RestrictedPython compiles the code with guards: no imports, no names or
attributes starting with an underscore (so no `__class__.__mro__` walks), a
short list of builtins. On top of that we bound run time (a line budget and a
wall-clock limit enforced by a trace function) and the size of values built by
`*`, `**` and `<<`, which a trace function cannot interrupt.
"""
import ast
import math
import sys
import time
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

from engine.errors import ScriptLimitExceeded, ScriptRejected

MAX_LINES = 200_000          # line events per script run
MAX_SECONDS = 2.0            # wall-clock per script run
MAX_RANGE = 1_000_000        # longest range() a script may build
MAX_SEQUENCE = 1_000_000     # longest str/list/bytes built by `*`
MAX_INT_BITS = 4096          # largest integer built by `**` or `<<`

SCRIPT_FILENAME = "<bpmn-script>"

# Names that would reach outside the task data; rejected when the BPMN is deployed.
FORBIDDEN_NAMES = frozenset({
    "open", "exec", "eval", "compile", "globals", "locals", "vars", "getattr", "setattr",
    "delattr", "__import__", "input", "breakpoint", "type", "object", "super", "help", "exit", "quit",
})


class _DubanPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus guarded `*`, `**` and `<<`."""

    _GUARDED_OPS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_"}

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
            self.error(node, "augmented *=, **= and <<= are not allowed; write x = x * y")
        return super().visit_AugAssign(node)


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
}
_BUILTINS = {k: v for k, v in safe_builtins.items() if k not in ("setattr", "delattr", "__build_class__")}
_BUILTINS.update(_EXTRA_BUILTINS)

_GUARDS = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar_,
    "_mul_": _mul_,
    "_pow_": _pow_,
    "_lshift_": _lshift_,
}
_RESERVED = frozenset(_GUARDS)


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


def _namespace(context: dict, functions: dict | None):
    namespace = dict(_GUARDS)
    if functions:
        namespace.update(functions)
    namespace.update(context)
    return namespace


def evaluate(expression: str, context: dict, functions: dict | None = None):
    """Evaluate an expression against task data; returns its value."""
    code = compile_expression(expression)
    return _run(code, _namespace(context, functions))


def execute(script: str, context: dict, functions: dict | None = None) -> None:
    """Run a script against task data, writing its variables back into `context`."""
    code = compile_script(script)
    namespace = _namespace(context, functions)
    _run(code, namespace)
    blocked = _RESERVED | set(functions or ())
    for key in list(context):
        if key not in namespace:
            del context[key]
    for key, value in namespace.items():
        if key in blocked or key.startswith("_") or callable(value) or isinstance(value, type(sys)):
            continue
        context[key] = value
