"""Issuing official documents for a lead's case.

    offers(session, lead, instance_ids, locale)      the documents the case's state allows, each
                                                     with what it is about and the inputs it needs
    issue(session, lead, instance_ids, kind, target, form, issuer_code=..., ...)
                                                     number, values, render, store, audit: in the
                                                     caller's transaction (the caller commits)

What each kind is offered for:
- 交办单 (assignment): once the lead is dispatched to a responsible unit.
- 督办通知书 (supervision_notice): per open supervision case of the lead or of its rectification
  items, and per supervision mark (一般/黄牌/红牌) standing on a task of its processes.
- 催办通知 (reminder): per open task of its processes.
- 整改通知书 (rectification_notice): per rectification item of the lead not yet accepted or closed.
- 约谈通知书 (interview_notice): once dispatched, with whom, when, where and on what.
- 办结报告 (closure_report): once the lead is closed, with the 流转意见 chain.

Numbers (文号) run per issuing unit and Beijing year: 新塘专办〔2026〕12号. The counter is a
`number_counter` row incremented in the issuing transaction (domain.numbers.next_serial), so
concurrent issues never share a number and a failed issue gives its number back. Documents are
Chinese whatever the page's language: they are the office's paper.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from sqlalchemy import and_, or_, select

from domain.audit import audit
from domain.documents import KINDS, kind_name
from domain.documents.models import IssuedDocument
from domain.documents.render import chinese_date, chinese_datetime, clean_text, load_issuers, render
from domain.errors import ValidationFailed
from domain.labels import label, normalize_locale, pick, zh_en
from domain.messages import message
from domain.models import Lead, RectificationItem, SupervisionCase, Unit, User
from domain.numbers import next_serial
from engine import clock
from engine.store.models import HumanTask, ProcessInstance
from engine.store.supervision_models import SupervisionMark
from engine.workcal import CHINA_TZ

DOCUMENT_LOCALE = "zh"
COUNTER_PREFIX = "GW"  # 公文
COUNTER_KEY_LENGTH = 40
NOTE_MAX = 2000
TEXT_MAX = 200
MATTER_MAX = 1000
FINISHED_ITEM_STATUSES = ("accepted", "closed")
DEFAULT_SUPERIOR = "上级专项办"
TRIAGE_STEP = "triage_lead"  # lead_handling's 研判分流, whose opinion a 交办单 quotes


_l = zh_en


FIELDS = {
    "kind": _l("文书种类", "Document kind"),
    "target": _l("文书事项", "Matter of the document"),
    "issuer": _l("发文单位", "Issuing unit"),
    "deadline": _l("期限", "Deadline"),
    "interviewee": _l("约谈对象", "Person interviewed"),
    "interviewee_title": _l("职务", "Position"),
    "party": _l("被约谈单位", "Organisation interviewed"),
    "interview_time": _l("约谈时间", "Time of the interview"),
    "interview_place": _l("约谈地点", "Place of the interview"),
    "interview_matter": _l("约谈事由", "Subject of the interview"),
    "note": _l("补充说明", "Additional remarks"),
}

MESSAGES = {
    "no_issuer": ("{label}未配置机关代字，不能开具文书", "{label} has no document abbreviation configured"),
    "not_for_issuer": ("{label}不由本单位开具", "{label} is not issued by your unit"),
    "not_offered": ("本案当前状态不能开具该{label}", "This {label} cannot be issued in the case's present state"),
}


def field_label(name: str, locale: str | None = "zh") -> str:
    return pick(FIELDS[name], locale)


def _error(name: str, key: str, locale: str, **params) -> dict:
    text = field_label(name, locale)
    if key in MESSAGES:
        zh, en = MESSAGES[key]
        return {name: [(en if normalize_locale(locale) == "en" else zh).format(label=text, **params)]}
    return {name: [message(key, locale, label=text, **params)]}


# -- what a case offers -----------------------------------------------------------------------

@dataclass
class Offer:
    """A document the case may have now: its kind, the record it is about (`target`, as the form
    sends it: "lead", "case-3", "mark-5", "task-12", "item-4"), a line saying what it is about,
    and the inputs the issuer gives (name, type, label, value, required, options, maxlength)."""

    kind: str
    target: str
    about: str
    inputs: list[dict] = field(default_factory=list)
    record: object = None


def _input(name, kind, locale, value="", required=False, options=None, maxlength=None) -> dict:
    return {"name": name, "type": kind, "label": field_label(name, locale), "value": value,
            "required": required, "options": options or [], "maxlength": maxlength}


def _note(locale) -> dict:
    return _input("note", "textarea", locale, maxlength=NOTE_MAX)


def _unit_names(session, locale="zh") -> dict[str, str]:
    return {unit.code: unit.name(locale) for unit in session.scalars(select(Unit))}


def _local_date(moment: datetime | None) -> str:
    return moment.astimezone(CHINA_TZ).date().isoformat() if moment else ""


def _proposed_date(moment: datetime | None) -> str:
    """A deadline to propose in a date input: the record's, but never a day already past."""
    if moment is None:
        return ""
    return max(moment.astimezone(CHINA_TZ).date(), clock.now().astimezone(CHINA_TZ).date()).isoformat()


def _open_supervision_cases(session, lead: Lead) -> list[SupervisionCase]:
    """Open supervision cases of the lead and of its rectification items."""
    item_ids = [item.id for item in lead.rectification_items]
    about = and_(SupervisionCase.kind == "lead", SupervisionCase.target_id == lead.id)
    if item_ids:
        about = or_(about, and_(SupervisionCase.kind == "rectification", SupervisionCase.target_id.in_(item_ids)))
    return list(session.scalars(select(SupervisionCase).where(SupervisionCase.status == "open", about)
                                .order_by(SupervisionCase.id)))


def _active_marks(session, instance_ids) -> list[SupervisionMark]:
    if not instance_ids:
        return []
    return list(session.scalars(select(SupervisionMark).where(
        SupervisionMark.instance_id.in_(list(instance_ids)), SupervisionMark.cancelled_at.is_(None))
        .order_by(SupervisionMark.id)))


def _open_tasks(session, instance_ids) -> list[HumanTask]:
    if not instance_ids:
        return []
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id.in_(list(instance_ids)), HumanTask.status == "open").order_by(HumanTask.id)))


def _case_deadline(session, case: SupervisionCase, lead: Lead) -> datetime | None:
    """The reporting deadline a supervision notice proposes: the supervised unit's open step in
    the supervision process (报告督办进展), else the lead's feedback deadline."""
    if case.instance_id is not None:
        due = [task.due_at for task in _open_tasks(session, {case.instance_id}) if task.due_at is not None
               and (case.unit in task.candidate_group_list or not task.candidate_group_list)]
        if due:
            return min(due)
    return lead.feedback_deadline


def dispatched(lead: Lead) -> bool:
    return bool(lead.responsible_unit) and lead.status not in ("registered", "withdrawn")


def offers(session, lead: Lead, instance_ids, locale: str = "zh") -> list[Offer]:
    """The documents the case's state allows now (for any issuer; see `allowed_kinds`)."""
    units = _unit_names(session, locale)
    found = []
    if dispatched(lead):
        found.append(Offer("assignment", "lead", f"{lead.number} → {units.get(lead.responsible_unit, '')}",
                           [_note(locale)]))
    for case in _open_supervision_cases(session, lead):
        about = (f"{case.number} · {label('supervision_level', case.level, locale)} · "
                 f"{units.get(case.unit, '')}")
        deadline = _case_deadline(session, case, lead)
        found.append(Offer("supervision_notice", f"case-{case.id}", about, [
            _input("deadline", "date", locale, _proposed_date(deadline), required=True), _note(locale)], case))
    tasks = {task.id: task for task in _open_tasks(session, instance_ids)}
    for mark in _active_marks(session, instance_ids):
        task = tasks.get(mark.task_id) or (session.get(HumanTask, mark.task_id) if mark.task_id else None)
        if task is None or task.status != "open":
            continue
        about = f"{task.name} · {label('supervision_level', mark.level, locale)} · {units.get(mark.unit or '', '')}"
        found.append(Offer("supervision_notice", f"mark-{mark.id}", about.rstrip(" ·"), [
            _input("deadline", "date", locale, _proposed_date(task.due_at or lead.feedback_deadline), required=True),
            _note(locale)], mark))
    for task in tasks.values():
        inputs = [] if task.due_at else [_input("deadline", "date", locale, required=True)]
        due = f" · {_local_date(task.due_at)}" if task.due_at else ""
        found.append(Offer("reminder", f"task-{task.id}", f"{task.name}{due}", inputs + [_note(locale)], task))
    for item in lead.rectification_items:
        if item.status in FINISHED_ITEM_STATUSES:
            continue
        found.append(Offer("rectification_notice", f"item-{item.id}",
                           f"{item.number} · {_local_date(item.deadline)}", [_note(locale)], item))
    if dispatched(lead):
        found.append(Offer("interview_notice", "lead", lead.number, _interview_inputs(session, lead, locale)))
    if lead.status == "closed":
        found.append(Offer("closure_report", "lead", lead.number, [_note(locale)]))
    return found


def _parties(session, lead: Lead, locale: str) -> list[tuple[str, str]]:
    units = _unit_names(session, locale)
    parties = []
    if lead.subject_display_name:
        parties.append(("subject", lead.subject_display_name))
    if lead.responsible_unit:
        parties.append(("unit", units.get(lead.responsible_unit, "")))
    return parties


def _interview_inputs(session, lead: Lead, locale: str) -> list[dict]:
    person = lead.subject.legal_representative if lead.subject and lead.subject.legal_representative else ""
    return [
        _input("party", "select", locale, "subject" if lead.subject_display_name else "unit", required=True,
               options=_parties(session, lead, locale)),
        _input("interviewee", "text", locale, person, required=True, maxlength=TEXT_MAX),
        _input("interviewee_title", "text", locale, "法定代表人" if person else "", maxlength=TEXT_MAX),
        _input("interview_time", "datetime", locale, required=True),
        _input("interview_place", "text", locale, required=True, maxlength=TEXT_MAX),
        _input("interview_matter", "textarea", locale, required=True, maxlength=MATTER_MAX),
        _note(locale),
    ]


def allowed_kinds(issuer: dict | None) -> tuple[str, ...]:
    """The kinds an issuing unit may issue (issuers.json "kinds"; every kind when not given)."""
    if issuer is None:
        return ()
    kinds = issuer.get("kinds")
    return tuple(kind for kind in KINDS if not kinds or kind in kinds)


# -- the issuer's inputs ----------------------------------------------------------------------------

def validate_inputs(offer: Offer, form, locale: str, now: datetime) -> tuple[dict, dict]:
    """(clean values, errors naming each bad field) of what the issuer entered for the offer."""
    clean, errors = {}, {}
    today = now.astimezone(CHINA_TZ).date()
    for spec in offer.inputs:
        name = spec["name"]
        raw = form.get(name)
        raw = raw.strip() if isinstance(raw, str) else ("" if raw is None else str(raw))
        if not raw:
            if spec["required"]:
                errors.update(_error(name, "required", locale))
            clean[name] = ""
            continue
        if spec["maxlength"] and len(raw) > spec["maxlength"]:
            errors.update(_error(name, "too_long", locale, max=spec["maxlength"]))
            continue
        if spec["type"] == "date":
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                errors.update(_error(name, "invalid_date", locale))
                continue
            if day < today:
                errors.update(_error(name, "in_past", locale))
                continue
            clean[name] = day
        elif spec["type"] == "datetime":
            try:
                moment = datetime.fromisoformat(raw)
            except ValueError:
                errors.update(_error(name, "invalid_datetime", locale))
                continue
            moment = (moment.replace(tzinfo=CHINA_TZ) if moment.tzinfo is None else moment).astimezone(timezone.utc)
            if moment < now:
                errors.update(_error(name, "in_past", locale))
                continue
            clean[name] = moment
        elif spec["type"] == "select":
            if raw not in {value for value, _text in spec["options"]}:
                errors.update(_error(name, "invalid_choice", locale))
                continue
            clean[name] = raw
        else:
            clean[name] = raw
    return clean, errors


# -- the values a document is rendered from -------------------------------------------------------

def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59), CHINA_TZ).astimezone(timezone.utc)


def _task_units(session, task: HumanTask, units: dict[str, str]) -> list[str]:
    """The units that hold a task: its unit groups, else its assignee's unit."""
    names = [units[group] for group in task.candidate_group_list if group in units]
    if not names and task.assignee:
        user = session.scalar(select(User).where(User.username == task.assignee))
        if user is not None and user.unit is not None:
            names = [user.unit.name_zh]
    return names


def _money(amount) -> str:
    return f"{int(amount):,}元" if amount else ""


def _chain(session, instance_ids) -> list[dict]:
    """The 流转意见 of the case's step records (domain.casefile), as the documents print them."""
    from domain.casefile import step_chain
    rows = []
    for index, entry in enumerate(step_chain(session, instance_ids, locale=DOCUMENT_LOCALE), start=1):
        rows.append({"index": index, "step": entry.get("step") or "", "handler": entry.get("handler") or "",
                     "unit": entry.get("unit") or "", "at": chinese_datetime(entry.get("at")),
                     "opinion": entry.get("opinion") or "", "outcome": entry.get("outcome") or "",
                     "element_id": entry.get("element_id") or ""})
    return rows


def _triage_opinion(session, lead: Lead) -> str:
    """The opinion of the lead's latest 研判分流 (the dispatch this sheet hands over)."""
    opinions = [row["opinion"] for row in _chain(session, {lead.instance_id})
                if row["element_id"] == TRIAGE_STEP and row["opinion"]]
    return opinions[-1] if opinions else ""


def document_values(session, lead: Lead, offer: Offer, inputs: dict, *, instance_ids, issuer_code: str,
                    issuer: dict, number: str, issued_at: datetime, issued_by_name: str) -> dict:
    """Everything the templates get, as text (the stored `values`): names, never codes or usernames."""
    zh = DOCUMENT_LOCALE
    units = _unit_names(session, zh)
    issuer_unit = units.get(issuer_code, "")
    responsible = units.get(lead.responsible_unit or "", "")
    values = {
        "kind": offer.kind, "kind_name": kind_name(offer.kind, zh), "number": number,
        "issuer_name": issuer.get("name") or issuer_unit, "issuer_unit": issuer_unit,
        "issuer_abbreviation": issuer["abbreviation"],
        "issued_date": chinese_date(issued_at), "issued_at": issued_at.isoformat(), "issued_by": issued_by_name,
        "lead_number": lead.number, "institution": lead.subject_display_name or "",
        "channel": label("channel", lead.channel, zh), "sector": label("sector", lead.sector, zh),
        "received_date": chinese_date(lead.received_at), "summary": lead.summary or "",
        "responsible_unit": responsible, "major": bool(lead.major),
        "feedback_deadline": chinese_date(lead.feedback_deadline),
        "note": inputs.get("note", ""),
    }
    kind, record = offer.kind, offer.record
    if kind == "assignment":
        values.update(title="线索交办单", recipient=responsible, deadline=values["feedback_deadline"],
                      triage_opinion=_triage_opinion(session, lead))
    elif kind == "supervision_notice":
        deadline = inputs["deadline"]
        if isinstance(record, SupervisionCase):
            matter = f"{lead.number}号线索"
            if record.kind == "rectification":
                item = session.get(RectificationItem, record.target_id)
                matter = f"{item.number}号整改事项" if item else matter
            values.update(supervision_number=record.number, supervised_unit=units.get(record.unit, ""),
                          level=label("supervision_level", record.level, zh), level_code=record.level,
                          reason=record.reason or "", matter=matter, step="")
        else:
            task = session.get(HumanTask, record.task_id)
            values.update(supervision_number="", supervised_unit=units.get(record.unit or "", "") or "、".join(
                _task_units(session, task, units)), level=label("supervision_level", record.level, zh),
                level_code=record.level, reason=record.reason or "", matter=f"{lead.number}号线索“{task.name}”环节",
                step=task.name)
        values.update(title="督办通知书", recipient=values["supervised_unit"], deadline=chinese_date(_end_of_day(deadline)),
                      deadline_iso=deadline.isoformat())
    elif kind == "reminder":
        task = record
        due = task.due_at or _end_of_day(inputs["deadline"])
        today = issued_at.astimezone(CHINA_TZ).date()
        overdue_days = (today - due.astimezone(CHINA_TZ).date()).days if due <= issued_at else 0
        instance = session.get(ProcessInstance, task.instance_id)
        values.update(title="催办通知", recipient="、".join(_task_units(session, task, units)), step=task.name,
                      process=instance.definition.name if instance else "", deadline=chinese_date(due),
                      deadline_iso=due.isoformat(), overdue=due <= issued_at, overdue_days=max(overdue_days, 0),
                      task_since=chinese_date(task.created_at))
    elif kind == "rectification_notice":
        item = record
        subject = item.subject.name if item.subject else values["institution"]
        values.update(title="整改通知书", recipient=subject or units.get(item.responsible_unit, ""),
                      item_number=item.number, item_institution=subject, problem=item.problem,
                      measures=item.measures, responsible_person=item.responsible_person or "",
                      item_unit=units.get(item.responsible_unit, ""), deadline=chinese_date(item.deadline),
                      deadline_iso=item.deadline.isoformat())
    elif kind == "interview_notice":
        party = dict(_parties(session, lead, zh)).get(inputs["party"], "")
        values.update(title="约谈通知书", recipient=party, party=party, interviewee=inputs["interviewee"],
                      interviewee_title=inputs.get("interviewee_title", ""),
                      interview_time=chinese_datetime(inputs["interview_time"]),
                      interview_time_iso=inputs["interview_time"].isoformat(),
                      interview_place=inputs["interview_place"], interview_matter=inputs["interview_matter"])
    elif kind == "closure_report":
        values.update(title=f"关于{lead.number}号线索办结情况的报告", recipient=issuer.get("superior") or DEFAULT_SUPERIOR,
                      result=label("result", lead.result, zh) if lead.result else "",
                      recovered=_money(lead.recovered_amount), closed_date=chinese_date(lead.closed_at),
                      chain=[{key: value for key, value in row.items() if key != "element_id"}
                             for row in _chain(session, instance_ids)])
    return values


# -- issuing -----------------------------------------------------------------------------------------

def counter_key(issuer_code: str, year: int) -> str:
    key = f"{COUNTER_PREFIX}-{year}-{issuer_code}"
    if len(key) > COUNTER_KEY_LENGTH:
        key = f"{COUNTER_PREFIX}-{year}-{hashlib.sha256(issuer_code.encode()).hexdigest()[:24]}"
    return key


def draw_number(session, issuer_code: str, abbreviation: str, at: datetime) -> tuple[str, int, int]:
    """(文号, year, serial): the issuer's next number in the Beijing year of `at`."""
    year = at.astimezone(CHINA_TZ).year
    serial = next_serial(session, counter_key(issuer_code, year))
    return f"{abbreviation}〔{year}〕{serial}号", year, serial


def issue(session, lead: Lead, instance_ids, kind: str, target: str, form, *, issuer_code: str | None,
          username: str, display_name: str, directory, locale: str = "zh") -> IssuedDocument:
    """Issue one document; raises ValidationFailed (naming the field) when the input or the case's
    state does not allow it, render.TemplateMissing when a template is missing or broken. Writes
    the document and its audit row in the caller's transaction (nothing is committed here)."""
    locale = normalize_locale(locale)
    if kind not in KINDS:
        raise ValidationFailed(_error("kind", "invalid_choice", locale))
    issuers = load_issuers(directory)
    issuer = issuers.get(issuer_code or "")
    if issuer is None:
        raise ValidationFailed(_error("issuer", "no_issuer", locale))
    if kind not in allowed_kinds(issuer):
        raise ValidationFailed(_error("kind", "not_for_issuer", locale))
    now = clock.now()
    available = [offer for offer in offers(session, lead, instance_ids, locale) if offer.kind == kind]
    if not available:
        raise ValidationFailed(_error("kind", "not_offered", locale))
    offer = next((offer for offer in available if offer.target == (target or "").strip()), None)
    if offer is None:
        raise ValidationFailed(_error("target", "required" if not target else "invalid_choice", locale))
    inputs, errors = validate_inputs(offer, form, locale, now)
    if errors:
        raise ValidationFailed(errors)
    number, year, serial = draw_number(session, issuer_code, issuer["abbreviation"], now)
    values = clean_text(document_values(session, lead, offer, inputs, instance_ids=instance_ids,
                                        issuer_code=issuer_code, issuer=issuer, number=number, issued_at=now,
                                        issued_by_name=display_name))
    docx, html, templates_sha256 = render(directory, kind, values)
    record = offer.record
    document = IssuedDocument(
        number=number, issuer=issuer_code, year=year, serial=serial, kind=kind, title=values["title"],
        lead_id=lead.id, instance_id=getattr(record, "instance_id", None) or lead.instance_id,
        business_key=lead.number,
        item_id=record.id if isinstance(record, RectificationItem) else None,
        supervision_id=record.id if isinstance(record, SupervisionCase) else None,
        task_id=(record.id if isinstance(record, HumanTask) else
                 record.task_id if isinstance(record, SupervisionMark) else None),
        issued_by=username, issued_by_name=display_name, issued_at=now, values=values,
        template_sha256=templates_sha256, docx=docx, html=html, sha256=hashlib.sha256(docx).hexdigest(),
        html_sha256=hashlib.sha256(html.encode("utf-8")).hexdigest())
    session.add(document)
    session.flush()
    audit(session, username, "document.issued", instance_id=lead.instance_id, document_id=document.id,
          number=number, kind=kind, lead_id=lead.id, target=offer.target, issuer=issuer_code,
          sha256=document.sha256)
    return document


def documents_of_lead(session, lead_id: int) -> list[IssuedDocument]:
    """The lead's issued documents, newest first (without their bytes)."""
    return list(session.scalars(select(IssuedDocument).where(IssuedDocument.lead_id == lead_id)
                                .order_by(IssuedDocument.issued_at.desc(), IssuedDocument.id.desc())))
