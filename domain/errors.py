"""Errors of the domain layer (all `engine.errors.DubanError`, so the web layer maps them)."""
from engine.errors import DubanError, NotFound, PermissionDenied

__all__ = ["AlreadyRegistered", "DubanError", "NotFound", "PermissionDenied", "ValidationFailed"]


def _flatten(messages, prefix="") -> list[str]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            out.extend(_flatten(value, f"{prefix}{key}." if key != "_schema" else prefix))
        return out
    if isinstance(messages, list | tuple):
        out = []
        for value in messages:
            out.extend(_flatten(value, prefix))
        return out
    return [f"{prefix.rstrip('.')}: {messages}" if prefix else str(messages)]


class ValidationFailed(DubanError, ValueError):
    """Bad input. `messages` maps field ids to lists of localized messages
    (nested dicts for nested records, e.g. {"reporter": {"phone": [...]}})."""

    def __init__(self, messages: dict):
        self.messages = messages
        super().__init__("; ".join(_flatten(messages)))


class AlreadyRegistered(DubanError):
    """A lead with the same channel and external reference exists (idempotent pushes)."""

    def __init__(self, lead):
        self.lead = lead
        super().__init__(f"already registered as {lead.number}")
