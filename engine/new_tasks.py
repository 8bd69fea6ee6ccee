"""A new user task's expressions, evaluated before its row is written.

engine.projection evaluates a user task's `${...}` candidates, assignee and
priority and its due date as it writes the task's row. The engine evaluates the
same values first (`check`), so that one that fails (an expression raising, a
due date that is no date or lies beyond the bounds of engine.deadlines) stops
that task with an incident naming it, instead of failing the whole command.
The values are kept (`Evaluations`), so the row is written from them without
evaluating anything twice.
"""
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine import deadlines
from engine.projection import human_spec


class TaskFieldError(Exception):
    """A user task's field that cannot be evaluated; the message names the field."""


class Evaluations:
    """`evaluate(spiff_task, expression)`, each expression of each task evaluated once."""

    def __init__(self, evaluate):
        self._evaluate = evaluate
        self._values = {}

    def __call__(self, spiff_task, expression):
        key = (spiff_task.id, expression)
        if key not in self._values:
            self._values[key] = self._evaluate(spiff_task, expression)
        return self._values[key]


def _is_expression(text) -> bool:
    # What engine.projection evaluates; the rest of these attributes is taken literally.
    return bool(text) and text.strip().startswith(("${", "#{"))


def _reason(err: Exception) -> str:
    # SpiffWorkflow wraps what an expression raised; its own message is the useful part.
    inner = (err.__cause__ or err.__context__ or err) if isinstance(err, SpiffWorkflowException) else err
    try:
        return f"{type(inner).__name__}: {inner}" if not isinstance(inner, ValueError) else str(inner)
    except Exception:  # noqa: BLE001 - the incident must be recorded whatever the error
        return type(inner).__name__


def check(spiff_task, evaluate, now, calendar) -> None:
    """Evaluate what the task's row will need; raise TaskFieldError naming the field that fails."""
    human = human_spec(spiff_task.task_spec) or {}
    fields = [("candidate group", text) for text in human.get("candidate_groups", [])]
    fields += [("candidate user", text) for text in human.get("candidate_users", [])]
    fields += [("assignee", human.get("assignee")), ("priority", human.get("priority"))]
    for field, text in fields:
        if _is_expression(text):
            try:
                evaluate(spiff_task, text)
            except Exception as err:
                raise TaskFieldError(f"{field} {text.strip()!r} failed: {_reason(err)}") from err
    due = human.get("due_date")
    try:
        deadlines.resolve_due_at(due, now, lambda text: evaluate(spiff_task, text), calendar)
    except Exception as err:
        raise TaskFieldError(f"due date {due.strip()!r} failed: {_reason(err)}") from err
