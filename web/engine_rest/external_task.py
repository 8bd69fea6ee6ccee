"""/engine-rest/external-task: what Camunda 7 workers call (engine.external_tasks does the work).

`fetchAndLock` long-polls: with `asyncResponseTimeout` it waits until a task of its topics
appears, re-checking the table every RECHECK seconds (tasks of other processes, expired locks,
retry timeouts) and at once when this process creates or unlocks one. The wait holds no
database connection, and is capped at DUBAN_ENGINE_REST_MAX_POLL_SECONDS (30 s by default;
below the common 60 s proxy timeouts); a worker then simply asks again.

Duban ids are numbers; they travel as strings, as Camunda's do. A task id in a path that is no
positive 64-bit number is no route (404), so GET /external-task/fetchAndLock is a 405. The
execution of a task is its SpiffWorkflow task id; `activityInstanceId` is `<activityId>:<that id>`.
"""
import time

from flask import current_app, jsonify, request
from sqlalchemy import false, func, or_, select

from engine import clock
from engine.external_tasks import MAX_LOCK, TopicRequest
from engine.store.models import ProcessInstance
from engine.store.wait_models import ExternalTask
from web.api.paging import ID
from web.api.security import engine_call
from web.engine_rest import bp
from web.engine_rest.auth import EXTERNAL_TASKS, caller, requires
from web.engine_rest.body import (MAX_INT, MAX_TEXT, arg_bool, arg_date, arg_int, boolean, camunda_date, db_id,
                                  integer, json_body, millis, obj, text, text_list)
from web.engine_rest.errors import invalid, not_found, unsupported
from web.engine_rest.variables import read_variables, typed_map
from web.extensions import db

MAX_ASYNC_TIMEOUT = 1_800_000  # Camunda's limit, in milliseconds
DEFAULT_MAX_POLL = 30.0
RECHECK = 1.0
LIST_LIMIT = 1000
SORTS = {"id": ExternalTask.id, "lockExpirationTime": ExternalTask.lock_expires_at,
         "processInstanceId": ExternalTask.instance_id, "processDefinitionId": ExternalTask.definition_id,
         "processDefinitionKey": ExternalTask.process_id, "taskPriority": ExternalTask.priority,
         "createTime": ExternalTask.created_at}


def _task_json(row: ExternalTask, suspended: bool = False) -> dict:
    return {
        "activityId": row.element_id, "activityInstanceId": f"{row.element_id}:{row.spiff_task_id}",
        "errorMessage": row.error_message, "executionId": row.spiff_task_id, "id": str(row.id),
        "lockExpirationTime": camunda_date(row.lock_expires_at), "createTime": camunda_date(row.created_at),
        "processDefinitionId": str(row.definition_id), "processDefinitionKey": row.process_id,
        "processDefinitionVersionTag": None, "processInstanceId": str(row.instance_id), "tenantId": None,
        "retries": row.retries, "suspended": suspended, "workerId": row.worker_id, "topicName": row.topic,
        "priority": row.priority, "businessKey": row.business_key,
    }


def _locked_json(task) -> dict:
    answer = _task_json(task.row)
    del answer["suspended"]  # a locked task's instance runs
    answer.update(errorDetails=task.row.error_details, variables=typed_map(task.variables),
                  extensionProperties={})
    return answer


# -- fetch and lock ---------------------------------------------------------------------------

def _both(single, many: list | None) -> list | None:
    """A filter given as one value and as a list: both apply (None: no filter, []: nothing matches)."""
    if single is None:
        return many or None
    return [single] if many is None or single in many else []


def _topic(spec, where: str) -> TopicRequest | None:
    """One topic of the request; None when it can match no task here (a tenant, a version tag)."""
    if not isinstance(spec, dict):
        raise invalid(f"'{where}' must be a JSON object.")
    name = text(spec, "topicName", required=True, where=where)
    lock = integer(spec, "lockDuration", required=True, where=where, low=1)
    if boolean(spec, "localVariables", where):
        raise unsupported(f"{where}.localVariables")
    if obj(spec, "processVariables", where):
        raise unsupported(f"{where}.processVariables")  # filtering by variable values
    keys = _both(text(spec, "processDefinitionKey", where=where), text_list(spec, "processDefinitionKeyIn", where))
    ids = _both(text(spec, "processDefinitionId", where=where), text_list(spec, "processDefinitionIdIn", where))
    instance = text(spec, "processInstanceId", where=where)
    business_key = text(spec, "businessKey", where=where)
    variables = text_list(spec, "variables", where)
    if text(spec, "processDefinitionVersionTag", where=where) is not None or text_list(spec, "tenantIdIn", where):
        return None  # Duban has neither version tags nor tenants
    if ids is not None:
        ids = [str(key) for key in map(db_id, ids) if key is not None]
    instance_id = db_id(instance) if instance is not None else None
    if keys == [] or ids == [] or (instance is not None and instance_id is None):
        return None
    return TopicRequest(name, millis(lock, MAX_LOCK), variables, business_key, keys, ids, instance_id)


def _sorting(body: dict) -> None:
    """Camunda 7.21's `sorting`: by createTime; ascending is the order tasks are handed out in."""
    sorting = body.get("sorting")
    if sorting is None:
        return
    if not isinstance(sorting, list):
        raise invalid("'sorting' must be a list.")
    for index, item in enumerate(sorting):
        where = f"sorting[{index}]"
        if not isinstance(item, dict) or text(item, "sortBy", where=where) != "createTime":
            raise invalid(f"'{where}.sortBy' must be 'createTime'.")
        if (text(item, "sortOrder", where=where) or "asc") != "asc":
            raise unsupported(f"{where}.sortOrder desc")


@bp.post("/external-task/fetchAndLock")
@requires(EXTERNAL_TASKS)
def fetch_and_lock():
    body = json_body()
    worker = text(body, "workerId", required=True, max_length=MAX_TEXT)
    max_tasks = integer(body, "maxTasks", required=True, low=0, high=MAX_INT)
    use_priority = boolean(body, "usePriority")
    wait_ms = integer(body, "asyncResponseTimeout", low=0, high=MAX_ASYNC_TIMEOUT, default=0)
    _sorting(body)
    specs = body.get("topics")
    if specs is not None and not isinstance(specs, list):
        raise invalid("'topics' must be a list.")
    topics = [topic for index, spec in enumerate(specs or []) if (topic := _topic(spec, f"topics[{index}]"))]

    def fetch():
        return engine_call(lambda engine: engine.external.fetch_and_lock(worker, max_tasks, topics, use_priority))

    limit = current_app.config.get("DUBAN_ENGINE_REST_MAX_POLL_SECONDS", DEFAULT_MAX_POLL)
    deadline = time.monotonic() + min(wait_ms / 1000, limit)
    engine = current_app.extensions["duban"].engine
    while True:
        locked = fetch()
        remaining = deadline - time.monotonic()
        if locked or remaining <= 0 or max_tasks == 0:
            return jsonify([_locked_json(task) for task in locked])
        engine.external.wait_for_work(min(RECHECK, remaining))


# -- commands on one task ---------------------------------------------------------------------

def _worker(body: dict) -> str:
    return text(body, "workerId", required=True, max_length=MAX_TEXT)


@bp.post(f"/external-task/<{ID}:task_id>/complete")
@requires(EXTERNAL_TASKS)
def complete(task_id):
    body = json_body()
    worker = _worker(body)
    variables, local = read_variables(body, "variables"), read_variables(body, "localVariables")
    engine_call(lambda engine: engine.external.complete(task_id, worker, caller().actor, variables, local))
    return "", 204


@bp.post(f"/external-task/<{ID}:task_id>/failure")
@requires(EXTERNAL_TASKS)
def failure(task_id):
    body = json_body()
    worker = _worker(body)
    message, details = text(body, "errorMessage"), text(body, "errorDetails")
    retries = integer(body, "retries", low=0, high=MAX_INT, default=0)  # Camunda: absent is 0
    timeout = millis(integer(body, "retryTimeout", low=0, default=0), MAX_LOCK)
    engine_call(lambda engine: engine.external.handle_failure(task_id, worker, caller().actor, message, details,
                                                      retries, timeout))
    return "", 204


@bp.post(f"/external-task/<{ID}:task_id>/bpmnError")
@requires(EXTERNAL_TASKS)
def bpmn_error(task_id):
    body = json_body()
    worker = _worker(body)
    code, message = text(body, "errorCode", required=True), text(body, "errorMessage")
    variables = read_variables(body, "variables")
    engine_call(lambda engine: engine.external.handle_bpmn_error(task_id, worker, caller().actor, code, message,
                                                         variables))
    return "", 204


@bp.post(f"/external-task/<{ID}:task_id>/extendLock")
@requires(EXTERNAL_TASKS)
def extend_lock(task_id):
    body = json_body()
    worker = _worker(body)
    duration = millis(integer(body, "newDuration", required=True, low=1), MAX_LOCK)
    engine_call(lambda engine: engine.external.extend_lock(task_id, worker, caller().actor, duration))
    return "", 204


@bp.post(f"/external-task/<{ID}:task_id>/unlock")
@requires(EXTERNAL_TASKS)
def unlock(task_id):
    engine_call(lambda engine: engine.external.unlock(task_id, caller().actor))
    return "", 204


@bp.put(f"/external-task/<{ID}:task_id>/retries")
@requires(EXTERNAL_TASKS)
def set_retries(task_id):
    body = json_body()
    retries = integer(body, "retries", required=True, low=0, high=MAX_INT)
    engine_call(lambda engine: engine.external.set_retries(task_id, caller().actor, retries))
    return "", 204


# -- reading ----------------------------------------------------------------------------------

def _query():
    """Open tasks (Camunda's runtime table) with the request's filters."""
    query = (select(ExternalTask, ProcessInstance.status).join(ProcessInstance,
                                                               ProcessInstance.id == ExternalTask.instance_id)
             .where(ExternalTask.status == "open"))
    now = clock.now()
    for name, column in (("externalTaskId", ExternalTask.id), ("processInstanceId", ExternalTask.instance_id),
                         ("processDefinitionId", ExternalTask.definition_id)):
        value = request.args.get(name)
        if value is not None:
            key = db_id(value)
            query = query.where(column == key if key is not None else false())
    for name, column in (("topicName", ExternalTask.topic), ("workerId", ExternalTask.worker_id),
                         ("activityId", ExternalTask.element_id)):
        value = request.args.get(name)
        if value is not None:
            query = query.where(column == value)
    conditions = {
        "locked": ExternalTask.lock_expires_at > now,
        "notLocked": or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at <= now),
        "withRetriesLeft": or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0),
        "noRetriesLeft": ExternalTask.retries == 0,
        "active": ProcessInstance.status != "suspended",
        "suspended": ProcessInstance.status == "suspended",
    }
    for name, condition in conditions.items():
        if arg_bool(name):
            query = query.where(condition)
    higher = arg_int("priorityHigherThanOrEquals", low=-MAX_INT - 1, high=MAX_INT)
    lower = arg_int("priorityLowerThanOrEquals", low=-MAX_INT - 1, high=MAX_INT)
    after, before = arg_date("lockExpirationAfter"), arg_date("lockExpirationBefore")
    if higher is not None:
        query = query.where(ExternalTask.priority >= higher)
    if lower is not None:
        query = query.where(ExternalTask.priority <= lower)
    if after is not None:
        query = query.where(ExternalTask.lock_expires_at > after)
    if before is not None:
        query = query.where(ExternalTask.lock_expires_at < before)
    return query


def _order():
    sort_by, sort_order = request.args.get("sortBy"), request.args.get("sortOrder")
    if sort_by is None and sort_order is None:
        return [ExternalTask.id]
    if sort_by is None or sort_order is None:
        raise invalid("Only a single sorting parameter specified. sortBy and sortOrder required")
    if sort_by not in SORTS:
        raise invalid(f"Cannot set query parameter 'sortBy' to value '{sort_by[:40]}'")
    if sort_order not in ("asc", "desc"):
        raise invalid(f"Cannot set query parameter 'sortOrder' to value '{sort_order[:40]}'")
    column = SORTS[sort_by]
    return [column.asc() if sort_order == "asc" else column.desc(), ExternalTask.id]


@bp.get("/external-task")
@requires(EXTERNAL_TASKS)
def list_tasks():
    """At most LIST_LIMIT tasks a page (`firstResult`, `maxResults`)."""
    first = arg_int("firstResult") or 0
    limit = arg_int("maxResults", high=LIST_LIMIT)
    query = _query().order_by(*_order()).offset(first).limit(LIST_LIMIT if limit is None else limit)
    rows = db.session.execute(query).all()
    return jsonify([_task_json(row, status == "suspended") for row, status in rows])


@bp.get("/external-task/count")
@requires(EXTERNAL_TASKS)
def count_tasks():
    total = db.session.scalar(select(func.count()).select_from(_query().subquery()))
    return jsonify({"count": total})


@bp.get(f"/external-task/<{ID}:task_id>")
@requires(EXTERNAL_TASKS)
def get_task(task_id):
    found = db.session.execute(_query_one(task_id)).first()
    if found is None:
        raise not_found("External task", task_id)
    row, status = found
    return jsonify(_task_json(row, status == "suspended"))


def _query_one(key: int):
    return (select(ExternalTask, ProcessInstance.status)
            .join(ProcessInstance, ProcessInstance.id == ExternalTask.instance_id)
            .where(ExternalTask.id == key, ExternalTask.status == "open"))
