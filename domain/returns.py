"""月报表: each unit's monthly statistical return, and the special office's sum of them.

A return is a table of figures in sections. Each section is registered in `SECTIONS` with a
function of the contract every figure module follows:

    figures(session, unit_codes: set[str] | None, first: date, last: date) -> {row key: int}

(records of those units, None = every unit, dated first..last, Beijing dates, both included).
Built-in sections read the very sources the dashboard reads (domain.figures), so a return's
prefilled figure equals the dashboard's for the same unit and month. A section without a
function has manual rows: the unit fills them in. Other modules (publicity, inspections,
strike) give their sections by the same contract (RETURN_FIGURES, return_figures).

The unit checks the prefilled figures, may correct one (a non-negative whole number and a
required note), fills the manual rows, writes the text (progress, measures, difficulties,
next steps) and submits; the figures are then frozen in `MonthlyReturn.figures`. A submitted
return is read-only until the office returns it for correction with a reason.
Returns are due on the DUBAN_RETURN_DUE_DAY (20th) of the following month.
"""
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable

from sqlalchemy import select

from domain import figures as src
from domain import inspections, publicity, strike
from domain.audit import audit
from domain.errors import ValidationFailed
from domain.figures import AT_RISK_GRADES, BEIJING, Period, Scope
from domain.labels import MEASURE, MEASURES, pick
from domain.models import MonthlyReturn, Unit
from domain.numbers import RETURN_PREFIX, next_number
from engine import clock

PROCESS_ID = "monthly_return"
TASK_ID = "submit_return"
FORM_KEY = "returns/submit"
RETURN_UNIT_KINDS = ("member_unit", "community")  # who reports; the office sums
DEFAULT_DUE_DAY = 20
DUE_HOUR = 18  # a deadline read as a date ends at the close of that working day
TEXT_FIELDS = (("progress", True, 4000), ("measures", True, 4000), ("difficulties", False, 2000),
               ("next_steps", True, 2000))
MAX_FIGURE = 10 ** 12
CORRECTION_WORKDAYS = 3  # a return sent back for correction is due again 3 working days later
_NUMBER = re.compile(r"^\d{1,13}$")


def due_day() -> int:
    """The day of the following month a return is due (DUBAN_RETURN_DUE_DAY, 1..28)."""
    try:
        day = int(os.environ.get("DUBAN_RETURN_DUE_DAY", DEFAULT_DUE_DAY))
    except ValueError:
        return DEFAULT_DUE_DAY
    return day if 1 <= day <= 28 else DEFAULT_DUE_DAY


# -- the registry of sections ------------------------------------------------------------------

FigureFunction = Callable[..., dict]


@dataclass(frozen=True)
class Section:
    key: str
    zh: str
    en: str
    figures: FigureFunction | None          # None: rows the unit fills in by hand
    rows: list                               # [(row key, zh, en)] in display order

    @property
    def manual(self) -> bool:
        return self.figures is None

    def title(self, locale: str = "zh") -> str:
        return pick({"zh": self.zh, "en": self.en}, locale)

    def keys(self) -> list[str]:
        return [f"{self.key}.{row[0]}" for row in self.rows]


def _scope(unit_codes) -> Scope:
    return Scope(None if unit_codes is None else frozenset(unit_codes))


def _period(first: date, last: date) -> Period:
    return Period(first, last)


def _now() -> datetime:
    return clock.now()


LEAD_FIGURES = [
    ("received", "受理线索（条）", "Leads received"),
    ("dispatched", "分流交办线索（条）", "Leads dispatched"),
    ("closed", "办结线索（条）", "Leads closed"),
    ("closed_on_time", "其中按期办结（条）", "of which closed on time"),
    ("recovered", "追赃挽损金额（元）", "Losses recovered (yuan)"),
]


def leads_figures(session, unit_codes, first, last) -> dict[str, int]:
    scope, period, now = _scope(unit_codes).resolved(session), _period(first, last), _now()
    recovered = src.sum_rows(session, src.recovered(scope, period, now))
    return {
        "received": sum(src.count_rows(session, src.received(scope, period, now, "unit")).values()),
        "dispatched": sum(src.count_rows(session, src.dispatched(scope, period, now)).values()),
        "closed": sum(src.count_rows(session, src.closed(scope, period, now, "unit")).values()),
        "closed_on_time": sum(src.count_rows(session, src.closed_on_time(scope, period, now)).values()),
        "recovered": sum(recovered.values()),
    }


DISPOSAL_FIGURES = [("total", "处置措施合计（次）", "Disposals, all measures")] + [
    (measure, f"其中{MEASURE[measure]['zh']}（次）", f"of which {MEASURE[measure]['en'].lower()}")
    for measure in MEASURES]


def disposal_figures(session, unit_codes, first, last) -> dict[str, int]:
    scope, period, now = _scope(unit_codes).resolved(session), _period(first, last), _now()
    by_measure = src.count_rows(session, src.disposals(scope, period, now, "measure"))
    return {"total": sum(by_measure.values()), **by_measure}


RECTIFICATION_FIGURES = [
    ("opened", "新增整改事项（项）", "Rectification items opened"),
    ("closed", "销号整改事项（项）", "Rectification items closed"),
]


def rectification_figures(session, unit_codes, first, last) -> dict[str, int]:
    scope, period, now = _scope(unit_codes).resolved(session), _period(first, last), _now()
    return {
        "opened": sum(src.count_rows(session, src.rectification_opened(scope, period, now)).values()),
        "closed": sum(src.count_rows(session, src.rectification_closed(scope, period, now)).values()),
    }


RISK_FIGURES = [
    ("at_risk", "有风险隐患机构（家）", "Institutions at risk"),
    ("red", "其中红色（家）", "of which red"),
    ("orange", "其中橙色（家）", "of which orange"),
    ("yellow", "其中黄色（家）", "of which yellow"),
]


def risk_figures(session, unit_codes, first, last) -> dict[str, int]:
    """Institutions of the units by their grade at the end of the month (the dashboard's `grade`)."""
    scope, period, now = _scope(unit_codes).resolved(session), _period(first, last), _now()
    grades = src.count_rows(session, src.grade(scope, period, now))
    return {"at_risk": sum(grades.get(g, 0) for g in AT_RISK_GRADES),
            **{g: grades.get(g, 0) for g in AT_RISK_GRADES}}


OTHER_FIGURES = [  # filled in by the unit: work Duban keeps no record of
    ("meetings", "召开专题会议（次）", "Meetings held on the campaign"),
    ("joint_checks", "开展联合检查（次）", "Joint inspections"),
    ("other_work", "其他工作（项）", "Other work"),
]


SECTIONS: list[Section] = [
    Section("leads", "线索办理", "Leads", leads_figures, LEAD_FIGURES),
    Section("disposals", "分级分类处置", "Graded disposal", disposal_figures, DISPOSAL_FIGURES),
    Section("rectification", "整改规范", "Rectification", rectification_figures, RECTIFICATION_FIGURES),
    Section("risk", "风险排查", "Institutions at risk", risk_figures, RISK_FIGURES),
    Section("inspections", "机构排查", "Inspections", inspections.return_figures, list(inspections.RETURN_FIGURES)),
    Section("publicity", "宣传发动", "Publicity", publicity.return_figures, list(publicity.RETURN_FIGURES)),
    Section("strike", "依法打击", "Strike results", strike.return_figures, list(strike.RETURN_FIGURES)),
    Section("other", "其他工作", "Other work", None, OTHER_FIGURES),
]

BUILT_IN = ("leads", "disposals", "rectification", "risk")
# This module's own figures, by the contract of every figure module ("section.row" keys).
RETURN_FIGURES = [(f"{s.key}.{key}", zh, en) for s in SECTIONS if s.key in BUILT_IN for key, zh, en in s.rows]


def return_figures(session, unit_codes, first: date, last: date) -> dict[str, int]:
    return computed_figures(session, unit_codes, first, last, only=BUILT_IN)


def computed_figures(session, unit_codes, first: date, last: date, only=None) -> dict[str, int]:
    """{"section.row": value} of every prefilled row (every key present; 0 when nothing)."""
    values = {}
    for section in SECTIONS:
        if section.manual or (only is not None and section.key not in only):
            continue
        found = section.figures(session, unit_codes, first, last) or {}
        for key, _zh, _en in section.rows:
            values[f"{section.key}.{key}"] = int(found.get(key) or 0)
    return values


# -- months ---------------------------------------------------------------------------------

def month_period(month: str) -> Period:
    period = Period.parse_month(month)
    if period is None:
        raise ValueError(f"not a month: {month!r}")
    return period


def previous_month(now: datetime) -> str:
    today = now.astimezone(BEIJING).date()
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def due_at(month: str) -> datetime:
    """18:00 Beijing on the due day of the month after `month`."""
    period = month_period(month)
    following = period.last + timedelta(days=1)
    return datetime.combine(following.replace(day=due_day()), time(DUE_HOUR), BEIJING)


def month_label(month: str, locale: str = "zh") -> str:
    period = month_period(month)
    if locale == "en":
        return period.first.strftime("%B %Y")
    return f"{period.first.year}年{period.first.month}月"


def reporting_units(session) -> list[Unit]:
    """Active member units and communities, in the directory's order."""
    return list(session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind.in_(RETURN_UNIT_KINDS))
                                .order_by(Unit.id)))


# -- one return ---------------------------------------------------------------------------

def get_return(session, unit: str, month: str) -> MonthlyReturn | None:
    return session.scalar(select(MonthlyReturn).where(MonthlyReturn.unit == unit, MonthlyReturn.month == month))


def new_return(session, unit: str, month: str, actor=None) -> MonthlyReturn:
    now = clock.now()
    record = MonthlyReturn(number=next_number(session, RETURN_PREFIX), unit=unit, month=month, status="draft", due_at=due_at(month), figures={}, manual={},
                           corrections={}, progress="", measures="", difficulties="", next_steps="",
                           created_at=now, updated_at=now)
    session.add(record)
    session.flush()
    audit(session, actor, "return.opened", return_id=record.id, unit=unit, month=month)
    return record


def editable(record: MonthlyReturn) -> bool:
    return record.status in ("draft", "returned")


def prefilled(session, record: MonthlyReturn) -> dict[str, int]:
    """The figures Duban gives: frozen at submission, else counted now."""
    if record.status == "submitted" and record.figures:
        return {key: int(value) for key, value in record.figures.items()}
    period = month_period(record.month)
    return computed_figures(session, {record.unit}, period.first, period.last)


def final_values(record: MonthlyReturn, computed: dict[str, int]) -> dict[str, int]:
    """Each row's value as reported: a manual row as filled in, a prefilled one as corrected."""
    values = {}
    corrections = record.corrections or {}
    for section in SECTIONS:
        for key in section.keys():
            if section.manual:
                values[key] = int((record.manual or {}).get(key) or 0)
            elif key in corrections:
                values[key] = int(corrections[key]["value"])
            else:
                values[key] = int(computed.get(key, 0))
    return values


@dataclass
class RowView:
    key: str
    zh: str
    en: str
    manual: bool
    computed: int | None
    value: int
    note: str

    def label(self, locale: str = "zh") -> str:
        return pick({"zh": self.zh, "en": self.en}, locale)

    @property
    def corrected(self) -> bool:
        return not self.manual and self.computed != self.value


def table(session, record: MonthlyReturn) -> list[tuple[Section, list[RowView]]]:
    computed = prefilled(session, record)
    values = final_values(record, computed)
    corrections = record.corrections or {}
    out = []
    for section in SECTIONS:
        rows = []
        for key, zh, en in section.rows:
            full = f"{section.key}.{key}"
            rows.append(RowView(full, zh, en, section.manual, None if section.manual else computed.get(full, 0),
                                values[full], (corrections.get(full) or {}).get("note", "")))
        out.append((section, rows))
    return out


def _number(raw, field: str, errors: dict, locale: str) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if text == "":
        return None
    if not _NUMBER.match(text) or int(text) > MAX_FIGURE:
        errors[field] = [pick({"zh": "请填写不小于0的整数", "en": "Enter a whole number, 0 or more"}, locale)]
        return None
    return int(text)


def validate(session, record: MonthlyReturn, form, submit: bool, locale: str = "zh") -> dict:
    """The return's new values from the page's fields, or ValidationFailed {field: [message]}.

    Fields: `value.<section>.<row>` (a manual row's figure), `fix.<section>.<row>` and
    `note.<section>.<row>` (a corrected prefilled figure and why), and the four texts."""
    errors: dict = {}
    computed = prefilled(session, record)
    manual, corrections = {}, {}
    for section in SECTIONS:
        for key in section.keys():
            if section.manual:
                value = _number(form.get(f"value.{key}"), f"value.{key}", errors, locale)
                manual[key] = value or 0
                continue
            value = _number(form.get(f"fix.{key}"), f"fix.{key}", errors, locale)
            note = str(form.get(f"note.{key}") or "").strip()
            if value is None or value == computed.get(key, 0):
                continue  # no correction (or one equal to the figure Duban gives)
            if not note:
                errors[f"note.{key}"] = [pick({"zh": "更正数字须说明理由", "en": "Say why the figure is corrected"},
                                              locale)]
            elif len(note) > 500:
                errors[f"note.{key}"] = [pick({"zh": "说明不超过500字", "en": "At most 500 characters"}, locale)]
            corrections[key] = {"value": value, "note": note[:500]}
    texts = {}
    for name, required, limit in TEXT_FIELDS:
        text = str(form.get(name) or "").strip()
        if submit and required and not text:
            errors[name] = [pick({"zh": "报送前请填写此项", "en": "Required before submitting"}, locale)]
        elif len(text) > limit:
            errors[name] = [pick({"zh": f"不超过{limit}字", "en": f"At most {limit} characters"}, locale)]
        texts[name] = text
    if errors:
        raise ValidationFailed(errors)
    return {"manual": manual, "corrections": corrections, **texts}


def apply(session, record: MonthlyReturn, values: dict, actor, submit: bool) -> None:
    """Write validated values; submitting freezes the prefilled figures."""
    if not editable(record):
        raise ValidationFailed({"status": ["这份月报表已报送，不能修改 / already submitted"]})
    now = clock.now()
    record.manual = dict(values["manual"])
    record.corrections = dict(values["corrections"])
    for name, _required, _limit in TEXT_FIELDS:
        setattr(record, name, values[name])
    record.updated_at, record.updated_by = now, _username(actor)
    if submit:
        period = month_period(record.month)
        record.figures = computed_figures(session, {record.unit}, period.first, period.last)
        record.status, record.submitted_at, record.submitted_by = "submitted", now, _username(actor)
    audit(session, actor, "return.submitted" if submit else "return.saved", return_id=record.id,
          unit=record.unit, month=record.month,
          corrected=sorted(record.corrections) or None)


def send_back(session, record: MonthlyReturn, reason: str, actor, locale: str = "zh") -> None:
    """The office returns a submitted return for correction: it opens again, figures live again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [pick({"zh": "请填写退回理由", "en": "Give the reason"}, locale)]})
    if len(reason) > 1000:
        raise ValidationFailed({"reason": [pick({"zh": "不超过1000字", "en": "At most 1000 characters"}, locale)]})
    if record.status != "submitted":
        raise ValidationFailed({"reason": [pick({"zh": "只能退回已报送的月报表",
                                                 "en": "Only a submitted return can be returned"}, locale)]})
    now = clock.now()
    record.status, record.figures = "returned", {}
    record.returned_at, record.returned_by, record.return_reason = now, _username(actor), reason
    record.updated_at = now
    audit(session, actor, "return.returned", reason=reason, return_id=record.id, unit=record.unit,
          month=record.month)


def _username(actor) -> str | None:
    return getattr(actor, "username", actor)


# -- the office's sum ------------------------------------------------------------------------

@dataclass
class Summary:
    month: str
    units: list                    # every reporting unit (Unit), in order
    returns: dict                  # unit code -> MonthlyReturn (any status)
    by_unit: dict                  # unit code -> {"section.row": value} of submitted returns
    total: dict                    # {"section.row": sum over submitted returns}

    @property
    def submitted(self) -> list:
        return [u for u in self.units if u.code in self.by_unit]

    @property
    def missing(self) -> list:
        """未报单位: reporting units without a submitted return."""
        return [u for u in self.units if u.code not in self.by_unit]


def summary(session, month: str) -> Summary:
    """The office's return: the submitted returns of the month, by unit and summed."""
    month_period(month)
    units = reporting_units(session)
    returns = {r.unit: r for r in session.scalars(select(MonthlyReturn).where(MonthlyReturn.month == month))}
    by_unit = {}
    for unit in units:
        record = returns.get(unit.code)
        if record is not None and record.status == "submitted":
            by_unit[unit.code] = final_values(record, prefilled(session, record))
    keys = [key for section in SECTIONS for key in section.keys()]
    total = {key: sum(values.get(key, 0) for values in by_unit.values()) for key in keys}
    return Summary(month, units, returns, by_unit, total)


# -- opening a month's returns ------------------------------------------------------------------

def open_month(session, month: str, start_process, actor=None) -> list[int]:
    """Create the month's return for every reporting unit that has none, and start its
    `monthly_return` process (the unit's task, due on the due day). Returns the new ids."""
    due = due_at(month)
    opened = []
    for unit in reporting_units(session):
        record = get_return(session, unit.code, month)
        if record is not None and (record.instance_id is not None or record.status == "submitted"):
            continue  # opened already (a draft saved early gets its task now)
        record = record or new_return(session, unit.code, month, actor)
        started = start_process(PROCESS_ID, start_data(record, due), business_key=record.number)
        instance_id = getattr(started, "id", started)
        if instance_id is None and started is not None:
            session.flush()
            instance_id = started.id
        record.instance_id = instance_id
        opened.append(record.id)
    return opened


def step_details(person, month: str) -> dict:
    """The step record of a submission (the case's 流转意见): the handler, the unit and what was done."""
    from domain.casefile import record_details
    from domain.forms import load_form
    return record_details(load_form(FORM_KEY), {"note": f"报送{month_label(month)}月报表"}, person)


def start_data(record: MonthlyReturn, due: datetime) -> dict:
    return {"return_id": record.id, "unit": record.unit, "month": record.month,
            "month_label": month_label(record.month), "return_due": due.isoformat()}
