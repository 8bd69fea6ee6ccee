"""Registering leads (线索登记).

`register_lead` validates everything first, then writes the lead and its
reporter in the caller's transaction (flush, no commit), so a rejected lead
leaves nothing behind. The caller then starts the `lead_handling` process
with `lead_id` and stores the instance id in `lead.instance_id`.
"""
from sqlalchemy import and_, func, or_, select

from domain import schemas
from domain.audit import actor_name, audit
from domain.errors import AlreadyRegistered, ValidationFailed
from domain.labels import OPEN_LEAD_STATUSES
from domain.models import Lead, Reporter, Subject
from domain.numbers import LEAD_PREFIX, next_number
from domain.records import active_unit_codes, field_error, subject_by_name
from engine import clock


def lead_by_external_ref(session, channel: str, external_ref: str) -> Lead | None:
    return session.scalars(select(Lead).where(Lead.channel == channel, Lead.external_ref == external_ref)).first()


def find_duplicate(session, sector: str, subject_id: int | None = None, subject_name: str | None = None,
                   exclude_id: int | None = None) -> Lead | None:
    """An open lead on the same subject and sector: the first one not itself a duplicate.

    The subject matches by id, or by name for leads registered without a subject record.
    """
    name = (subject_name or "").strip().lower()
    if subject_id is not None:
        same_subject = Lead.subject_id == subject_id
        if name:
            same_subject = or_(same_subject, and_(Lead.subject_id.is_(None), func.lower(Lead.subject_name) == name))
    elif name:
        same_subject = func.lower(Lead.subject_name) == name
    else:
        return None
    query = select(Lead).where(same_subject, Lead.sector == sector, Lead.status.in_(OPEN_LEAD_STATUSES))
    if exclude_id is not None:
        query = query.where(Lead.id != exclude_id)
    return session.scalars(query.order_by(Lead.duplicate_of_id.is_not(None), Lead.id).limit(1)).first()


def _resolve_subject(session, values: dict, locale, may_link=None) -> tuple[Subject | None, dict]:
    """The subject the lead is about: by id, by credit code, or by its exact name.

    An unknown credit code with a name registers a new subject. `may_link(subject)`, if
    given, says whether the registrar may see an existing subject: one they may not is
    refused as if unknown (by id), as taken (by credit code), or not linked (by name), so
    registering a lead never opens another unit's subject to them.
    """
    allowed = may_link or (lambda subject: True)
    if values.get("subject_id") is not None:
        subject = session.get(Subject, values["subject_id"])
        if subject is None or not allowed(subject):
            return None, field_error("subject_id", "not_found", locale)
        return subject, {}
    code, name = values.get("subject_credit_code"), values.get("subject_name")
    if code:
        subject = session.scalars(select(Subject).where(Subject.credit_code == code)).first()
        if subject is not None:
            return (subject, {}) if allowed(subject) else (None, field_error("subject_credit_code",
                                                                             "credit_code_taken", locale))
        if not name:
            return None, field_error("subject_name", "subject_missing", locale)
        return Subject(name=name, credit_code=code, sector=values["sector"]), {}
    if name:
        subject = subject_by_name(session, name)
        return (subject if subject is not None and allowed(subject) else None), {}
    return None, {}


def register_lead(session, data, actor, locale: str | None = "zh", may_link_subject=None) -> Lead:
    """Validate and register a lead (status `registered`) with its reporter.

    Raises ValidationFailed (messages keyed by field id), or AlreadyRegistered
    when the channel's `external_ref` was pushed before (idempotent API pushes).
    A likely duplicate (same subject and sector, still open) is flagged in
    `duplicate_of`, not merged. `may_link_subject`: see `_resolve_subject`.
    """
    values = schemas.load_lead_registration(data, locale, active_unit_codes(session))
    subject, errors = _resolve_subject(session, values, locale, may_link_subject)
    if errors:
        raise ValidationFailed(errors)
    if values.get("external_ref"):
        existing = lead_by_external_ref(session, values["channel"], values["external_ref"])
        if existing is not None:
            raise AlreadyRegistered(existing)

    now = clock.now()
    subject_name = values.get("subject_name") or (subject.name if subject else None)
    duplicate = find_duplicate(session, values["sector"], subject.id if subject else None, subject_name)
    if subject is not None and subject.id is None:
        subject.created_at, subject.created_by = now, actor_name(actor)
        session.add(subject)
    lead = Lead(
        number=next_number(session, LEAD_PREFIX, now), channel=values["channel"],
        external_ref=values.get("external_ref"), received_at=values["received_at"],
        summary=values["summary"], subject=subject, subject_name=subject_name, address=values.get("address"),
        sector=values["sector"],
        responsible_unit=values.get("responsible_unit"), status="registered",
        feedback_deadline=values.get("feedback_deadline"), major=values.get("major", False),
        duplicate_of=duplicate, created_at=now, created_by=actor_name(actor), updated_at=now,
    )
    reporter = values.get("reporter")
    if reporter:
        lead.reporter = Reporter(anonymous=reporter.get("anonymous", False), name=reporter.get("name"),
                                 phone=reporter.get("phone"), contact=reporter.get("contact"))
    session.add(lead)
    session.flush()
    audit(session, actor, "lead.registered", lead_id=lead.id, number=lead.number, channel=lead.channel,
          duplicate_of=duplicate.id if duplicate else None)
    return lead


# -- the lead's other processes -------------------------------------------------------------

# Processes started for a lead (start variable `lead_id`) whose instances carry the lead's number as
# their business key, as its lead_handling does: messages from other systems (the police's acceptance
# receipt of a case transferred to them) name the case by that number.
KEYED_BY_LEAD = ("risk_disposal",)


def business_key_for(session, process_id: str, data: dict | None) -> str | None:
    """The business key a new instance of `process_id` started with `data` carries when its starter
    names none: the number of the lead it is started for (KEYED_BY_LEAD), else None."""
    lead_id = (data or {}).get("lead_id") if isinstance(data, dict) else None
    text = "" if lead_id is None or isinstance(lead_id, bool) else str(lead_id).strip()
    if process_id not in KEYED_BY_LEAD or not text.isascii() or not text.isdigit() or len(text) > 18:
        return None  # (ids are 64-bit: a longer number names no lead, and would overflow the query)
    return session.scalar(select(Lead.number).where(Lead.id == int(text)))


def start_risk_disposal(engine, actor, subject_id=None, lead_id=None, responsible_unit=None, prepare=None,
                        started=None) -> int:
    """Start graded disposal (risk_disposal) of an institution, for a lead if given: the lead's
    institution and responsible unit unless others are named, and the lead's number as the
    instance's business key. `prepare` / `started`: as engine.start's, in the same transaction
    (an inspection links itself to the instance there). Returns the new instance's id."""
    data, business_key = {}, None
    if lead_id is not None:
        with engine.session_factory() as session:
            lead = session.get(Lead, lead_id)
            if lead is None:
                raise ValidationFailed(field_error("lead_id", "not_found", "zh"))
            subject_id = subject_id or lead.subject_id
            responsible_unit = responsible_unit or lead.responsible_unit
            business_key = lead.number
        data["lead_id"] = lead_id
    data["subject_id"] = subject_id
    if responsible_unit is not None:
        data["responsible_unit"] = responsible_unit
    return engine.start("risk_disposal", data, actor=actor, business_key=business_key, prepare=prepare,
                        started=started)
