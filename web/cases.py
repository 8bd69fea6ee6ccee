"""Case pages: registering a lead, the leads list, a lead's case page, a subject's page,
and the BPMN diagram of any process instance of a case.

Who sees what (web.access): the special office (unit `office`), office leaders and
administrators see every case. Officers and supervisors see a lead when its
responsible unit is among their visible units, or when one of its process
instances has an open task they may see (or one they completed). A subject is
visible to units that hold a lead, a rectification item, a disposal, an inspection
(web/inspections.py) or a task for it. Anything invisible is a 404, as for tasks: another unit's case is not
even acknowledged to exist.
"""
from datetime import datetime
from functools import lru_cache

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from lxml import etree
from sqlalchemy import and_, exists, func, or_, select
from SpiffWorkflow.util.task import TaskState

from domain import casefile, wording
from domain.wording import as_id
from domain.errors import AlreadyRegistered, PermissionDenied, ValidationFailed
from domain.labels import CHANNEL, LEAD_STATUS, OPEN_LEAD_STATUSES, ROLE, SECTOR, label
from domain.leads import register_lead
from domain.models import (
    Disposal,
    Inspection,
    Lead,
    RectificationItem,
    RiskAssessment,
    Subject,
    SupervisionCase,
)
from domain.records import field_error
from domain.reporters import masked_reporter, view_reporter
from engine import clock
from engine.errors import DubanError
from engine.store.models import (Attachment, AuditEvent, HumanTask, ProcessDefinition, ProcessInstance,
                                 TaskCandidate)
from web import phase_filter
from web.errors import engine_message, status_of
from web.extensions import db
from web.params import page_arg
from web.i18n import short_locale
from web.presenters import BEIJING

bp = Blueprint("cases", __name__)

PAGE_SIZE = 20
TIMELINE_LIMIT = 500
# Processes whose instances may carry `lead_id` / `subject_id` in their start data.
LINKED_PROCESSES = casefile.LINKED_PROCESSES
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Spiff states that make an element "where the case is now".
CURRENT_STATES = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


def _engine():
    from web import engine_of
    from flask import current_app
    return engine_of(current_app)


# -- links between cases and process instances ----------------------------------

def _instances_started_with(key: str, value: int) -> set[int]:
    return casefile.instances_started_with(db.session, key, value)


def lead_instance_ids(lead: Lead) -> set[int]:
    """Every process instance of a lead (domain.casefile.lead_instance_ids)."""
    return casefile.lead_instance_ids(db.session, lead)


def subject_instance_ids(subject: Subject) -> set[int]:
    """The instances of a subject's leads (their lead handling), rectification items and disposal."""
    ids = set(db.session.scalars(select(Lead.instance_id).where(Lead.subject_id == subject.id)))
    ids.update(db.session.scalars(select(RectificationItem.instance_id).where(
        RectificationItem.subject_id == subject.id)))
    ids |= _instances_started_with("subject_id", subject.id)
    ids.discard(None)
    return ids


# -- access ---------------------------------------------------------------------

def _sees_everything() -> bool:
    return current_user.sees_everything


def _has_task_in(instance_ids) -> bool:
    """An open task of these instances the user may see, or one the user completed."""
    if not instance_ids:
        return False
    tasks = db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id.in_(list(instance_ids)),
        or_(HumanTask.status == "open", HumanTask.completed_by == current_user.username))).all()
    return any(task.completed_by == current_user.username
               or (task.status == "open" and current_user.can_see_task(task)) for task in tasks)


def can_see_lead(lead: Lead, instance_ids=None) -> bool:
    if _sees_everything() or current_user.can_see_unit(lead.responsible_unit):
        return True
    return _has_task_in(lead_instance_ids(lead) if instance_ids is None else instance_ids)


def can_see_subject(subject: Subject) -> bool:
    if _sees_everything():
        return True
    visible = list(current_user.visible_units())
    if visible and any(db.session.scalar(select(exists().where(*where))) for where in (
            (Lead.subject_id == subject.id, Lead.responsible_unit.in_(visible)),
            (RectificationItem.subject_id == subject.id, RectificationItem.responsible_unit.in_(visible)),
            (Disposal.subject_id == subject.id, Disposal.unit.in_(visible)),
            (Inspection.subject_id == subject.id, Inspection.unit.in_(visible)))):
        return True
    return _has_task_in(subject_instance_ids(subject))


def can_see_instance(instance: ProcessInstance) -> bool:
    """The diagram of an instance: for whoever may see one of its cases or tasks."""
    if _sees_everything() or _has_task_in({instance.id}):
        return True
    by_key = Lead.number == instance.business_key if instance.business_key else False
    leads = set(db.session.scalars(select(Lead).where(or_(Lead.instance_id == instance.id, by_key))))
    subjects = set()
    start = _start_data([instance.id]).get(instance.id, {})
    for key, model, found in (("lead_id", Lead, leads), ("subject_id", Subject, subjects)):
        record_id = as_id(start.get(key))
        if record_id is not None and (record := db.session.get(model, record_id)) is not None:
            found.add(record)
    for case in db.session.scalars(select(SupervisionCase).where(SupervisionCase.instance_id == instance.id)):
        if current_user.can_see_unit(case.unit):
            return True
        if case.kind == "lead" and case.target_id and (lead := db.session.get(Lead, case.target_id)):
            leads.add(lead)
    for item in db.session.scalars(select(RectificationItem).where(RectificationItem.instance_id == instance.id)):
        if current_user.can_see_unit(item.responsible_unit):
            return True
        if item.lead is not None:
            leads.add(item.lead)
    return any(can_see_lead(lead) for lead in leads) or any(can_see_subject(s) for s in subjects)


def visible_leads_clause():
    """SQL for the leads list: responsible unit visible, or a task of its lead handling
    open to the user (or completed by them). None when the user sees everything."""
    if _sees_everything():
        return None
    visible = sorted(current_user.visible_units())
    groups = sorted(set(visible) | set(current_user.actor.groups))
    me = current_user.username
    candidate = exists().where(
        TaskCandidate.task_id == HumanTask.id,
        or_(and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(groups)),
            and_(TaskCandidate.kind == "user", TaskCandidate.name == me)))
    task = exists().where(
        HumanTask.instance_id == Lead.instance_id,
        or_(HumanTask.completed_by == me,
            and_(HumanTask.status == "open", or_(HumanTask.assignee == me, candidate))))
    return or_(Lead.responsible_unit.in_(visible), task)


def visible_lead_or_404(lead_id: int) -> tuple[Lead, set[int]]:
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        abort(404)
    instance_ids = lead_instance_ids(lead)
    if not can_see_lead(lead, instance_ids):
        abort(404)
    return lead, instance_ids


def _visible_instance_or_404(instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None or not can_see_instance(instance):
        abort(404)
    return instance


# -- names for the page ---------------------------------------------------------

def _unit_names() -> dict[str, str]:
    return wording.unit_names(db.session, short_locale())


def _display_names(usernames) -> dict[str, str]:
    """{username: 姓名（单位）} (domain.wording); the engine's own actor reads as 系统."""
    return wording.person_labels(db.session, usernames, short_locale())


def _holder_names(codes, units: dict[str, str]) -> list[str]:
    """Candidate groups as people read them: unit names, working groups' names, role names."""
    from web.presenters import working_group_name_map
    locale = short_locale()
    working = working_group_name_map()
    return [units.get(code) or working.get(code) or (label("role", code, locale) if code in ROLE else code)
            for code in codes if code]


def _element_names(definition: ProcessDefinition) -> dict[str, str]:
    """{element id: name} of a deployed version."""
    return _names_of_version(definition.id, definition.checksum)


@lru_cache(maxsize=128)
def _names_of_version(definition_id: int, checksum: str) -> dict[str, str]:
    """Cached by id and checksum: a deployed version never changes."""
    source = db.session.scalar(select(ProcessDefinition.source_xml).where(ProcessDefinition.id == definition_id))
    if not source:
        return {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(bytes(source), parser)
    names = {}
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith(f"{{{BPMN_NS}}}") and element.get("id"):
            names[element.get("id")] = element.get("name") or ""
    return names


def _start_data(instance_ids) -> dict[int, dict]:
    if not instance_ids:
        return {}
    rows = db.session.execute(select(AuditEvent.instance_id, AuditEvent.data).where(
        AuditEvent.instance_id.in_(list(instance_ids)), AuditEvent.action == "instance.started")).all()
    return {instance_id: ((data or {}).get("data") or {}) for instance_id, data in rows}


def action_names() -> dict[str, str]:
    """Audit actions in plain words (the timeline): domain.wording, in the page's language."""
    return wording.action_names(short_locale())


def _lead_update_text(fields: dict, units: dict[str, str]) -> str:
    locale = short_locale()
    parts = []
    for name, value in (fields or {}).items():
        if name == "status":
            shown = label("lead_status", value, locale)
        elif name == "result":
            shown = label("result", value, locale)
        elif name == "responsible_unit":
            shown = units.get(value, value or "")
        elif name == "major":
            shown = _("yes") if value else _("no")
        elif name == "feedback_deadline" and value:
            try:
                shown = datetime.fromisoformat(value).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
            except (TypeError, ValueError):
                shown = str(value)
        else:
            shown = "" if value is None else str(value)
        parts.append(f"{label('field', name, locale)}：{shown}")
    return "；".join(parts)


def timeline(lead: Lead, instances: list[ProcessInstance]) -> list[dict]:
    """Every audit event of the lead's instances, oldest first, in words."""
    by_id = {instance.id: instance for instance in instances}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id.in_(list(by_id)))
                                .order_by(AuditEvent.at, AuditEvent.id).limit(TIMELINE_LIMIT)).all() if by_id else []
    task_names = dict(db.session.execute(select(HumanTask.id, HumanTask.name).where(
        HumanTask.id.in_({e.task_id for e in events if e.task_id}))).all()) if events else {}
    units = _unit_names()
    people = _display_names([e.actor for e in events] + [lead.created_by])
    names = action_names()
    entries = [{"at": lead.created_at, "action": "lead.registered", "label": names["lead.registered"],
                "actor": people.get(lead.created_by, lead.created_by or ""), "process": "",
                "detail": label("channel", lead.channel, short_locale()), "reason": ""}]
    for event in events:
        instance = by_id.get(event.instance_id)
        element_names = _element_names(instance.definition) if instance else {}
        data = event.data or {}
        detail = ""
        if event.task_id or event.action.startswith("task."):
            detail = task_names.get(event.task_id) or element_names.get(event.element_id or "", "")
            if event.action == "task.created":
                holders = [people.get(data.get("assignee"), data.get("assignee"))] if data.get("assignee") else \
                    _holder_names((data.get("candidate_groups") or "").split(","), units)
                if holders:
                    detail = f"{detail}（{'、'.join(holders)}）"
        elif event.action.startswith(("timer.", "incident.", "message.", "signal.", "external_task.")) \
                and event.element_id:
            detail = element_names.get(event.element_id) or ""
        elif event.action == "lead.updated":
            detail = _lead_update_text(data.get("fields"), units)
        words = casefile.event_detail(event.action, data, short_locale())
        if words:
            detail = f"{detail} {words}".strip()
        elif event.action == "incident.opened" and data.get("message"):
            detail = f"{detail} {data['message']}".strip()
        elif event.action == "comment.added" and data.get("text"):
            detail = f"{detail}：{data['text']}" if detail else data["text"]
        elif event.action == "document.issued" and data.get("number"):
            detail = data["number"]
        entries.append({
            "at": event.at, "action": event.action,
            "label": names.get(event.action) or wording.action_label(event.action, short_locale()),
            "actor": people.get(event.actor, event.actor or ""),
            "process": instance.definition.name if instance else "",
            "detail": detail, "reason": event.reason or "",
        })
    return entries


def holders(instance_ids) -> list[dict]:
    """Open tasks of the case: who holds it now and until when."""
    if not instance_ids:
        return []
    tasks = db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id.in_(list(instance_ids)), HumanTask.status == "open")
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)).all()
    units = _unit_names()
    people = _display_names([t.assignee for t in tasks] + [u for t in tasks for u in t.candidate_user_list])
    rows = []
    for task in tasks:
        if task.assignee:
            who = [people.get(task.assignee, task.assignee)]
        else:
            who = _holder_names(task.candidate_group_list, units) + [
                people.get(u, u) for u in task.candidate_user_list]
        rows.append({"task": task, "who": who, "claimed": bool(task.assignee),
                     "process": task.instance.definition.name})
    return rows


# -- diagram --------------------------------------------------------------------

def diagram_markers(instance: ProcessInstance) -> dict:
    """Element ids to mark: completed steps and where the instance is now."""
    known = _element_names(instance.definition)
    completed = set(db.session.scalars(select(AuditEvent.element_id).where(
        AuditEvent.instance_id == instance.id, AuditEvent.action == "task.completed",
        AuditEvent.element_id.is_not(None))))
    current = set()
    if instance.status in ("running", "error", "suspended"):
        current.update(db.session.scalars(select(HumanTask.element_id).where(
            HumanTask.instance_id == instance.id, HumanTask.status == "open")))
    try:
        _, workflow = _engine().load_workflow(db.session, instance.id)
    except DubanError:
        workflow = None
    if workflow is not None:
        for task in workflow.get_tasks(state=TaskState.COMPLETED):
            completed.add(getattr(task.task_spec, "bpmn_id", None))
        if instance.status in ("running", "error", "suspended"):
            for task in workflow.get_tasks(state=CURRENT_STATES):
                current.add(getattr(task.task_spec, "bpmn_id", None))
    current = {element for element in current if element in known}
    completed = {element for element in completed if element in known} - current
    return {"instance_id": instance.id, "process_id": instance.process_id,
            "version": instance.definition.version, "status": instance.status,
            "completed": sorted(completed), "current": sorted(current),
            "current_names": [known[element] or element for element in sorted(current)]}


@bp.get("/instances/<int:instance_id>/diagram.xml")
@login_required
def diagram_xml(instance_id):
    instance = _visible_instance_or_404(instance_id)
    source = db.session.scalar(select(ProcessDefinition.source_xml).where(
        ProcessDefinition.id == instance.definition_id))
    response = Response(bytes(source or b""), mimetype="application/xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/instances/<int:instance_id>/markers.json")
@login_required
def diagram_markers_json(instance_id):
    instance = _visible_instance_or_404(instance_id)
    response = jsonify(diagram_markers(instance))
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the lead's case page -------------------------------------------------------

def _case_instances(lead: Lead, instance_ids) -> list[ProcessInstance]:
    """The lead's instances, its own lead handling first."""
    instances = db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.id.in_(list(instance_ids)))).all() if instance_ids else []
    return sorted(instances, key=lambda i: (i.id != lead.instance_id, i.started_at, i.id))


def _intake_files(lead: Lead) -> list[Attachment]:
    """Evidence that came with the report itself (a grid worker's photos), not with a step."""
    if lead.instance_id is None:
        return []
    return db.session.scalars(select(Attachment).where(Attachment.instance_id == lead.instance_id,
                                                       Attachment.task_id.is_(None)).order_by(Attachment.id)).all()


def _lead_page(lead: Lead, instance_ids, reporter=None, reveal_errors=None, reason="", status=200):
    from web.documents import documents_context  # the documents section (web/documents.py imports this module)
    instances = _case_instances(lead, instance_ids)
    item_ids = [item.id for item in lead.rectification_items]
    supervision = db.session.scalars(select(SupervisionCase).where(or_(
        and_(SupervisionCase.kind == "lead", SupervisionCase.target_id == lead.id),
        and_(SupervisionCase.kind == "rectification", SupervisionCase.target_id.in_(item_ids or [0]))))
        .order_by(SupervisionCase.id)).all()
    assessments = []
    if lead.subject is not None:
        assessments = db.session.scalars(select(RiskAssessment).where(RiskAssessment.subject_id == lead.subject_id)
                                         .order_by(RiskAssessment.id.desc())).all()
    response = render_template(
        "cases/lead.html", lead=lead, reporter=reporter or masked_reporter(lead.reporter),
        reveal_errors=reveal_errors or [], reason=reason, instances=instances,
        diagram_instance=instances[0] if instances else None, timeline=timeline(lead, instances),
        holders=holders(instance_ids), supervision=supervision, assessments=assessments,
        steps=casefile.step_chain(db.session, instance_ids, short_locale()),
        units=_unit_names(), people=_display_names(
            [lead.created_by] + [a.assessed_by for a in assessments] + [d.officer for d in lead.disposals]),
        subject_visible=lead.subject is not None and can_see_subject(lead.subject),
        intake_files=_intake_files(lead),
        **documents_context(lead, instance_ids))
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/leads/<int:lead_id>")
@login_required
def lead(lead_id):
    record, instance_ids = visible_lead_or_404(lead_id)
    return _lead_page(record, instance_ids)


@bp.post("/leads/<int:lead_id>/reporter")
@login_required
def reveal_reporter(lead_id):
    """The reporter's full identity, for allowed roles, with a reason; every view is audited."""
    record, instance_ids = visible_lead_or_404(lead_id)
    if not current_user.may_see_reporters:
        abort(403)
    reason = (request.form.get("reason") or "").strip()[:1000]
    if not reason:
        return _lead_page(record, instance_ids, reveal_errors=[_("Give the reason for viewing the identity.")],
                          status=422)
    try:
        identity = view_reporter(db.session, record.id, current_user.actor, reason)
        db.session.commit()
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    return _lead_page(record, instance_ids, reporter=identity, reason=reason)


# -- the subject page -----------------------------------------------------------

@bp.get("/subjects/<int:subject_id>")
@login_required
def subject(subject_id):
    record = db.session.get(Subject, subject_id)
    if record is None or not can_see_subject(record):
        abort(404)
    leads = db.session.scalars(select(Lead).where(Lead.subject_id == record.id).order_by(Lead.id.desc())).all()
    if not _sees_everything():
        leads = [lead for lead in leads if can_see_lead(lead)]
    disposals = db.session.scalars(select(Disposal).where(Disposal.subject_id == record.id)
                                   .order_by(Disposal.disposed_at.desc(), Disposal.id.desc())).all()
    items = db.session.scalars(select(RectificationItem).where(RectificationItem.subject_id == record.id)
                               .order_by(RectificationItem.id.desc())).all()
    assessments = list(reversed(record.assessments))
    people = _display_names([a.assessed_by for a in assessments] + [d.officer for d in disposals])
    from web.inspections import subject_inspections
    return render_template("cases/subject.html", subject=record, leads=leads, disposals=disposals, items=items,
                           assessments=assessments, units=_unit_names(), people=people,
                           inspections=subject_inspections(record.id))


# -- the leads list -------------------------------------------------------------

@bp.get("/leads")
@login_required
def leads():
    args = request.args
    query = select(Lead).outerjoin(Subject, Subject.id == Lead.subject_id)
    clause = visible_leads_clause()
    if clause is not None:
        query = query.where(clause)
    term = (args.get("q") or "").strip()
    if term:
        like = f"%{term}%"
        query = query.where(or_(Lead.number.ilike(like), Lead.subject_name.ilike(like), Subject.name.ilike(like),
                                Subject.credit_code.ilike(like)))
    if args.get("channel") in CHANNEL:
        query = query.where(Lead.channel == args["channel"])
    if args.get("sector") in SECTOR:
        query = query.where(Lead.sector == args["sector"])
    status = args.get("status")
    if status == "open":
        query = query.where(Lead.status.in_(OPEN_LEAD_STATUSES))
    elif status in LEAD_STATUS:
        query = query.where(Lead.status == status)
    if args.get("major") == "1":
        query = query.where(Lead.major.is_(True))
    try:
        phase = phase_filter.chosen_phase(args)
    except phase_filter.UnknownPhase:
        return phase_filter.unknown_phase_page()
    if phase is not None:  # received in the phase (Beijing dates)
        period = phase_filter.period_of(phase)
        query = query.where(Lead.received_at >= period.start, Lead.received_at < period.end)
    page = page_arg()
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.order_by(Lead.received_at.desc(), Lead.id.desc())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    paging = {"page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total}
    return render_template("cases/leads.html", leads=rows, paging=paging, args=args, channels=CHANNEL,
                           sectors=SECTOR, statuses=LEAD_STATUS, units=_unit_names(),
                           may_register=_sees_everything(), phase=phase, phase_choices=phase_filter.choices())


# -- registering a lead ---------------------------------------------------------

# Form fields, in page order; errors on any other key are shown above the form.
FORM_FIELDS = ("channel", "received_at", "external_ref", "summary", "address", "subject_mode", "subject_id", "subject_name",
               "subject_credit_code", "sector", "major", "reporter.anonymous", "reporter.name", "reporter.phone",
               "reporter.contact", "reporter")
TEXT_INPUTS = ("channel", "received_at", "external_ref", "summary", "address", "subject_id", "subject_name",
               "subject_credit_code", "sector", "reporter_name", "reporter_phone", "reporter_contact")


class DuplicateSuspected(Exception):
    """Raised inside the registration transaction (so it rolls back) when the domain
    flags a likely duplicate that the user has not confirmed."""

    def __init__(self, duplicate: Lead):
        super().__init__(duplicate.number)
        self.info = {"id": duplicate.id, "number": duplicate.number, "status": duplicate.status,
                     "subject": duplicate.subject_display_name, "sector": duplicate.sector,
                     "received_at": duplicate.received_at, "summary": duplicate.summary,
                     "responsible_unit": duplicate.responsible_unit}


class ReferenceTaken(Exception):
    """The channel's external reference is already registered (domain AlreadyRegistered, detached-safe)."""

    def __init__(self, existing: Lead):
        super().__init__(existing.number)
        self.info = {"id": existing.id, "number": existing.number}


def _form_values(form) -> dict:
    values = {name: (form.get(name) or "").strip() for name in TEXT_INPUTS}
    values["summary"] = (form.get("summary") or "").strip()
    values["subject_mode"] = form.get("subject_mode") if form.get("subject_mode") in ("existing", "new") else "new"
    values["major"] = bool(form.get("major"))
    values["reporter_anonymous"] = bool(form.get("reporter_anonymous"))
    values["register_anyway"] = (form.get("register_anyway") or "").strip()
    return values


def _lead_data(values: dict) -> dict:
    """What the domain's register_lead gets from the form (blank fields left out)."""
    data = {key: values[key] for key in ("channel", "received_at", "external_ref", "summary", "address", "sector")
            if values[key]}
    data["major"] = values["major"]
    if values["subject_mode"] == "existing":
        data["subject_id"] = values["subject_id"]
    else:
        for key in ("subject_name", "subject_credit_code"):
            if values[key]:
                data[key] = values[key]
    reporter = {key: values[f"reporter_{key}"] for key in ("name", "phone", "contact") if values[f"reporter_{key}"]}
    if values["reporter_anonymous"]:
        reporter["anonymous"] = True
    if reporter:
        data["reporter"] = reporter
    return data


def _flat_errors(messages, prefix="") -> dict[str, list[str]]:
    """{"reporter": {"phone": [..]}} -> {"reporter.phone": [..]}."""
    flat = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for field, texts in _flat_errors(value, name).items():
                flat.setdefault(field, []).extend(texts)
    elif isinstance(messages, list | tuple):
        for value in messages:
            for field, texts in _flat_errors(value, prefix).items():
                flat.setdefault(field, []).extend(texts)
    else:
        flat.setdefault(prefix or "_form", []).append(str(messages))
    return flat


def _subject_choices():
    return db.session.execute(select(Subject.id, Subject.name, Subject.credit_code)
                              .order_by(Subject.name).limit(2000)).all()


def _register_page(values, errors=None, duplicate=None, existing=None, status=200):
    errors = errors or {}
    shown = set(FORM_FIELDS)
    other = [text for field, texts in errors.items() if field not in shown for text in texts]
    return render_template("cases/register.html", values=values, errors=errors, other_errors=other,
                           duplicate=duplicate, existing=existing, subjects=_subject_choices(),
                           channels=CHANNEL, sectors=SECTOR, units=_unit_names()), status


def _default_values() -> dict:
    now = clock.now().astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    values = {name: "" for name in TEXT_INPUTS}
    values.update(received_at=now, subject_mode="new", major=False, reporter_anonymous=False, register_anyway="")
    return values


def start_lead_handling(actor, register, linked=None) -> tuple[int, str]:
    """Register a lead with `register(session) -> Lead` and start its lead_handling, in one engine
    command (one transaction): the lead and its handling exist together or not at all.
    `linked(session, instance)` may add more to the new instance (evidence). Returns (id, number)."""
    registered = {}

    def prepare(session):
        lead = register(session)
        registered.update(id=lead.id, number=lead.number)
        return {"lead_id": lead.id}

    def started(session, instance):
        lead = session.get(Lead, registered["id"])
        lead.instance_id = instance.id
        # The number is drawn inside this transaction, so the key is set here, not passed to start().
        instance.business_key = lead.number
        if linked is not None:
            linked(session, instance)

    db.session.rollback()  # end the request's read transaction before the engine writes (SQLite: one writer)
    _engine().start("lead_handling", {}, actor, prepare=prepare, started=started)
    return registered["id"], registered["number"]


def register_and_start(data: dict, actor, locale: str, confirmed_duplicate: int | None = None,
                       form_errors: dict | None = None) -> tuple[int, str]:
    """Register the lead and start its lead_handling (start_lead_handling).

    Raises ValidationFailed (the domain's messages plus `form_errors`, the
    page's own checks), ReferenceTaken, DuplicateSuspected (unless the
    flagged duplicate is `confirmed_duplicate`) or an engine error; in every case
    nothing is written.
    """
    def register(session):
        try:
            lead = register_lead(session, data, actor, locale)
        except ValidationFailed as err:
            raise ValidationFailed({**err.messages, **(form_errors or {})}) from None
        except AlreadyRegistered as err:
            # The rollback detaches err.lead: keep what the page needs now.
            raise ReferenceTaken(err.lead) from None
        if form_errors:
            raise ValidationFailed(form_errors)
        if lead.duplicate_of is not None and lead.duplicate_of_id != confirmed_duplicate:
            raise DuplicateSuspected(lead.duplicate_of)
        return lead

    return start_lead_handling(actor, register)


@bp.route("/leads/new", methods=["GET", "POST"])
@login_required
def register():
    """登记线索: for the special office (its staff, leaders) and administrators."""
    if not _sees_everything():
        abort(403)
    if request.method == "GET":
        return _register_page(_default_values())
    values = _form_values(request.form)
    confirmed = as_id(values["register_anyway"])
    locale = short_locale()
    form_errors = {}
    if values["subject_mode"] == "existing" and not values["subject_id"]:
        form_errors = field_error("subject_id", "required", locale)
    try:
        lead_id, number = register_and_start(_lead_data(values), current_user.actor, locale, confirmed, form_errors)
    except ValidationFailed as err:
        return _register_page(values, errors=_flat_errors(err.messages), status=422)
    except ReferenceTaken as err:
        message = _("This channel's reference is already registered as lead %(number)s.", number=err.info["number"])
        return _register_page(values, errors={"external_ref": [message]}, existing=err.info, status=422)
    except DuplicateSuspected as dup:
        values["register_anyway"] = ""
        return _register_page(values, duplicate=dup.info, status=409)
    except DubanError as err:
        return _register_page(values, errors={"_form": [engine_message(err)]}, status=status_of(err))
    flash(_("Lead %(number)s registered; it is now with the special office for triage.", number=number), "success")
    if request.form.get("then") == "triage":  # the registrar triages it straight away, if it is theirs to triage
        lead = db.session.get(Lead, lead_id)
        for task in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == lead.instance_id,
                                                               HumanTask.status == "open")):
            if _engine().is_candidate(task, current_user.actor) and task.assignee in (None, current_user.username):
                return redirect(url_for("tasks.show", task_id=task.id))
    return redirect(url_for("cases.lead", lead_id=lead_id))
