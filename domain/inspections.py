"""Inspections of institutions (机构排查): recording one, starting graded disposal for a risk
found, and the figures (institutions inspected, inspections, institutions with risks found).

No Flask here. `record_inspection` validates everything before it writes (in the caller's
transaction, flush only), so a refused inspection leaves nothing behind, not even a new
institution. `start_disposal` starts risk_disposal for the inspection's institution and links
the instance to the inspection in the same transaction: once per inspection.

Figures follow web/reports.py: each is one SELECT giving (id, key) per record it counts, key
being the breakdown (unit or sector), counted with one GROUP BY (`count_by`). The dashboard and
the monthly return (`return_figures`) count from the same SELECTs.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, false, select, true

from domain import schemas
from domain.audit import actor_name, audit
from domain.checklists import checklist
from domain.errors import DubanError, NotFound, ValidationFailed
from domain.fieldspec import field_label
from domain.figures import count_with_total
from domain.labels import FIELD, pick
from domain.leads import _resolve_subject, start_risk_disposal
from domain.messages import message
from domain.models import Inspection, Unit, User
from domain.numbers import INSPECTION_PREFIX, next_number
from domain.records import field_error
from engine import clock

# Units whose staff record inspections: the special office and the member units (not communities).
INSPECTING_UNIT_KINDS = ("office", "member_unit")
INSPECTING_ROLES = ("officer", "supervisor", "office_leader")
MAX_NOTE = 4000
MAX_POINT_NOTE = 1000

INSPECTION_FIELDS = [
    schemas.spec("inspected_on", "date", True, past=True),
    schemas.spec("unit", "unit", True, label="inspecting_unit"),
    schemas.spec("subject_id", "integer", min=1),
    schemas.spec("subject_name", "text", max_length=300),
    schemas.spec("subject_credit_code", "credit_code"),
    schemas.spec("sector", "enum", False, "sector"),
    schemas.spec("finding", "enum", True, "inspection_finding"),
    schemas.spec("note", "textarea", max_length=MAX_NOTE, label="inspection_note"),
]


class DisposalRefused(DubanError):
    """Graded disposal cannot be started for this inspection (no risk found, or started already)."""

    def __init__(self, reason: str):
        self.reason = reason  # no_risk | already_started
        super().__init__(f"disposal refused: {reason}")


def _error(field_id: str, key: str, locale, **params) -> dict:
    label = pick(FIELD[field_id if field_id in FIELD else "note"], locale)
    return {field_id: [message(key, locale, label=label, **params)]}


def _label(field_id: str, locale) -> str:
    return field_label(schemas.spec(field_id, "text"), locale)


def inspecting_units(session) -> set[str]:
    return set(session.scalars(select(Unit.code).where(Unit.active.is_(True),
                                                       Unit.kind.in_(INSPECTING_UNIT_KINDS))))


def unit_officers(session, unit_code: str) -> list[User]:
    """Active users of the unit who may be named as its inspecting officers (grid workers are not)."""
    users = session.scalars(select(User).join(Unit, Unit.id == User.unit_id)
                            .where(Unit.code == unit_code, User.active.is_(True)).order_by(User.id)).all()
    return [user for user in users if user.roles & set(INSPECTING_ROLES)]


def _answers(raw, points: list[dict], locale) -> tuple[list[dict], dict]:
    """The checklist answered: {point id: {"problem": bool, "note": str}} in; every point of the
    checklist out, in its order, with its texts (an unanswered point is no problem)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return [], _error("checklist", "invalid_choice", locale)
    known = {point["id"] for point in points}
    if set(raw) - known:
        return [], _error("checklist", "unknown_point", locale)
    answers = []
    for point in points:
        given = raw.get(point["id"]) or {}
        if not isinstance(given, dict):
            return [], _error("checklist", "invalid_choice", locale)
        problem, note = given.get("problem", False), given.get("note") or ""
        if not isinstance(problem, bool) or not isinstance(note, str):
            return [], _error("checklist", "invalid_choice", locale)
        note = note.strip()
        if len(note) > MAX_POINT_NOTE:
            return [], _error("checklist", "too_long", locale, max=MAX_POINT_NOTE)
        answers.append({"id": point["id"], "text": point["text"], "problem": problem, "note": note})
    return answers, {}


def _officers(session, raw, unit: str | None, locale) -> tuple[list[str], dict]:
    if raw is None or raw == [] or raw == "":
        return [], _error("officers", "required", locale)
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        return [], _error("officers", "invalid_choice", locale)
    if unit is None:
        return [], {}
    allowed = {user.username for user in unit_officers(session, unit)}
    names = list(dict.fromkeys(raw))
    if not set(names) <= allowed:
        return [], _error("officers", "officer_not_in_unit", locale)
    return names, {}


def record_inspection(session, data, actor, locale: str | None = "zh", allowed_units=None,
                      may_link_subject=None) -> Inspection:
    """Validate and add an inspection. `data`: inspected_on, unit, officers (usernames of the
    unit), subject_id or subject_name (+ subject_credit_code for a new institution), sector
    (default: the institution's), answers {point id: {problem, note}}, finding, note.
    `allowed_units`: the units the recorder may record for (None: any inspecting unit);
    `may_link_subject`: see domain.leads._resolve_subject. Raises ValidationFailed keyed by field."""
    if not isinstance(data, dict):
        raise ValidationFailed(_error("inspected_on", "required", locale))
    units = inspecting_units(session)
    if allowed_units is not None:
        units &= set(allowed_units)
    errors = {}
    try:
        values = schemas.load_specs(INSPECTION_FIELDS, data, locale, units)
    except ValidationFailed as err:
        errors.update(err.messages)
        values = {}
    values.setdefault("sector", None)
    unit = values.get("unit")
    officers, problems = _officers(session, data.get("officers"), unit, locale)
    errors.update(problems)

    subject = None
    if not ({"subject_id", "subject_name", "subject_credit_code"} & set(errors)):
        subject, problems = _resolve_subject(session, values, locale, may_link_subject)
        errors.update(problems)
        if subject is None and not problems:
            if values.get("subject_name"):  # a name that matches no registered institution
                errors.update(field_error("subject_credit_code", "required", locale))
            else:
                errors.update(field_error("subject_name", "subject_missing", locale))
    sector = values.get("sector") or (subject.sector if subject is not None else None)
    if sector is None and "sector" not in errors and subject is not None:
        errors.update(_error("sector", "required", locale))

    answers = []
    if sector is not None:
        answers, problems = _answers(data.get("answers"), checklist(sector)["points"], locale)
        errors.update(problems)
    finding = values.get("finding")
    marked = any(answer["problem"] for answer in answers)
    if finding == "risk_found" and not marked and not values.get("note") and "checklist" not in errors:
        errors.update(_error("finding", "risk_needs_detail", locale, checklist=_label("checklist", locale),
                             note=_label("inspection_note", locale)))
    if finding == "no_problem" and marked:
        errors.update(_error("finding", "finding_contradicts", locale))
    if errors:
        raise ValidationFailed(errors)

    now = clock.now()
    if subject.id is None:  # a new institution, registered with the inspection
        subject.sector = subject.sector or sector
        subject.created_at, subject.created_by = now, actor_name(actor)
        session.add(subject)
        session.flush()
        audit(session, actor, "subject.created", subject_id=subject.id, name=subject.name)
    inspection = Inspection(number=next_number(session, INSPECTION_PREFIX, now), inspected_on=values["inspected_on"],
                            unit=unit, officers=officers, subject=subject,
                            sector=sector, answers=answers, finding=finding, note=values.get("note") or "",
                            created_at=now, created_by=actor_name(actor))
    session.add(inspection)
    session.flush()
    audit(session, actor, "inspection.recorded", inspection_id=inspection.id, subject_id=subject.id, unit=unit,
          finding=finding)
    return inspection


def start_disposal(engine, actor, inspection_id: int) -> int:
    """Start graded disposal (risk_disposal) of the inspected institution, with the inspecting
    unit responsible, and link it to the inspection: in one transaction, once per inspection
    (the row is locked while it is checked). Returns the instance id; DisposalRefused when no
    risk was found or disposal was started already, NotFound when there is no such inspection."""
    with engine.session_factory() as session:
        inspection = session.get(Inspection, inspection_id)
        if inspection is None:
            raise NotFound("no such inspection")
        subject_id, unit = inspection.subject_id, inspection.unit

    def prepare(session):
        # Columns only: PostgreSQL locks no row across the outer join that loads the subject.
        row = session.execute(select(Inspection.finding, Inspection.instance_id)
                              .where(Inspection.id == inspection_id).with_for_update()).one()
        if row.finding != "risk_found":
            raise DisposalRefused("no_risk")
        if row.instance_id is not None:
            raise DisposalRefused("already_started")
        return {"inspection_id": inspection_id}

    def started(session, instance):
        inspection = session.get(Inspection, inspection_id)
        inspection.instance_id = instance.id
        instance.business_key = inspection.number  # its tasks name the case by the inspection's number
        audit(session, actor, "inspection.disposal_started", instance_id=instance.id, inspection_id=inspection_id,
              subject_id=subject_id)

    return start_risk_disposal(engine, actor, subject_id=subject_id, responsible_unit=unit,
                               prepare=prepare, started=started)


# -- figures ------------------------------------------------------------------------------------

RETURN_FIGURES: list[tuple[str, str, str]] = [
    ("institutions_inspected", "排查机构（家）", "Institutions inspected"),
    ("inspections", "排查次数（次）", "Inspections"),
    ("institutions_at_risk", "排查发现风险隐患机构（家）", "Institutions with risks found"),
]
BREAKDOWNS = ("unit", "sector")


def source(figure: str, by: str, unit_codes, first: date, last: date):
    """SELECT (id, key) of the records `figure` counts, for inspections of those units (None:
    every unit) dated first..last (Beijing dates, both included); key: the unit or the sector.
    Institutions are counted by subject id, so one inspected twice counts once."""
    key = Inspection.unit if by == "unit" else Inspection.sector
    record = Inspection.id if figure == "inspections" else Inspection.subject_id
    conditions = [Inspection.inspected_on >= first, Inspection.inspected_on <= last]
    if unit_codes is not None:
        conditions.append(Inspection.unit.in_(sorted(unit_codes)) if unit_codes else false())
    if figure == "institutions_at_risk":
        conditions.append(Inspection.finding == "risk_found")
    elif figure not in ("inspections", "institutions_inspected"):
        raise KeyError(figure)
    return select(record.label("id"), key.label("key")).where(and_(true(), *conditions))


def count_by(session, figure: str, by: str, unit_codes, first: date, last: date) -> tuple[dict[str, int], int]:
    """({key: records}, records counted once) in one statement, as web.reports.count_by_with_total."""
    return count_with_total(session, source(figure, by, unit_codes, first, last))


@dataclass
class InspectionFigures:
    totals: dict = field(default_factory=dict)       # figure -> number
    by_unit: dict = field(default_factory=dict)      # figure -> {unit: number}
    by_sector: dict = field(default_factory=dict)    # figure -> {sector: number}

    def units(self) -> set[str]:
        return {code for counts in self.by_unit.values() for code in counts}


def figures(session, unit_codes, first: date, last: date) -> InspectionFigures:
    """Every inspection figure of the dashboard: totals, by unit and by sector."""
    result = InspectionFigures()
    for key, _zh, _en in RETURN_FIGURES:
        result.by_unit[key], result.totals[key] = count_by(session, key, "unit", unit_codes, first, last)
        result.by_sector[key], _total = count_by(session, key, "sector", unit_codes, first, last)
    return result


def return_figures(session, unit_codes: set[str] | None, first: date, last: date) -> dict[str, int]:
    """Figures for inspections by those units (None = every unit) dated first..last (Beijing
    dates, both included). Every key of RETURN_FIGURES is present (0 when nothing)."""
    return {key: count_by(session, key, "unit", unit_codes, first, last)[1] for key, _zh, _en in RETURN_FIGURES}
