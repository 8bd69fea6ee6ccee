"""Every piece of code a parsed BPMN carries, checked before it is deployed.

What Duban evaluates, per task spec: script bodies; gateway conditions; timer
dates, durations and cycles; conditional events; a user task's due date,
assignee, candidates and priority (when they are `${...}`); its escalation
ladder; multi-instance cardinality, collection, element variable and
completion condition; standard loop conditions and maxima.

Each is compiled by the sandbox (JUEL translated first). A value that cannot
depend on the case (a literal such as `P99999999WD`, or an expression that names
no variable, such as `1/0`) is evaluated now and must be what its place needs,
within the bounds of engine.deadlines. Each problem names the element.
Whatever still fails at run time becomes an incident (engine.runtime).
"""
import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, StandardLoopTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.specs.MultiChoice import MultiChoice

from engine import clock, deadlines, ladder
from engine.bpmn import cron_timer, juel, sandbox
from engine.bpmn.parser import as_written, is_iso_literal
from engine.bpmn.script_engine import MAX_INSTANCES, SandboxEnvironment, to_python_expression
from engine.errors import Problem, ScriptRejected
from engine.workcal import WorkCalendar



@dataclass
class Code:
    """One piece of code: `what` it is (for messages), its text, and what its value must be."""
    what: str
    text: str | None
    kind: str = "expression"                 # or "script", "literal", "name"
    check_value: Callable | None = None      # raises ValueError for a value its place cannot use


# -- what a value must be ------------------------------------------------------------------------

def _due_value(value) -> None:
    # A date written into the BPMN is as far from its tasks' start as from the deploy.
    deadlines.due_from(value, clock.now(), _calendar())


def _timer_date(value) -> None:
    if not isinstance(value, (str, datetime)):
        raise ValueError(f"{value!r} is not a date-time")
    if isinstance(value, str):
        TimerEventDefinition.get_datetime(value)


def _timer_duration(value) -> None:
    deadlines.check_duration(value)


def _timer_cycle(value) -> None:
    if cron_timer.is_cron(value):
        cron_timer.check_cycle(value)
        return
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a cycle such as R3/P1D or {cron_timer.EXAMPLE}")
    for part in value.upper().replace("--", "/").split("/")[1:]:
        if part.startswith("P"):
            deadlines.check_duration(part)
    try:
        TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow raises a bare Exception
        raise ValueError(f"{value!r} is not a cycle such as R3/P1D: {err}") from None


def _count(value) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number")
    if not 0 <= value <= MAX_INSTANCES:
        raise ValueError(f"{value} is outside 0 to {MAX_INSTANCES}")


# -- where code lives ----------------------------------------------------------------------------

def _starts_juel(text) -> bool:
    # What engine.projection evaluates; the rest of these attributes is taken literally.
    return bool(text) and text.strip().startswith(("${", "#{"))


def _timer(definition) -> Code:
    if isinstance(definition, CycleTimerEventDefinition):
        return Code("timer cycle", definition.expression, check_value=_timer_cycle)
    if isinstance(definition, DurationTimerEventDefinition):
        return Code("timer duration", definition.expression, check_value=_timer_duration)
    # Dates, and durations the parser turned into `duration_due(...)` (engine.bpmn.parser).
    return Code("timer", definition.expression, check_value=_timer_date)


def _human(human: dict) -> Iterator[Code]:
    due = human.get("due_date")
    if due and due.strip():
        if is_iso_literal(due):
            yield Code("due date", due.strip(), kind="literal", check_value=_due_value)
        else:
            yield Code("due date", due, check_value=_due_value)
    for what, values in (("assignee", [human.get("assignee")]), ("priority", [human.get("priority")]),
                         ("candidate group", human.get("candidate_groups", [])),
                         ("candidate user", human.get("candidate_users", []))):
        for value in values:
            if _starts_juel(value):
                yield Code(what, value)


def _loops(task_spec) -> Iterator[Code]:
    if isinstance(task_spec, MultiInstanceTask):
        if task_spec.cardinality is not None:
            yield Code("loop cardinality", task_spec.cardinality, check_value=_count)
        for what, reference in (("collection", task_spec.data_output), ("element variable", task_spec.output_item)):
            if reference is not None:
                yield Code(what, reference.bpmn_id, kind="name")
        if task_spec.condition is not None:
            yield Code("completion condition", task_spec.condition)
    if isinstance(task_spec, StandardLoopTask):
        if task_spec.condition is not None:
            yield Code("loop condition", task_spec.condition)
        if task_spec.maximum is not None:
            yield Code("loop maximum", task_spec.maximum, kind="literal", check_value=_count)


def code_of(task_spec) -> Iterator[Code]:
    """Every piece of code of one task spec."""
    if isinstance(task_spec, ScriptTask):
        yield Code("script", task_spec.script, kind="script")
    if isinstance(task_spec, MultiChoice):
        for condition, target in task_spec.cond_task_specs:
            # SpiffWorkflow wraps the condition text in an operator object.
            text = condition.args[0] if hasattr(condition, "args") else condition
            if text:  # (the default flow has none)
                yield Code(f"condition of the flow to {target}", text)
    event_definition = getattr(task_spec, "event_definition", None)
    if isinstance(event_definition, TimerEventDefinition):
        yield _timer(event_definition)
    if isinstance(event_definition, ConditionalEventDefinition):
        yield Code("condition", event_definition.expression)
    extensions = getattr(task_spec, "extensions", None) or {}
    yield from _human(extensions.get("human") or {})
    yield from _loops(task_spec)


# -- checking ------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _calendar() -> WorkCalendar:
    # National calendar only: bounds do not depend on local overrides.
    return WorkCalendar()


def _constant_functions() -> dict:
    return deadlines.script_functions(_calendar())


def _is_constant(python: str) -> bool:
    """Whether an expression's value cannot depend on the case (it names no variable)."""
    allowed = set(_constant_functions()) | set(juel.FUNCTIONS)
    names = {node.id for node in ast.walk(ast.parse(python.strip(), mode="eval")) if isinstance(node, ast.Name)}
    return names <= allowed


def _failure(code: Code, shown, err: Exception, verb: str) -> str:
    if isinstance(err, deadlines.DeadlineError):  # names the value already
        return str(err) if str(err).startswith(code.what) else f"{code.what}: {err}"
    # What an expression raised is named; a value's own check says plainly what is wrong with it.
    named = not isinstance(err, ScriptRejected) and (verb == "fails" or not isinstance(err, ValueError))
    detail = f"{type(err).__name__}: {err}" if named else str(err)
    return f"{code.what} {shown!r} {verb}: {detail}"


def _shown(text: str) -> str:
    """The text as the modeler wrote it (without the parser's `duration_due((...))` wrapping)."""
    return as_written(text.strip())


def _problem_of(code: Code) -> str | None:
    """What is wrong with one piece of code, or None."""
    if code.kind == "script":
        if not (code.text or "").strip():
            return "script is empty"
        try:
            sandbox.compile_script(code.text)
        except ScriptRejected as err:
            return f"script rejected by the sandbox: {err}"
        return None
    if code.kind == "name":
        if not code.text.isidentifier() or code.text.startswith("_"):
            return f"{code.what} {code.text!r} must be the name of a variable, such as units"
        return None
    if code.kind == "literal":
        value = code.text
    else:
        if not (code.text or "").strip():
            return f"{code.what} is empty"
        try:
            python = to_python_expression(code.text)
            sandbox.compile_expression(python)
        except ScriptRejected as err:
            return f"{code.what} rejected by the sandbox: {err}"
        if not _is_constant(python):
            return None  # depends on the case: a failure at run time is an incident
        try:
            value = SandboxEnvironment(_constant_functions()).evaluate(code.text, {})
        except Exception as err:  # noqa: BLE001 - whatever it raises, it would raise for every case
            return _failure(code, _shown(code.text), err, "fails")
    if code.check_value is not None:
        try:
            code.check_value(value)
        except Exception as err:  # noqa: BLE001 - any failure here would fail every case
            return _failure(code, value, err, "cannot be used")
    return None


def _ladder_problem(task_spec) -> str | None:
    text = (getattr(task_spec, "extensions", None) or {}).get("escalation")
    if not text:
        return None
    try:
        ladder.parse(text)
    except ValueError as err:
        return f"escalation property: {err}"
    return None


def problems(specs: list, filename: str) -> list[Problem]:
    """Every problem of the code in these process and subprocess specs, each naming its element."""
    found = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            element_id = getattr(task_spec, "bpmn_id", None) or task_spec.name
            messages = [_ladder_problem(task_spec)] + [_problem_of(code) for code in code_of(task_spec)]
            found += [Problem(message, element_id=element_id, file=filename) for message in messages if message]
    return found
