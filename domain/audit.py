"""Domain events in the engine's append-only audit trail (table audit_event)."""
from engine import clock
from engine.store import deferred_rows
from engine.store.deferred_rows import AuditRecord


def actor_name(actor) -> str | None:
    """An engine Actor, a User, or a plain username."""
    if actor is None:
        return None
    return getattr(actor, "username", None) or str(actor)


def audit(session, actor, action: str, *, reason: str | None = None, instance_id: int | None = None,
          **data) -> AuditRecord:
    """Written with the session's next flush or commit, in order with the engine's own events.
    Without `instance_id`, an event recorded by a process's script belongs to that process."""
    instance = session.info.get(deferred_rows.CURRENT_INSTANCE) if instance_id is None else None
    return deferred_rows.append(session, AuditRecord(at=clock.now(), actor=actor_name(actor), action=action,
                                                   instance=instance, instance_id=instance_id, reason=reason,
                                                   data=data or None))
