"""Rows written with plain INSERTs after the ORM flush, not through its unit of work.

Audit events and inbox candidate rows are never read back or changed by the
command that writes them, so they need none of the ORM's bookkeeping: a
command collects them on its session and they go out as one multi-row INSERT
per table right after the flush that gave the rows they point at their ids.
The trail stays in the order the events happened, and an engine step costs a
statement per table instead of an ORM object per row (the ORM's per-object
work was most of a step's overhead on SQLite).
"""
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy import Table, event
from sqlalchemy.orm import Session

from engine.store.models import AuditEvent, TaskCandidate

PENDING = "duban_deferred_rows"
# The process instance whose step an engine command is running: domain events its scripts
# record are filed under it (domain.audit).
CURRENT_INSTANCE = "duban_current_instance"


@dataclass
class AuditRecord:
    """One event on its way to the audit_event table; ids are read from the objects at write time."""
    at: datetime
    actor: str | None
    action: str
    instance: object = None
    task: object = None
    definition: object = None
    instance_id: int | None = None
    task_id: int | None = None
    definition_id: int | None = None
    element_id: str | None = None
    reason: str | None = None
    data: dict | None = None

    table: ClassVar[Table] = AuditEvent.__table__

    def row(self) -> dict:
        for name in ("instance", "task", "definition"):
            target = getattr(self, name)
            if target is not None and getattr(self, f"{name}_id") is None:
                setattr(self, f"{name}_id", target.id)
        return {"at": self.at, "actor": self.actor, "action": self.action, "instance_id": self.instance_id,
                "task_id": self.task_id, "definition_id": self.definition_id, "element_id": self.element_id,
                "reason": self.reason, "data": self.data}


@dataclass
class CandidateRow:
    """A candidate user or group of a task, for "open to my groups" inbox lookups."""
    task: object
    kind: str
    name: str

    table: ClassVar[Table] = TaskCandidate.__table__

    def row(self) -> dict:
        return {"task_id": self.task.id, "kind": self.kind, "name": self.name}


# Built once: a statement object reused keeps its compiled form (and cache key) between commands.
_INSERTS = {record.table: record.table.insert() for record in (AuditRecord, CandidateRow)}


def append(session: Session, record):
    session.info.setdefault(PENDING, []).append(record)
    return record


def _write_pending(session: Session, *_args) -> None:
    pending = session.info.get(PENDING)
    if not pending:
        return
    batches = {}
    for record in pending:
        batches.setdefault(record.table, []).append(record.row())
    pending.clear()
    connection = session.connection()
    for table, rows in batches.items():
        connection.execute(_INSERTS[table], rows)


def _before_commit(session: Session) -> None:
    if session.info.get(PENDING):
        session.flush()  # new instances and tasks get their ids (and the rows go out if anything was dirty)
        _write_pending(session)


def _discard(session: Session, *_args) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(CURRENT_INSTANCE, None)


event.listen(Session, "after_flush_postexec", _write_pending)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_soft_rollback", _discard)
