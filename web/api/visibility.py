"""The pages' visibility rules applied to what the API returns and acts on.

The API does not keep rules of its own: it calls the pages' (web.cases for leads,
subjects and instances, web.tasks.access for the task page, web.access for the inbox).
Those read Flask-Login's `current_user`, which web.api.security sets to the token's
user for token requests. Anything invisible is answered with 404, as the pages do:
another unit's work is not acknowledged to exist. Ids of related records the caller
may not see (a lead's duplicate, its subject, another unit's tasks of an instance)
are left out of responses.
"""
from flask import abort
from flask_login import current_user
from sqlalchemy import select

from engine.store.models import HumanTask, ProcessInstance
from web import cases
from web.extensions import db
from web.tasks import access as task_access


def lead_filter():
    """A WHERE clause limiting leads to those the caller may see on /leads (None: no limit)."""
    return cases.visible_leads_clause()


def can_see_lead(lead) -> bool:
    return cases.can_see_lead(lead)


def can_see_subject(subject) -> bool:
    return cases.can_see_subject(subject)


def visible_lead(lead_id: int):
    """The lead as /leads/<id> shows it, else 404."""
    lead, _instance_ids = cases.visible_lead_or_404(lead_id)
    return lead


class ShownLead:
    """A lead as the caller may read it: the ids of a duplicate or subject they may not see are None."""

    def __init__(self, lead):
        self._lead = lead
        duplicate = lead.duplicate_of
        self.duplicate_of_id = lead.duplicate_of_id if duplicate is not None and can_see_lead(duplicate) else None
        subject = lead.subject
        self.subject_id = lead.subject_id if subject is not None and can_see_subject(subject) else None

    def __getattr__(self, name):
        return getattr(self._lead, name)


def shown_lead(lead) -> ShownLead:
    return ShownLead(lead)


def visible_task(task_id: int) -> HumanTask:
    """A task as its page (/tasks/<id>) shows it, else 404."""
    return task_access.visible_task(task_id)


def claimable_task(task_id: int) -> HumanTask:
    """A task the inbox's claim and release act on (the caller may see it as open work), else 404."""
    task = db.session.get(HumanTask, task_id)
    if task is None or not current_user.can_see_task(task):
        abort(404)
    return task


def may_view_task(task: HumanTask) -> bool:
    return task_access.may_view(task)


def visible_instance(instance_id: int) -> tuple[ProcessInstance, list[HumanTask]]:
    """An instance whose diagram the caller may open (/instances/<id>/diagram.xml), with the
    tasks of it they may see, else 404."""
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None or not cases.can_see_instance(instance):
        abort(404)
    tasks = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                               .order_by(HumanTask.id)).all()
    return instance, [task for task in tasks if may_view_task(task)]


# -- audit events: ids in their data ------------------------------------------------

# Keys of audit data that name another record, and how to tell whether the caller may see it.
# Any other key ending in `_id` names a record these rules do not cover: shown only to callers
# who see everything.
_NOT_RECORD_IDS = {"element_id", "process_id", "definition_id", "external_ref", "request_id"}


def _record_visible(key: str, value) -> bool:
    from domain.models import Lead, Subject
    from domain.wording import as_id
    record_id = as_id(value)
    if record_id is None:
        return False
    if key in ("lead_id", "duplicate_of"):
        lead = db.session.get(Lead, record_id)
        return lead is not None and can_see_lead(lead)
    if key == "subject_id":
        subject = db.session.get(Subject, record_id)
        return subject is not None and can_see_subject(subject)
    if key in ("task_id", "new_task_id", "from_task_id"):
        task = db.session.get(HumanTask, record_id)
        return task is not None and may_view_task(task)
    if key == "instance_id":
        instance = db.session.get(ProcessInstance, record_id)
        return instance is not None and cases.can_see_instance(instance)
    return False


def _names_record(key: str) -> bool:
    return key == "duplicate_of" or (key.endswith("_id") and key not in _NOT_RECORD_IDS)


def shown_events(events) -> list[dict]:
    """Audit events as the caller may read them: ids of records they may not see left out."""
    everything = current_user.sees_everything
    answers = {}  # (key, value) -> visible: events repeat the same few ids

    def visible(key, value) -> bool:
        if (key, str(value)) not in answers:
            answers[(key, str(value))] = _record_visible(key, value)
        return answers[(key, str(value))]

    def redacted(data):
        if isinstance(data, dict):
            return {key: redacted(value) for key, value in data.items()
                    if not (_names_record(str(key)) and value is not None and not visible(str(key), value))}
        if isinstance(data, list):
            return [redacted(value) for value in data]
        return data

    shown = []
    for event in events:
        row = {column: getattr(event, column) for column in ("id", "at", "actor", "action", "task_id",
                                                              "element_id", "reason", "data")}
        if not everything:
            if row["task_id"] is not None and not visible("task_id", row["task_id"]):
                row["task_id"] = None
            row["data"] = redacted(row["data"])
        shown.append(row)
    return shown
