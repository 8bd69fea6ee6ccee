"""Domain events in the engine's append-only audit trail (table audit_event)."""
from engine import clock
from engine.store.models import AuditEvent


def actor_name(actor) -> str | None:
    """An engine Actor, a User, or a plain username."""
    if actor is None:
        return None
    return getattr(actor, "username", None) or str(actor)


def audit(session, actor, action: str, *, reason: str | None = None, instance_id: int | None = None,
          **data) -> AuditEvent:
    event = AuditEvent(at=clock.now(), actor=actor_name(actor), action=action, instance_id=instance_id,
                       reason=reason, data=data or None)
    session.add(event)
    return event
