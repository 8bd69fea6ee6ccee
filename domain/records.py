"""Writes of subjects and rectification items, and look-ups shared by the
registration code and the service functions."""
from sqlalchemy import func, select

from domain import schemas
from domain.audit import actor_name, audit
from domain.errors import ValidationFailed
from domain.fieldspec import field_label
from domain.messages import message
from domain.models import Lead, RectificationItem, Subject, Unit
from domain.numbers import RECTIFICATION_PREFIX, next_number
from engine import clock


def active_unit_codes(session) -> set[str]:
    return set(session.scalars(select(Unit.code).where(Unit.active.is_(True))))


def field_error(field_id: str, key: str, locale: str | None = "zh", label_key: str | None = None) -> dict:
    """{field_id: [message]} naming the field with its shared label."""
    label = field_label(schemas.spec(field_id, "text", label=label_key), locale)
    return {field_id: [message(key, locale, label=label)]}


def subject_by_name(session, name: str) -> Subject | None:
    """The one subject with exactly this name (ignoring case and surrounding spaces), if unique."""
    matches = session.scalars(select(Subject).where(func.lower(Subject.name) == name.strip().lower())
                              .limit(2)).all()
    return matches[0] if len(matches) == 1 else None


def check_references(session, values: dict, locale: str | None = "zh") -> dict:
    """Errors for subject_id / lead_id values that point nowhere."""
    errors = {}
    if values.get("subject_id") is not None and session.get(Subject, values["subject_id"]) is None:
        errors.update(field_error("subject_id", "not_found", locale))
    if values.get("lead_id") is not None and session.get(Lead, values["lead_id"]) is None:
        errors.update(field_error("lead_id", "not_found", locale))
    return errors


def create_subject(session, data, actor, locale: str | None = "zh") -> Subject:
    """Validate and add a subject (机构/企业); the credit code must be unused."""
    values = schemas.load_subject(data, locale)
    code = values.get("credit_code")
    if code and session.scalar(select(Subject.id).where(Subject.credit_code == code)) is not None:
        raise ValidationFailed(field_error("credit_code", "credit_code_taken", locale))
    subject = Subject(**values, created_at=clock.now(), created_by=actor_name(actor))
    session.add(subject)
    session.flush()
    audit(session, actor, "subject.created", subject_id=subject.id, name=subject.name)
    return subject


def create_rectification_item(session, data, actor, locale: str | None = "zh") -> RectificationItem:
    """Validate and add a rectification item (status open). Starting its
    `rectification` process is the caller's business (see services.open_rectification)."""
    values = schemas.load_rectification(data, locale, active_unit_codes(session))
    errors = check_references(session, values, locale)
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    item = RectificationItem(
        number=next_number(session, RECTIFICATION_PREFIX, now), status="open",
        subject_id=values.get("subject_id"), lead_id=values.get("lead_id"), problem=values["problem"],
        responsible_unit=values["responsible_unit"], responsible_person=values.get("responsible_person", ""),
        measures=values["measures"], deadline=values["deadline"], evidence=values.get("evidence", []),
        created_at=now, created_by=actor_name(actor), updated_at=now,
    )
    session.add(item)
    session.flush()
    audit(session, actor, "rectification.opened", item_id=item.id, number=item.number,
          unit=item.responsible_unit)
    return item
