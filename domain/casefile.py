"""The case file (案卷): what a case's pages, documents and the API show of its work.

One place assembles it so that the task page, the case page, the official documents and
the API agree: the case's records (the lead, the rectification item, the supervision
case), and its step records (办理意见: what each handler submitted, engine.step_records),
rendered with the form definition the handler saw, in plain words: labels for enum
values, unit names for unit codes, people's names for usernames, file names for files.

No Flask here: callers pass the session and the locale.
"""
from datetime import date, datetime

from sqlalchemy import select

from domain import decision_fields
from domain.documents.issuing import documents_of_lead
from domain.fieldspec import field_label
from domain.forms import FormError, load_form
from domain.labels import label, pick
from domain.wording import unit_names
from domain.models import Lead, RectificationItem, SupervisionCase, User
from engine.store.models import Attachment, AuditEvent, HumanTask, ProcessInstance, StepRecord
from engine.workcal import CHINA_TZ

# Ids of decision fields when a form does not name its "outcome" field.
OUTCOME_FIELD_IDS = ("result", "completion", "lookback_result", "police_decision")
WORDS = {
    "yes": {"zh": "是", "en": "Yes"}, "no": {"zh": "否", "en": "No"},
    "sent_back": {"zh": "退回", "en": "Sent back"},
    "resolved": {"zh": "办毕交回", "en": "Done, handed back"},
    "none": {"zh": "无", "en": "None"},
    "paper_receipt": {"zh": "（纸质回执，专项办录入）", "en": " (a paper receipt, entered by the special office)"},
    "report_sent": {"zh": "已推送至上级专项办平台", "en": "Sent to the superior special office's platform"},
    "report_recorded": {"zh": "未配置上级平台地址：办结情况已记录，未推送",
                        "en": "No superior platform is configured: the report was recorded, not sent"},
    "external_failed": {"zh": "外部系统多次办理失败，已转系统管理员处理",
                        "en": "Another system failed repeatedly; passed to the administrators"},
    "by_rule": {"zh": "（按规则评定：{computed}）", "en": " (by rule: {computed})"},
    "as_by_rule": {"zh": "（按规则评定）", "en": " (by rule)"},
    "changed_from_rule": {"zh": "按规则评定：{computed}，改判为：{grade}", "en": "By rule: {computed}; changed to: {grade}"},
}


def word(key: str, locale: str) -> str:
    return pick(WORDS[key], locale)


# -- what a form says about its own fields ------------------------------------------

def outcome_field(form: dict | None) -> dict | None:
    """The field whose value is the step's outcome (审核意见, 核实结果 …): named by the form's
    "outcome" key, else the first choice field whose id says it decides."""
    fields = (form or {}).get("fields") or []
    named = (form or {}).get("outcome")
    for spec in fields:
        if named and spec["id"] == named:
            return spec
    if named:
        return None
    for spec in fields:
        if spec.get("type") == "enum" and (spec["id"].endswith("_decision") or spec["id"] in OUTCOME_FIELD_IDS):
            return spec
    return None


def opinion_field(form: dict | None) -> dict | None:
    """The field holding the handler's opinion (意见): named by the form's "opinion" key, else
    the first text area whose id says so, else the first text area."""
    fields = (form or {}).get("fields") or []
    named = (form or {}).get("opinion")
    if named:
        return next((spec for spec in fields if spec["id"] == named), None)
    areas = [spec for spec in fields if spec.get("type") == "textarea"]
    return next((spec for spec in areas if "opinion" in spec["id"]), areas[0] if areas else None)


def record_details(form: dict | None, data: dict | None, person=None) -> dict:
    """What the engine keeps with a step record beside the values (engine.step_records).
    `person`: the handler (a User, or the web's CurrentUser with unit_code and unit_name)."""
    data = data or {}
    details = {"form": form, "form_key": (form or {}).get("key")}
    spec = opinion_field(form)
    if spec and data.get(spec["id"]) not in (None, ""):
        details["opinion"] = str(data[spec["id"]])
    spec = outcome_field(form)
    if spec and data.get(spec["id"]) not in (None, ""):
        details["outcome"] = str(data[spec["id"]])
    if person is not None:
        details["handler_name"] = person.display_name
        if hasattr(person, "unit_code"):
            details.update(unit_code=person.unit_code, unit_name=person.unit_name or None)
        elif person.unit is not None:
            details.update(unit_code=person.unit.code, unit_name=person.unit.name_zh)
    return details


# -- values as people read them ---------------------------------------------------------

def _option_label(spec: dict, value, locale: str) -> str:
    for option in spec.get("options") or []:
        if isinstance(option, dict) and option.get("value") == value:
            return pick(option.get("label"), locale) or str(value)
        if option == value:
            return str(value)
    return str(value)


def _moment(value, kind: str) -> str:
    if not isinstance(value, str):
        return str(value)
    try:
        if kind == "date":
            return date.fromisoformat(value[:10]).strftime("%Y-%m-%d")
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TZ)
    return moment.strftime("%Y-%m-%d %H:%M")


def display_value(spec: dict, value, locale: str, units: dict[str, str]) -> str:
    """A submitted value as text (files are listed separately)."""
    kind = spec.get("type", "text")
    if value is None or value == "" or value == []:
        return ""
    if kind == "boolean":
        return word("yes", locale) if value in (True, "true", "on", "1") else word("no", locale)
    if kind == "enum":
        return _option_label(spec, value, locale)
    if kind == "multienum":
        items = value if isinstance(value, list) else [value]
        return "、".join(_option_label(spec, item, locale) for item in items)
    if kind == "unit":
        return units.get(value, str(value))
    if kind in ("date", "datetime"):
        return _moment(value, kind)
    if kind == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _file_ids(value) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [int(item) for item in items if str(item).isdigit()]


def _file_entry(a: Attachment) -> dict:
    """An evidence file as the record lists it (the type decides how the page previews it)."""
    return {"id": a.id, "filename": a.filename, "content_type": a.content_type}


def _field_rows(spec: dict, value, locale: str, units: dict[str, str], files: dict[int, Attachment]) -> list[dict]:
    """The row of one submitted value (none when it shows nothing)."""
    if spec.get("type") == "file":
        attached = [files[i] for i in _file_ids(value) if i in files]
        return [{"id": spec["id"], "label": field_label(spec, locale), "type": "file", "value": "",
                 "files": [_file_entry(a) for a in attached]}] if attached else []
    text = display_value(spec, value, locale, units)
    return [{"id": spec["id"], "label": field_label(spec, locale), "type": spec.get("type", "text"),
             "value": text, "files": []}] if text else []


def rendered_fields(form: dict | None, values: dict | None, locale: str, units: dict[str, str],
                    files: dict[int, Attachment]) -> list[dict]:
    """[{id, label, type, value, files}] of a submission in the form's order; fields without a
    value (hidden, left empty) are left out; values the form does not know come last, so
    nothing submitted is ever hidden."""
    values = dict(values or {})
    recorded = decision_fields.recorded_rows(form, values, locale)  # a value by rule, and its rule
    for key in decision_fields.recorded_names(form):
        values.pop(key, None)
    out = []
    for spec in (form or {}).get("fields") or []:
        if spec["id"] in values:
            out += _field_rows(spec, values.pop(spec["id"]), locale, units, files)
        if spec.get("decision"):  # after the field, what the table gave it
            out += [{"id": key, "label": recorded[key]["label"], "type": "text", "value": recorded[key]["value"],
                     "files": []} for key in decision_fields.record_names(spec).values() if key in recorded]
    for key, value in values.items():  # submitted outside the form (API clients): shown as given
        if value not in (None, "", []):
            out.append({"id": key, "label": label("field", key, locale), "type": "text",
                        "value": value if isinstance(value, str) else str(value), "files": []})
    return out


# -- events of the case's trail that carry more than their name ---------------------------------

def event_detail(action: str, data: dict | None, locale: str = "zh") -> str | None:
    """What a timeline shows beside an event's name, in plain words, for the events whose data
    says more (the police's acceptance receipt, the completion report); None for the others."""
    data = data or {}
    if action == "police.receipt_received":
        parts = [(label("field", "receipt_no", locale), data.get("receipt_no")),
                 (label("field", "accepting_unit", locale), data.get("accepting_unit")),
                 (label("field", "accepted_on", locale), data.get("accepted_on"))]
        separator, colon = ("; ", ": ") if locale == "en" else ("；", "：")
        text = separator.join(f"{name}{colon}{value}" for name, value in parts if value)
        return text + (word("paper_receipt", locale) if data.get("paper") else "")
    if action == "lead.completion_reported":
        return word("report_sent" if data.get("sent") else "report_recorded", locale)
    if action in ("risk.graded", "risk.grade_overridden") and data.get("grade"):
        return _grade_detail(action, data, locale)
    if action == "incident.opened" and data.get("kind") == "failed_external_task":
        return word("external_failed", locale)  # the engine's message names the worker's topic
    return None


def _grade_detail(action: str, data: dict, locale: str) -> str:
    """黄色（按规则评定：橙色）, or for a change from the rule: 按规则评定：橙色，改判为：黄色 (the reason is the
    event's own). The rule that matched comes after, as recorded."""
    grade = label("grade", data["grade"], locale)
    computed = label("grade", data.get("computed_grade"), locale) if data.get("computed_grade") else ""
    if action == "risk.grade_overridden":
        text = pick(WORDS["changed_from_rule"], locale).format(computed=computed, grade=grade)
    elif data.get("computed_grade") == data["grade"]:
        text = grade + pick(WORDS["as_by_rule"], locale)
    else:
        text = grade + (pick(WORDS["by_rule"], locale).format(computed=computed) if computed else "")
    return f"{text} · {data['rule']}" if data.get("rule") else text


# -- step records -------------------------------------------------------------------------

def _people(session, usernames) -> dict[str, User]:
    names = {u for u in usernames if u}
    if not names:
        return {}
    return {user.username: user for user in session.scalars(select(User).where(User.username.in_(names)))}


def _form_of(record: StepRecord) -> dict | None:
    """The form as the handler saw it; records from before forms were kept read today's form."""
    if record.form:
        return record.form
    if record.form_key:
        try:
            return load_form(record.form_key)
        except FormError:
            return None
    return None


def _outcome_text(record: StepRecord, form: dict | None, locale: str) -> str:
    if record.kind == "sent_back":
        return word("sent_back", locale)
    value = record.outcome
    spec = outcome_field(form)
    if value is None and spec is not None:
        value = (record.values or {}).get(spec["id"])
    if value in (None, ""):
        return word("resolved", locale) if record.kind == "resolved" else ""
    return _option_label(spec, value, locale) if spec else str(value)


def step_chain(session, instance_ids, locale: str = "zh") -> list[dict]:
    """The case's step records (流转意见), oldest first: step, handler, unit, time, opinion,
    outcome, and every submitted field with its label and shown value.

    Each dict: id, task_id, instance_id, element_id, step, kind, handler (name), unit (unit
    name), at (aware UTC), opinion, outcome, fields (see rendered_fields), files (evidence
    uploaded while handling the step that no field lists).
    """
    ids = [i for i in set(instance_ids or ()) if i is not None]
    if not ids:
        return []
    records = session.scalars(select(StepRecord).where(StepRecord.instance_id.in_(ids))
                              .order_by(StepRecord.at, StepRecord.id)).all()
    if not records:
        return []
    units = unit_names(session, locale)
    people = _people(session, [r.handler for r in records])
    files = {a.id: a for a in session.scalars(select(Attachment).where(Attachment.instance_id.in_(ids)))}
    out = []
    for record in records:
        form = _form_of(record)
        user = people.get(record.handler)
        fields = rendered_fields(form, record.values, locale, units, files)
        opinion_spec = opinion_field(form)
        opinion = record.opinion
        if opinion is None and opinion_spec is not None:
            opinion = (record.values or {}).get(opinion_spec["id"])
        # The opinion is one of the fields (shown with them in full) unless it came from elsewhere (退回).
        opinion_shown = opinion_spec is not None and any(field["id"] == opinion_spec["id"] for field in fields)
        listed = {f["id"] for field in fields for f in field["files"]}
        # Evidence uploaded on the task outside the form's fields, by this record's handler
        # (a delegated task has two records, each with its own uploads).
        loose = [_file_entry(a) for a in files.values()
                 if a.task_id == record.task_id and a.uploaded_by == record.handler and a.id not in listed]
        out.append({
            "id": record.id, "task_id": record.task_id, "instance_id": record.instance_id,
            "element_id": record.element_id, "step": record.step_name, "kind": record.kind,
            "handler": record.handler_name or (user.display_name if user else "") or "",
            "unit": record.unit_name if locale == "zh" and record.unit_name else
            units.get(record.unit_code or (user.unit.code if user and user.unit else ""), record.unit_name or ""),
            "at": record.at, "opinion": opinion or "", "opinion_shown": opinion_shown and record.kind != "sent_back",
            "outcome": _outcome_text(record, form, locale),
            "fields": fields, "files": loose,
        })
    return out


def reviewed_elements(form: dict | None, task: HumanTask, chain: list[dict]) -> set[int]:
    """Ids of the step records a task shows in full: those of the steps its form "reviews"
    (element ids), and the latest record before it (the step it continues)."""
    wanted = set((form or {}).get("reviews") or [])
    shown = set()
    latest_of = {}
    for entry in chain:
        if entry["instance_id"] == task.instance_id and entry["element_id"] in wanted:
            latest_of[entry["element_id"]] = entry["id"]
    shown.update(latest_of.values())
    own = [entry for entry in chain if entry["instance_id"] == task.instance_id]
    if own:
        shown.add(own[-1]["id"])
    return shown


# -- which process instances make up a case -------------------------------------------------

# Processes whose instances may carry `lead_id` / `subject_id` in their start data.
LINKED_PROCESSES = ("risk_disposal", "supervision", "rectification")


def instances_started_with(session, key: str, value: int) -> set[int]:
    """Instances of the linked processes whose start data has `key` == value.

    The start data is in the instance.started audit row (the engine keeps no
    other copy outside the workflow state). Compared as text, so 12 and "12" match
    on SQLite and PostgreSQL alike.
    """
    reference = AuditEvent.data[("data", key)].as_string()
    return set(session.scalars(
        select(AuditEvent.instance_id)
        .join(ProcessInstance, ProcessInstance.id == AuditEvent.instance_id)
        .where(ProcessInstance.process_id.in_(LINKED_PROCESSES), AuditEvent.action == "instance.started",
               reference == str(value))))


def lead_instance_ids(session, lead: Lead) -> set[int]:
    """Every process instance of a lead: its lead_handling, supervision of it and of
    its rectification items, the items' rectification, and instances started with its id."""
    ids = {lead.instance_id}
    ids.update(session.scalars(select(ProcessInstance.id).where(ProcessInstance.business_key == lead.number)))
    ids.update(session.scalars(select(SupervisionCase.instance_id).where(
        SupervisionCase.kind == "lead", SupervisionCase.target_id == lead.id)))
    item_ids = list(session.scalars(select(RectificationItem.id).where(RectificationItem.lead_id == lead.id)))
    if item_ids:
        ids.update(session.scalars(select(RectificationItem.instance_id).where(
            RectificationItem.id.in_(item_ids))))
        ids.update(session.scalars(select(SupervisionCase.instance_id).where(
            SupervisionCase.kind == "rectification", SupervisionCase.target_id.in_(item_ids))))
    ids |= instances_started_with(session, "lead_id", lead.id)
    ids.discard(None)
    return ids


def lead_of_instance(session, instance: ProcessInstance) -> Lead | None:
    """The lead a process instance works on, if any (its own, by key, or through its item or case)."""
    lead = session.scalar(select(Lead).where(Lead.instance_id == instance.id))
    if lead is None and instance.business_key:
        lead = session.scalar(select(Lead).where(Lead.number == instance.business_key))
    if lead is None:
        item = session.scalar(select(RectificationItem).where(RectificationItem.instance_id == instance.id))
        if item is not None:
            lead = item.lead
    if lead is None:
        case = session.scalar(select(SupervisionCase).where(SupervisionCase.instance_id == instance.id))
        if case is not None and case.kind == "lead" and case.target_id:
            lead = session.get(Lead, case.target_id)
    if lead is None and instance.process_id in LINKED_PROCESSES:  # started for a lead (graded disposal)
        start = session.scalar(select(AuditEvent.data).where(AuditEvent.instance_id == instance.id,
                                                             AuditEvent.action == "instance.started"))
        lead_id = ((start or {}).get("data") or {}).get("lead_id")
        if str(lead_id).isdigit():
            lead = session.get(Lead, int(lead_id))
    return lead


def case_instance_ids(session, instance: ProcessInstance) -> set[int]:
    """The instances whose step records belong to the same case as `instance`: the whole
    lead's when it works on a lead, else its own."""
    lead = lead_of_instance(session, instance)
    ids = lead_instance_ids(session, lead) if lead is not None else set()
    ids.add(instance.id)
    return ids


def documents(session, lead: Lead) -> list:
    """The official documents issued on the lead, newest first (domain.documents)."""
    return documents_of_lead(session, lead.id)


# -- the case's records --------------------------------------------------------------------

def _record_of(session, model, instance: ProcessInstance):
    """The rectification item or supervision case an instance works on (by instance, else by number)."""
    record = session.scalar(select(model).where(model.instance_id == instance.id))
    if record is None and instance.business_key:
        record = session.scalar(select(model).where(model.number == instance.business_key))
    return record


def _when(moment) -> str:
    return "" if moment is None else moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def case_records(session, instance: ProcessInstance, locale: str = "zh") -> list[dict]:
    """The records a task of this instance works on, as titled lists of (label, value):
    the lead; the rectification item (problem, measures, responsible person, deadline);
    the supervision case. Never the reporter."""
    units = unit_names(session, locale)
    panels = []
    item = _record_of(session, RectificationItem, instance)
    case = _record_of(session, SupervisionCase, instance)
    lead = lead_of_instance(session, instance)
    if item is not None:
        panels.append({"kind": "rectification", "title": label("record", "rectification_item", locale),
                       "number": item.number, "rows": [
            (label("field", "subject_id", locale), item.subject.name if item.subject else ""),
            (label("field", "problem", locale), item.problem),
            (label("field", "measures", locale), item.measures),
            (label("field", "responsible_unit", locale), units.get(item.responsible_unit, "")),
            (label("field", "responsible_person", locale), item.responsible_person),
            (label("field", "deadline", locale), _when(item.deadline)),
            (label("field", "status", locale), label("rectification_status", item.status, locale)),
        ]})
    if case is not None:
        panels.append({"kind": "supervision", "title": label("record", "supervision_case", locale),
                       "number": case.number, "rows": [
            (label("field", "unit", locale), units.get(case.unit, "")),
            (label("field", "level", locale), label("supervision_level", case.level, locale)),
            (label("field", "reason", locale), case.reason),
            (label("field", "opened_at", locale), _when(case.opened_at)),
        ]})
    if lead is not None:
        panels.insert(0, {"kind": "lead", "title": label("record", "lead", locale), "number": lead.number,
                          "lead_id": lead.id, "rows": [
            (label("field", "channel", locale), label("channel", lead.channel, locale)),
            (label("field", "received_at", locale), _when(lead.received_at)),
            (label("field", "subject_id", locale), lead.subject_display_name or ""),
            (label("field", "sector", locale), label("sector", lead.sector, locale)),
            (label("field", "summary", locale), lead.summary),
            (label("field", "responsible_unit", locale), units.get(lead.responsible_unit or "", "")),
            (label("field", "feedback_deadline", locale), _when(lead.feedback_deadline)),
        ]})
    for panel in panels:
        panel["rows"] = [(name, value) for name, value in panel["rows"] if value not in (None, "")]
    return panels
