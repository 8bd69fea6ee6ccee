"""Which BPMN expressions are cheap by construction, so they may run in the app's own process.

Isolating a script in a worker process costs a round trip. Most expressions a
process carries (gateway conditions such as `outcome == 'verified'`, due dates
such as `workdays_from(now, 15)`) cannot loop, repeat or build large values:
their time and memory grow at most linearly with the task data and the
expression's own length. Those run in-process. Anything else — loops,
comprehensions, functions, repetition operators, method calls, calls to
builtins that iterate (`sum`, `map`, `sorted` ...) — goes to the isolated
worker (engine.bpmn.isolation), where the operating system bounds it.
"""
import ast
from functools import lru_cache

MAX_NODES = 200

# Builtins whose cost is at most linear in their argument's size.
# (`round` is not: `round(10, -10**9)` computes a power of ten with a billion digits.)
CHEAP_BUILTINS = frozenset({"len", "str", "int", "float", "bool", "abs", "is_empty"})

_LEAF_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Attribute, ast.Subscript, ast.Slice,
    ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.Tuple, ast.List, ast.Set, ast.Dict,
    ast.keyword, ast.boolop, ast.unaryop, ast.cmpop,
)
# `*`, `**`, `<<` and `%` repeat or widen their operand: never in-process.
_CHEAP_OPERATORS = (ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.BitAnd, ast.BitOr, ast.BitXor, ast.RShift)


@lru_cache(maxsize=4096)
def is_bounded_expression(source: str, trusted: frozenset = frozenset()) -> bool:
    """Whether `source` is an expression that cannot loop or grow: safe to evaluate in-process.

    `trusted` names the engine's own functions (deadlines, services): their cost
    is the engine's business, so calling them by name is allowed.
    """
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return False
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        return False
    callable_names = CHEAP_BUILTINS | trusted
    for node in nodes:
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in callable_names):
                return False
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, _CHEAP_OPERATORS):
                return False
        elif isinstance(node, ast.operator):
            continue  # judged with its BinOp above
        elif isinstance(node, (ast.JoinedStr, ast.FormattedValue)):
            if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
                return False
        elif isinstance(node, ast.Starred):
            return False
        elif not isinstance(node, _LEAF_NODES):
            return False  # comprehensions, lambdas, walrus, await ...
    return True
