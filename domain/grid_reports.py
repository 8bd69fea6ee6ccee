"""Leads reported by grid workers (网格员) from the field.

A grid worker's report is registered as a `grid_patrol` lead in the special office's triage
queue, like a lead the office registers. The grid worker is its reporter and is protected as
every reporter is (domain.reporters): the lead, its audit trail and its evidence name the
pseudonymous `GRID_INTAKE` (网格员上报), never the person. The `grid_report` row, read only by
the grid worker, lets them follow the lead's status, not what the units found.
"""
from sqlalchemy import select

from domain.audit import audit
from domain.errors import ValidationFailed
from domain.labels import zh_en
from domain.leads import register_lead
from domain.models import GridReport, Lead, User
from domain.records import field_error
from engine import clock
from engine.identity import Actor

GRID_ROLE = "grid_worker"
# Who a grid report is registered (and its photos uploaded) as.
GRID_INTAKE = Actor("grid-intake")
GRID_INTAKE_NAME = zh_en("网格员上报", "Grid worker's report")

# What a grid worker sees of their report: received → dispatched → closed.
STAGES = ("received", "dispatched", "closed")
STAGE_LABELS = {
    "received": zh_en("已受理", "Received"),
    "dispatched": zh_en("已分派办理", "Dispatched"),
    "closed": zh_en("已办结", "Closed"),
}
_STAGE_OF_STATUS = {"registered": "received", "closed": "closed", "withdrawn": "closed"}


def is_grid_worker(user) -> bool:
    """Someone whose only work here is reporting: the grid pages are their home."""
    return set(getattr(user, "roles", ()) or ()) == {GRID_ROLE}


def stage_of(lead: Lead) -> str:
    return _STAGE_OF_STATUS.get(lead.status, "dispatched")


def register_grid_report(session, data: dict, user: User, locale: str | None = "zh") -> Lead:
    """Validate and register the report in the caller's transaction (flush, no commit).

    `data`: summary, address (where it was seen; required), sector, subject_name (the
    institution, if known), received_at (when it was seen; default now). Raises ValidationFailed
    keyed by field id."""
    address = (data.get("address") or "").strip()
    errors = {} if address else field_error("address", "required", locale, label_key="lead_place")
    lead_data = {"channel": "grid_patrol", "received_at": data.get("received_at") or clock.now(), "summary": data.get("summary") or "",
                 "address": address or None, "sector": data.get("sector") or "",
                 "reporter": {"name": user.display_name, "phone": user.phone}}
    if (data.get("subject_name") or "").strip():
        lead_data["subject_name"] = data["subject_name"].strip()
    try:
        # A subject is linked only by its exact name: the report never opens a subject's record to the grid worker.
        lead = register_lead(session, lead_data, GRID_INTAKE, locale)
    except ValidationFailed as err:
        raise ValidationFailed({**err.messages, **errors}) from None
    if errors:
        raise ValidationFailed(errors)
    session.add(GridReport(lead=lead, reported_by=user.username, reported_at=lead.created_at,
                           community=user.unit.code if user.unit is not None else None))
    session.flush()
    # Who reported is known to the audit log (not to the case's timeline, which has no instance here).
    audit(session, user.to_actor(), "lead.grid_reported", lead_id=lead.id, number=lead.number)
    return lead


def reports_of(session, username: str, limit: int = 200) -> list[GridReport]:
    return list(session.scalars(select(GridReport).where(GridReport.reported_by == username)
                                .order_by(GridReport.reported_at.desc(), GridReport.id.desc()).limit(limit)))


def report_of(session, username: str, report_id: int) -> GridReport | None:
    """The grid worker's own report; anyone else's reads as missing."""
    report = session.get(GridReport, report_id)
    return report if report is not None and report.reported_by == username else None
