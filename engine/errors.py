"""Errors the engine raises; the web layer maps them to HTTP status codes."""
from dataclasses import dataclass


class DubanError(Exception):
    """Base class; `str(err)` is a message fit for a user, in English.

    Raised with a template and its values (`NotFound("task {task} not found", task=7)`), so a
    user interface can show the message in its user's language (web.errors.engine_message).
    """

    def __init__(self, message: str = "", **params):
        self.template = message
        self.params = params
        super().__init__(message.format(**params) if params else message)


class NotFound(DubanError):
    pass


class PermissionDenied(DubanError):
    pass


class ConflictError(DubanError):
    """Someone else changed the same instance or task first (optimistic lock)."""


class StaleInstance(ConflictError):
    """The instance changed between reading and writing it (another step of the same case won)."""

    def __init__(self, message="someone else changed this case at the same time; reload and try again"):
        super().__init__(message)


class TaskNotReady(ConflictError):
    """The task is not open any more (completed, cancelled) or not yet ready."""


class InvalidOperation(DubanError):
    pass


@dataclass
class Problem:
    message: str
    element_id: str | None = None
    line: int | None = None
    file: str | None = None
    severity: str = "error"  # or "warning"

    def __str__(self):
        where = ", ".join(
            part for part in (
                self.file,
                f"element {self.element_id}" if self.element_id else None,
                f"line {self.line}" if self.line else None,
            ) if part
        )
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self):
        return {"message": self.message, "element_id": self.element_id, "line": self.line,
                "file": self.file, "severity": self.severity}


class BpmnValidationError(DubanError):
    """Everything wrong with an uploaded BPMN file: XML, schema, parse, sandbox rules."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class ScriptRejected(DubanError):
    """A script or expression breaks the sandbox rules (found before it runs)."""


class ScriptLimitExceeded(DubanError):
    """A script ran too long or built a value too large."""
