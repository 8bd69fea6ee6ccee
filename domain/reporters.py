"""Reporter protection (保护举报人): masked by default, full identity only for
allowed roles, and every full view leaves an audit row (`reporter.viewed`)."""
from domain.audit import actor_name, audit
from domain.errors import NotFound, PermissionDenied
from domain.models import Lead
from domain.privacy import mask_contact, mask_name, mask_phone

# Roles that may see a reporter's identity. Officers work with the masked view.
REPORTER_VIEW_ROLES = frozenset({"office_leader", "supervisor"})


def _roles(actor) -> frozenset:
    return frozenset(getattr(actor, "roles", None) or ())


def can_view_reporter(actor) -> bool:
    return bool(_roles(actor) & REPORTER_VIEW_ROLES)


def masked_reporter(reporter) -> dict | None:
    """What anyone handling the lead may see."""
    if reporter is None:
        return None
    return {"anonymous": reporter.anonymous, "name": mask_name(reporter.name),
            "phone": mask_phone(reporter.phone), "contact": mask_contact(reporter.contact), "masked": True}


def _lead(session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} does not exist")
    return lead


def view_reporter(session, lead_id: int, actor, reason: str | None = None) -> dict | None:
    """The full identity, for an allowed role; writes the audit row in the caller's transaction.

    `actor` is an engine Actor (or anything with `username` and `roles`).
    """
    if not can_view_reporter(actor):
        raise PermissionDenied("only the special office's leaders and supervisors may see a reporter's identity")
    lead = _lead(session, lead_id)
    reporter = lead.reporter
    if reporter is None:
        return None
    audit(session, actor, "reporter.viewed", reason=reason, instance_id=lead.instance_id,
          lead_id=lead.id, number=lead.number, reporter_id=reporter.id)
    return {"anonymous": reporter.anonymous, "name": reporter.name, "phone": reporter.phone,
            "contact": reporter.contact, "masked": False, "viewed_by": actor_name(actor)}


def reporter_for(session, lead_id: int, actor, reveal: bool = False, reason: str | None = None) -> dict | None:
    """Masked unless `reveal` is asked by an allowed role (then as view_reporter)."""
    if reveal and can_view_reporter(actor):
        return view_reporter(session, lead_id, actor, reason)
    return masked_reporter(_lead(session, lead_id).reporter)
