"""待办 through the API: my open tasks, claim, release, complete with the form's data."""
from flask import abort
from sqlalchemy import select

from domain.errors import ValidationFailed
from domain.casefile import record_details
from domain.forms import FormError, load_form, validate_submission
from domain.records import active_unit_codes
from engine import clock
from engine.store.models import Attachment, HumanTask, ProcessInstance
from web.api.paging import ID, page_of
from web.api.schemas import MAX_ID, CompleteIn, CompletionOut, TaskDetail, TaskOut, TaskPage, TaskQuery
from web.api.security import api_blueprint, api_locale, api_user, duban_engine, engine_call, requires
from web.api.visibility import claimable_task, may_view_task, visible_task
from web.extensions import db
from web.queries import todo_query
from web.tasks import operations as task_operations  # the pages' task operations (delegation, co-handlers)

blp = api_blueprint("tasks", "tasks", "待办: the caller's open tasks; claim, release and complete them.")


@blp.route("", methods=["GET"])
@blp.response(200, TaskPage)
@requires("tasks:read")
@blp.arguments(TaskQuery, location="query")
def list_tasks(args):
    """My open tasks: claimed by me, or unclaimed for my units and roles

    Ordered by due time (tasks without one last).
    """
    user = api_user()
    query = todo_query(user)
    if args.get("mine") is True:
        query = query.where(HumanTask.assignee == user.username)
    elif args.get("mine") is False:
        query = query.where(HumanTask.assignee.is_(None))
    if args.get("process_id"):
        query = query.where(HumanTask.process_id == args["process_id"])
    if args.get("overdue") is True:
        query = query.where(HumanTask.due_at <= clock.now())
    elif args.get("overdue") is False:
        query = query.where((HumanTask.due_at.is_(None)) | (HumanTask.due_at > clock.now()))
    return page_of(query, (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id), args)


def _form(task: HumanTask) -> dict | None:
    if not task.form_key:
        return None
    try:
        return load_form(task.form_key)
    except FormError:
        return None


@blp.route(f"/<{ID}:task_id>", methods=["GET"])
@blp.response(200, TaskDetail)
@requires("tasks:read")
def get_task(task_id):
    """One task with its form

    Visible as its page (/tasks/{id}) is: to its candidates, whoever oversees its units, and
    those involved in it (co-handlers, copies, the delegator); otherwise 404.
    """
    task = visible_task(task_id)
    task.form = _form(task)
    return task


@blp.route(f"/<{ID}:task_id>/claim", methods=["POST"])
@blp.response(200, TaskOut)
@requires("tasks:write")
def claim_task(task_id):
    """Claim a task (签收)

    409 when someone else claimed it first or it is no longer open; 403 when the caller
    may see the task but is not one of its candidates.
    """
    user = api_user()
    claimable_task(task_id)
    engine_call(lambda engine: engine.claim(task_id, user.actor))
    return db.session.get(HumanTask, task_id)


@blp.route(f"/<{ID}:task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskOut)
@requires("tasks:write")
def unclaim_task(task_id):
    """Give a claimed task back to its units' queue"""
    user = api_user()
    claimable_task(task_id)
    engine_call(lambda engine: engine.unclaim(task_id, user.actor))
    return db.session.get(HumanTask, task_id)


@blp.route(f"/<{ID}:task_id>/complete", methods=["POST"])
@blp.response(200, CompletionOut)
@requires("tasks:write")
@blp.arguments(CompleteIn)
def complete_task(payload, task_id):
    """Complete a task with its form's values

    The values are validated against the task's form (422 with messages by field id) and
    become process variables; `file` fields take ids of files already attached to the case.
    A field a decision table decides (the risk grade at 风险研判评估) is evaluated again here: a
    value other than the table's needs the form's reason field (422 naming it), and the
    variables carry the table's value, the rule that matched and the table's version.
    As on the task page: 403 unless the task is the caller's (claimed by them, or unclaimed
    and they are a candidate); a delegate's completion hands the task back to its owner
    (`outcome` "resolved"); 422 while co-handlers have not signed. 409 when the task was
    completed (by someone else) or cancelled meanwhile.
    """
    user = api_user()
    task = visible_task(task_id)
    if task.status != "open":
        abort(409, f"task {task_id} is {task.status}" + (f" (by {task.completed_by})" if task.completed_by else ""))
    ops = task_operations()
    if not ops.holds(task, user.actor):
        abort(403, f"task {task_id} is not in your hands" + (f" (it is with {task.assignee})" if task.assignee else ""))
    data, form = payload["data"], None
    if task.form_key:
        try:
            form = load_form(task.form_key)
        except FormError as err:
            abort(409, f"the task's form cannot be used: {err}")
        data = validate_submission(form, data, api_locale(), active_unit_codes(db.session),
                                   evaluate=duban_engine().evaluate_decision)
        data = _attachment_ids(form, task, data)
    record = record_details(form, data, user)
    outcome = engine_call(lambda engine: ops.complete(task_id, user.actor, data, record))
    task = db.session.get(HumanTask, task_id)
    instance = db.session.get(ProcessInstance, task.instance_id)
    following = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == task.instance_id,
                                                           HumanTask.status == "open").order_by(HumanTask.id))
    return {"task": task, "outcome": outcome, "instance_status": instance.status,
            "next_tasks": [t for t in following if may_view_task(t)]}


def _attachment_ids(form, task, data: dict) -> dict:
    """`file` fields hold ids of files already attached to the case (uploaded on the task page)."""
    errors = {}
    for spec in form.get("fields", []):
        if spec.get("type") != "file" or spec["id"] not in data:
            continue
        ids = [int(v) for v in data[spec["id"]] if str(v).isdigit() and int(v) <= MAX_ID]
        known = set(db.session.scalars(select(Attachment.id).where(
            Attachment.id.in_(ids), Attachment.instance_id == task.instance_id))) if ids else set()
        unknown = [v for v in data[spec["id"]] if not str(v).isdigit() or int(v) not in known]
        if unknown:
            errors[spec["id"]] = [f"unknown attachment(s) of this case: {', '.join(map(str, unknown))}"]
        else:
            data[spec["id"]] = ids
    if errors:
        raise ValidationFailed(errors)
    return data
