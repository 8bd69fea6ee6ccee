"""依法打击: criminal cases of the campaign (涉养老诈骗刑事案件) recorded by the law-enforcement
units (政法单位: police, procuratorate, court; `unit.law_enforcement`) and the special office,
their judicial stages 立案 -> 移送审查起诉 -> 审结, and the strike figures of a period.

Who sees what: users of a law-enforcement unit and of the special office (and office leaders)
see a case's details; anyone else who can see a linked lead or institution learns only that a
case exists and its stage (`CaseExistence`), never its number, counts or money.

Money is whole yuan, as `lead.recovered_amount`; the strike's money is kept apart from it (a
lead's losses recovered are reported at its feedback and counted by web.reports).
"""
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select

from domain import schemas
from domain.audit import actor_name, audit
from domain.errors import ValidationFailed
from domain.fieldspec import field_label
from domain.labels import STRIKE_STAGES, label, pick, zh_en
from domain.messages import message
from domain.models import Lead, StrikeCase, Subject, Unit, strike_case_lead, strike_case_subject
from engine import clock

CASE_FIELDS = [
    schemas.spec("case_number", "text", True, max_length=60),
    schemas.spec("unit", "unit", True, label="case_unit"),
    schemas.spec("charge", "enum", True, "charge"),
    schemas.spec("summary", "textarea", max_length=4000, label="case_summary"),
    schemas.spec("filed_on", "date", True, past=True),
    schemas.spec("gangs", "integer", min=0, max=100_000, default=0),
    schemas.spec("suspects", "integer", min=0, max=1_000_000, default=0),
    schemas.spec("frozen_amount", "integer", min=0, max=10**15, default=0),
    schemas.spec("recovered_amount", "integer", min=0, max=10**15, default=0, label="strike_recovered_amount"),
    schemas.spec("returned_amount", "integer", min=0, max=10**15, default=0),
]
STAGE_DATE = {"prosecuted": "prosecuted_on", "judged": "judged_on"}
# The step that reaches a stage, as messages and the stage form name it.
STAGE_STEP = {"prosecuted": zh_en("移送审查起诉", "sent for prosecution"), "judged": zh_en("审结", "judged")}
NEXT_STAGE = {"filed": "prosecuted", "prosecuted": "judged"}
LEAD_NUMBER_SPLIT = re.compile(r"[\s,，、;；]+")


# -- who may see and record --------------------------------------------------------------------------

def may_see_details(unit: Unit | None, roles) -> bool:
    """Law-enforcement units' users and the special office (its staff, leaders, supervisors)."""
    if "office_leader" in set(roles or ()):
        return True
    return unit is not None and (bool(unit.law_enforcement) or unit.kind == "office")


def law_enforcement_units(session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.law_enforcement.is_(True), Unit.active.is_(True))
                                .order_by(Unit.id)))


# -- validation --------------------------------------------------------------------------------------

def _label(field_id: str, locale) -> str:
    spec = next((s for s in CASE_FIELDS if s["id"] == field_id), None)
    if spec is None:
        spec = schemas.spec(field_id, "text", label="strike_stage" if field_id == "stage" else None)
    return field_label(spec, locale)


def _error(errors: dict, field_id: str, key: str, locale, **params) -> None:
    errors.setdefault(field_id, []).append(message(key, locale, label=_label(field_id, locale), **params))


def _lead_numbers(value) -> list[str]:
    if isinstance(value, list | tuple):
        value = " ".join(str(item) for item in value)
    return [number for number in LEAD_NUMBER_SPLIT.split(str(value or "").strip()) if number]


def _subject_ids(value) -> list:
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _validate(session, data: dict, locale, existing: StrikeCase | None = None):
    """(values, leads, subjects) or ValidationFailed naming every wrong field."""
    unit_codes = [unit.code for unit in law_enforcement_units(session)]
    errors = {}
    try:
        values = schemas.load_specs(CASE_FIELDS, data, locale, unit_codes)
    except ValidationFailed as err:
        errors, values = dict(err.messages), {}
    if not errors.get("returned_amount") and not errors.get("recovered_amount") \
            and values.get("returned_amount", 0) > values.get("recovered_amount", 0):
        _error(errors, "returned_amount", "amount_exceeds", locale, other=_label("recovered_amount", locale))
    number = values.get("case_number")
    if number:
        taken = session.scalar(select(StrikeCase.id).where(StrikeCase.case_number == number))
        if taken is not None and (existing is None or taken != existing.id):
            _error(errors, "case_number", "case_number_taken", locale)
    if existing is not None and values.get("filed_on"):
        later = existing.prosecuted_on or existing.judged_on
        if later and values["filed_on"] > later:
            _error(errors, "filed_on", "date_after", locale, other=_label("prosecuted_on", locale))
    numbers = _lead_numbers(data.get("lead_numbers"))
    leads = list(session.scalars(select(Lead).where(Lead.number.in_(numbers)))) if numbers else []
    missing = sorted(set(numbers) - {lead.number for lead in leads})
    if missing:
        _error(errors, "lead_numbers", "lead_not_found", locale, number="、".join(missing))
    subjects = []
    wanted = _subject_ids(data.get("subject_ids"))
    if wanted:
        ids = [int(item) for item in wanted if str(item).strip().isdigit()]
        subjects = list(session.scalars(select(Subject).where(Subject.id.in_(ids)))) if ids else []
        if len(ids) != len(wanted) or len(subjects) != len(set(ids)):
            _error(errors, "subject_ids", "not_found", locale)
    if errors:
        raise ValidationFailed(errors)
    # The institutions of the linked leads are involved too.
    by_id = {subject.id: subject for subject in subjects}
    for lead in leads:
        if lead.subject is not None:
            by_id.setdefault(lead.subject_id, lead.subject)
    subjects = list(by_id.values())
    return values, sorted(leads, key=lambda lead: lead.id), sorted(subjects, key=lambda subject: subject.id)


# -- writes --------------------------------------------------------------------------------------

def record_case(session, data: dict, actor, locale: str | None = "zh") -> StrikeCase:
    """立案: a new case at stage `filed`. Audited; nothing is written if a field is wrong."""
    values, leads, subjects = _validate(session, data, locale)
    now = clock.now()
    record = StrikeCase(**({"summary": ""} | values), stage="filed", created_at=now,
                        created_by=actor_name(actor), updated_at=now, leads=leads, subjects=subjects)
    session.add(record)
    session.flush()
    audit(session, actor, "strike_case.recorded", case_id=record.id, unit=record.unit,
          leads=[lead.id for lead in leads], subjects=[subject.id for subject in subjects])
    return record


def update_case(session, record: StrikeCase, data: dict, actor, locale: str | None = "zh") -> StrikeCase:
    """Correct or complete a case's details (its stages move with `advance_stage`)."""
    values, leads, subjects = _validate(session, data, locale, existing=record)
    changed = sorted(key for key, value in values.items() if getattr(record, key) != value)
    for key, value in values.items():
        setattr(record, key, value)
    record.summary = values.get("summary", "")
    if [lead.id for lead in record.leads] != [lead.id for lead in leads]:
        changed.append("lead_numbers")
    if [subject.id for subject in record.subjects] != [subject.id for subject in subjects]:
        changed.append("subject_ids")
    record.leads, record.subjects = leads, subjects
    record.updated_at = clock.now()
    session.flush()
    audit(session, actor, "strike_case.updated", case_id=record.id, fields=changed)
    return record


def advance_stage(session, record: StrikeCase, stage: str, on, judgment: str | None, actor,
                  locale: str | None = "zh") -> StrikeCase:
    """移送审查起诉 after 立案, 审结 (with its result) after that; the date is not before the previous
    stage's nor after today. ValidationFailed names the field."""
    errors = {}
    if stage not in STAGE_DATE:
        _error(errors, "stage", "invalid_choice", locale)
        raise ValidationFailed(errors)
    date_field = STAGE_DATE[stage]
    if NEXT_STAGE.get(record.stage) != stage:
        if STRIKE_STAGES.index(record.stage) >= STRIKE_STAGES.index(stage):
            _error(errors, "stage", "stage_done", locale, stage=pick(STAGE_STEP[stage], locale))
        else:
            _error(errors, "stage", "stage_needs_previous", locale,
                   previous=pick(STAGE_STEP[NEXT_STAGE[record.stage]], locale))
        raise ValidationFailed(errors)
    fields = [schemas.spec(date_field, "date", True, past=True)]
    if stage == "judged":
        fields.append(schemas.spec("judgment", "textarea", True, max_length=4000))
    try:
        values = schemas.load_specs(fields, {date_field: on, "judgment": judgment}, locale)
    except ValidationFailed as err:
        raise ValidationFailed(err.messages) from None
    previous_on = record.prosecuted_on if stage == "judged" else record.filed_on
    previous_field = "prosecuted_on" if stage == "judged" else "filed_on"
    if values[date_field] < previous_on:
        errors.setdefault(date_field, []).append(message(
            "date_before", locale, label=field_label(fields[0], locale),
            other=field_label(schemas.spec(previous_field, "date"), locale)))
        raise ValidationFailed(errors)
    setattr(record, date_field, values[date_field])
    setattr(record, f"{stage}_by", actor_name(actor))
    if stage == "judged":
        record.judgment = values["judgment"]
    record.stage = stage
    record.updated_at = clock.now()
    session.flush()
    audit(session, actor, "strike_case.stage_moved", case_id=record.id, stage=stage,
          on=values[date_field].isoformat())
    return record


# -- what a page shows about a lead's or an institution's cases -----------------------------------------

@dataclass(frozen=True)
class CaseExistence:
    """What someone without the details learns: a criminal case exists, at this stage."""
    stage: str


def cases_linked(session, lead_id: int | None = None, subject_id: int | None = None) -> list[StrikeCase]:
    query = select(StrikeCase)
    if lead_id is not None:
        query = query.join(strike_case_lead, strike_case_lead.c.case_id == StrikeCase.id).where(
            strike_case_lead.c.lead_id == lead_id)
    if subject_id is not None:
        query = query.join(strike_case_subject, strike_case_subject.c.case_id == StrikeCase.id).where(
            strike_case_subject.c.subject_id == subject_id)
    return list(session.scalars(query.order_by(StrikeCase.filed_on, StrikeCase.id)).unique())


def shown_cases(session, details: bool, lead_id: int | None = None, subject_id: int | None = None) -> list:
    """The linked cases, or only their existence for someone who may not see details."""
    cases = cases_linked(session, lead_id, subject_id)
    return cases if details else [CaseExistence(record.stage) for record in cases]


# -- figures (the monthly return contract) ----------------------------------------------------------------

RETURN_FIGURES: list[tuple[str, str, str]] = [
    ("strike_cases_filed", "破获（立案）养老诈骗刑事案件（起）", "Criminal cases filed"),
    ("strike_gangs", "打掉团伙（个）", "Gangs broken up"),
    ("strike_suspects", "抓获犯罪嫌疑人（人）", "Suspects caught"),
    ("strike_frozen", "冻结涉案资金（元）", "Money frozen (yuan)"),
    ("strike_recovered", "追赃挽损（元）", "Money recovered (yuan)"),
    ("strike_returned", "返还受害人（元）", "Money returned to victims (yuan)"),
    ("strike_prosecuted", "移送审查起诉案件（起）", "Cases sent for prosecution"),
    ("strike_judged", "审结案件（起）", "Cases judged"),
]


def _between(column, first: date, last: date):
    return and_(column >= first, column <= last)


def figures_query(unit_codes: set[str] | None, first: date, last: date):
    """One SELECT of every strike figure: cases filed in the period and their gangs, suspects and
    money (counted with the case's filing date), and cases sent for prosecution / judged in it."""
    filed = _between(StrikeCase.filed_on, first, last)

    def filed_sum(column):
        return func.coalesce(func.sum(case((filed, column), else_=0)), 0)

    def count_when(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = select(
        count_when(filed).label("strike_cases_filed"),
        filed_sum(StrikeCase.gangs).label("strike_gangs"),
        filed_sum(StrikeCase.suspects).label("strike_suspects"),
        filed_sum(StrikeCase.frozen_amount).label("strike_frozen"),
        filed_sum(StrikeCase.recovered_amount).label("strike_recovered"),
        filed_sum(StrikeCase.returned_amount).label("strike_returned"),
        count_when(_between(StrikeCase.prosecuted_on, first, last)).label("strike_prosecuted"),
        count_when(_between(StrikeCase.judged_on, first, last)).label("strike_judged"),
    )
    if unit_codes is not None:
        query = query.where(StrikeCase.unit.in_(sorted(unit_codes)))
    return query


def return_figures(session, unit_codes: set[str] | None, first: date, last: date) -> dict[str, int]:
    """Figures for the cases of those units (None = every unit) between first and last (Beijing
    dates, both included); every key of RETURN_FIGURES, 0 when nothing."""
    if unit_codes is not None and not unit_codes:
        return {key: 0 for key, _zh, _en in RETURN_FIGURES}
    row = session.execute(figures_query(unit_codes, first, last)).mappings().one()
    return {key: int(row[key] or 0) for key, _zh, _en in RETURN_FIGURES}


# -- the list and its spreadsheet ----------------------------------------------------------------------

def list_query(first: date | None = None, last: date | None = None, stage: str | None = None,
               charge: str | None = None, unit: str | None = None):
    """Cases filed between first and last (either may be open), at a stage, of a charge, of a unit."""
    query = select(StrikeCase)
    if first is not None:
        query = query.where(StrikeCase.filed_on >= first)
    if last is not None:
        query = query.where(StrikeCase.filed_on <= last)
    if stage:
        query = query.where(StrikeCase.stage == stage)
    if charge:
        query = query.where(StrikeCase.charge == charge)
    if unit:
        query = query.where(StrikeCase.unit == unit)
    return query


LIST_HEADERS = ["序号", "案件编号", "办案单位", "罪名", "立案日期", "案件阶段", "移送审查起诉日期", "审结日期", "判决结果",
                "打掉团伙（个）", "抓获犯罪嫌疑人（人）", "冻结涉案资金（元）", "追赃挽损（元）", "返还受害人（元）",
                "关联线索", "涉案机构/企业", "简要案情"]


def workbook(cases: list[StrikeCase], units: dict[str, str]) -> bytes:
    """The list as a spreadsheet (Chinese headers), totals in the last row."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "涉养老诈骗刑事案件"
    sheet.append(LIST_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for index, record in enumerate(cases, start=1):
        sheet.append([index, record.case_number, units.get(record.unit, record.unit), label("charge", record.charge),
                      record.filed_on, label("strike_stage", record.stage), record.prosecuted_on, record.judged_on,
                      record.judgment or "", record.gangs, record.suspects, record.frozen_amount,
                      record.recovered_amount, record.returned_amount,
                      "、".join(lead.number for lead in record.leads),
                      "、".join(subject.name for subject in record.subjects), record.summary or ""])
    sheet.append(["合计", f"{len(cases)}起", "", "", "", "", "", "", "",
                  sum(c.gangs for c in cases), sum(c.suspects for c in cases), sum(c.frozen_amount for c in cases),
                  sum(c.recovered_amount for c in cases), sum(c.returned_amount for c in cases)])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for number, width in enumerate([6, 26, 18, 20, 12, 16, 16, 12, 40, 10, 12, 16, 14, 14, 28, 36, 50], start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "B2"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
