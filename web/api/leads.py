"""线索 through the API: channels push leads (idempotent on channel + external_ref)."""
from flask import abort, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from domain import casefile
from domain.errors import AlreadyRegistered
from domain.leads import lead_by_external_ref, register_lead
from domain.models import Lead, Subject
from domain.records import subject_by_name
from engine.errors import NotFound
from web.api.paging import ID, page_of
from web.api.schemas import LeadIn, LeadOut, LeadPage, LeadQuery, StepOut, DocumentOut
from web.api.security import (api_blueprint, api_locale, api_user, duban_engine, engine_call,
                              requires)
from web.api.visibility import can_see_lead, can_see_subject, lead_filter, shown_lead, visible_lead
from web.extensions import db

blp = api_blueprint("leads", "leads", "线索: register (idempotent pushes from channels), list and read leads.")
LEAD_PROCESS = "lead_handling"


def _existing(channel: str, external_ref: str):
    """The lead pushed before with this reference: 200 if the caller may see it, else 409."""
    lead = lead_by_external_ref(db.session, channel, external_ref)
    if lead is None:
        return None
    if not can_see_lead(lead):
        abort(409, f"a lead with external_ref {external_ref!r} was already registered on this channel")
    return shown_lead(lead), 200, {"Location": url_for("api-leads.get_lead", lead_id=lead.id)}


def _linkable_subjects(data: dict) -> set[int]:
    """Ids of the existing subjects the lead could be linked to that the caller may see.

    Decided here, on the request's session, before the engine's transaction registers the lead."""
    found = []
    if data.get("subject_id") is not None:
        found.append(db.session.get(Subject, data["subject_id"]))
    if data.get("subject_credit_code"):
        found.append(db.session.scalars(select(Subject).where(
            Subject.credit_code == data["subject_credit_code"])).first())
    if data.get("subject_name"):
        found.append(subject_by_name(db.session, data["subject_name"]))
    return {subject.id for subject in found if subject is not None and can_see_subject(subject)}


@blp.route("", methods=["POST"])
@blp.response(201, LeadOut, description="The lead was registered and its lead_handling process started.")
@blp.alt_response(200, schema=LeadOut, description="The same channel and external_ref were pushed before: "
                                                    "the existing lead, nothing new is created.")
@requires("leads:write", all_units=True)
@blp.arguments(LeadIn)
def create_lead(payload):
    """Register a lead and start its handling (研判分流 by the special office)

    As on the page 登记线索: for the special office and administrators. The lead and its
    lead_handling process are created in one transaction. Pushing the same `channel` +
    `external_ref` again returns the first lead with 200. An existing subject the caller may
    not see is never linked (`subject_id` is then unknown).
    """
    user = api_user()
    data = {key: value for key, value in payload.items() if value is not None}
    if data.get("reporter"):
        data["reporter"] = {key: value for key, value in data["reporter"].items() if value is not None}
    if data.get("external_ref"):
        existing = _existing(data["channel"], data["external_ref"])
        if existing is not None:
            return existing
    try:
        duban_engine().latest_definition(db.session, LEAD_PROCESS)
    except NotFound:
        abort(503, f"the process {LEAD_PROCESS} is not deployed; leads cannot be registered")
    registered, linkable = {}, _linkable_subjects(data)

    def prepare(session):
        lead = register_lead(session, data, user.actor, api_locale(),
                             may_link_subject=lambda subject: subject.id in linkable)
        registered["id"], registered["number"] = lead.id, lead.number
        return {"lead_id": lead.id}

    def started(session, instance):
        session.get(Lead, registered["id"]).instance_id = instance.id
        instance.business_key = registered["number"]

    try:
        engine_call(lambda engine: engine.start(LEAD_PROCESS, {}, user.actor, prepare=prepare, started=started))
    except (AlreadyRegistered, IntegrityError):
        # Pushed twice at the same time: the other push won (unique channel + external_ref).
        db.session.rollback()
        existing = data.get("external_ref") and _existing(data["channel"], data["external_ref"])
        if existing:
            return existing
        raise
    lead = db.session.get(Lead, registered["id"])
    return shown_lead(lead), 201, {"Location": url_for("api-leads.get_lead", lead_id=lead.id)}


@blp.route("", methods=["GET"])
@blp.response(200, LeadPage)
@requires("leads:read")
@blp.arguments(LeadQuery, location="query")
def list_leads(args):
    """Leads the caller may see, newest first

    As the leads page (/leads): officers see their unit's leads and those with a task of theirs;
    supervisors also the units they supervise; the special office everything. A likely
    duplicate or a subject the caller may not see is left out (`duplicate_of_id`, `subject_id` null).
    """
    query = select(Lead)
    visible = lead_filter()
    if visible is not None:
        query = query.where(visible)
    for column, key in ((Lead.status, "status"), (Lead.channel, "channel"), (Lead.sector, "sector"),
                        (Lead.responsible_unit, "unit"), (Lead.external_ref, "external_ref")):
        if args.get(key):
            query = query.where(column == args[key])
    page = page_of(query, (Lead.id.desc(),), args)
    page["items"] = [shown_lead(lead) for lead in page["items"]]
    return page


@blp.route(f"/<{ID}:lead_id>", methods=["GET"])
@blp.response(200, LeadOut)
@requires("leads:read")
def get_lead(lead_id):
    """One lead (the reporter masked)

    Visible as on its case page (/leads/{id}); otherwise 404.
    """
    return shown_lead(visible_lead(lead_id))


@blp.route(f"/<{ID}:lead_id>/steps", methods=["GET"])
@blp.response(200, StepOut(many=True))
@requires("leads:read")
def lead_steps(lead_id):
    """The lead's step records (流转意见), oldest first: every step of its processes, with what was submitted"""
    lead = visible_lead(lead_id)
    return casefile.step_chain(db.session, casefile.lead_instance_ids(db.session, lead), api_locale())


@blp.route(f"/<{ID}:lead_id>/documents", methods=["GET"])
@blp.response(200, DocumentOut(many=True))
@requires("leads:read")
def lead_documents(lead_id):
    """The official documents (公文) issued on the lead, newest first, with links to their print page and .docx"""
    lead = visible_lead(lead_id)
    return [{"id": d.id, "number": d.number, "kind": d.kind, "title": d.title, "issued_by_name": d.issued_by_name,
             "issued_at": d.issued_at, "sha256": d.sha256,
             "print_url": url_for("documents.print_view", document_id=d.id),
             "docx_url": url_for("documents.download_docx", document_id=d.id)}
            for d in casefile.documents(db.session, lead)]


def lead_counts() -> dict:
    """Leads by status and by channel, among those the caller may see (as on /leads)."""
    visible = lead_filter()

    def counted(column):
        query = select(column, func.count()).group_by(column)
        if visible is not None:
            query = query.where(visible)
        return {key or "": count for key, count in db.session.execute(query)}

    by_status = counted(Lead.status)
    return {"total": sum(by_status.values()), "by_status": by_status, "by_channel": counted(Lead.channel)}
