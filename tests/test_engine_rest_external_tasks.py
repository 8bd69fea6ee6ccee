"""Camunda 7's REST API under /engine-rest, driven directly: JSON shapes, status codes (204 for
commands), typed variables, errors in Camunda's shape, locks between workers, lock expiry,
long polling, process start, messages and signals, and who may call it."""
import base64
import json
import re
import threading
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine.store.models import HumanTask, Incident, ProcessInstance
from engine.store.wait_models import ExternalTask
from tests import bpmn_builder as b
from tests.conftest import login
from tests.helpers import meet_after_first_calls, run_together
from tests.test_api import make_token

BASE = "/engine-rest"
BEIJING = ZoneInfo("Asia/Shanghai")
WORKER_SCOPES = "external-tasks,messages,instances:write"
CAMUNDA_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")
LOCKED_TASK_KEYS = {"activityId", "activityInstanceId", "errorMessage", "errorDetails", "executionId", "id",
                    "lockExpirationTime", "createTime", "processDefinitionId", "processDefinitionKey",
                    "processDefinitionVersionTag", "processInstanceId", "tenantId", "retries", "workerId",
                    "priority", "topicName", "businessKey", "variables", "extensionProperties"}


def service(id="push", topic="report"):
    return f'<bpmn:serviceTask id="{id}" name="报送" camunda:type="external" camunda:topic="{topic}"/>'


def deploy_push(app, process_id="push_case", boundary=False):
    """start -> push (external, topic "report") -> after (user task); with `boundary`, an error
    boundary REFUSED on push leads to handle_refusal."""
    elements, flows, errors = [b.start(), service(), b.user_task("after"), b.end()], \
        b.chain("start", "push", "after", "end"), ()
    if boundary:
        boundary_event = ('<bpmn:boundaryEvent id="refused" attachedToRef="push">'
                          '<bpmn:errorEventDefinition errorRef="err_REFUSED"/></bpmn:boundaryEvent>')
        elements += [boundary_event, b.user_task("handle_refusal"), b.end("end2")]
        flows += b.chain("refused", "handle_refusal", "end2")
        errors = ("REFUSED",)
    engine(app).deploy(b.process(process_id, *elements, *flows, errors=errors))


def engine(app):
    return app.extensions["duban"].engine


def start(app, process_id="push_case", data=None, business_key=None):
    return engine(app).start(process_id, data or {}, business_key=business_key)


class Rest:
    """A client sending a token; `fetch` asks for the topic's tasks as a worker."""

    def __init__(self, app, token=None, headers=None):
        self.client = app.test_client()
        self.headers = headers if headers is not None else {"Authorization": f"Bearer {token}"}

    def call(self, method, path, body=None, **kwargs):
        return self.client.open(BASE + path, method=method, json=body, headers=self.headers, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.call("POST", path, body, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def fetch(self, worker="w1", topic="report", lock=30000, expect=200, **extra):
        body = {"workerId": worker, "maxTasks": 10, "topics": [{"topicName": topic, "lockDuration": lock}], **extra}
        response = self.post("/external-task/fetchAndLock", body)
        assert response.status_code == expect, response.get_json()
        return response.get_json()


@pytest.fixture
def rest(demo):
    return Rest(demo, make_token(demo, "admin", WORKER_SCOPES))


def refused(response, status, kind, *words):
    body = response.get_json()
    assert response.status_code == status, body
    assert body["type"] == kind and all(word in body["message"] for word in words), body
    return body


def open_user_task(app, instance_id, element_id) -> dict:
    """The data the instance's open user task `element_id` sees."""
    runtime = app.extensions["duban"]
    with runtime.sessions() as session:
        _, workflow = runtime.engine.load_workflow(session, instance_id)
        [task] = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == element_id]
        return dict(task.data)


def row(session_factory, task_id):
    with session_factory() as s:
        return s.get(ExternalTask, int(task_id))


def instance_status(session_factory, instance_id):
    with session_factory() as s:
        return s.get(ProcessInstance, int(instance_id)).status


# -- fetch and lock ---------------------------------------------------------------------------

def test_fetch_and_lock_answers_locked_tasks_with_typed_variables(rest, demo, clock):
    deploy_push(demo)
    data = {"lead": "XS-1", "count": 3, "big": 2**40, "amount": 12.5, "major": True, "none": None,
            "parties": {"name": "夕阳红", "ids": [1, 2]}, "tags": ["a", "b"]}
    instance_id = start(demo, data=data, business_key="XS-1")
    [task] = rest.fetch(lock=30000)
    assert set(task) == LOCKED_TASK_KEYS
    assert task["id"].isdigit() and task["processInstanceId"] == str(instance_id)
    assert (task["topicName"], task["activityId"], task["businessKey"], task["workerId"]) == \
        ("report", "push", "XS-1", "w1")
    assert task["processDefinitionKey"] == "push_case" and task["processDefinitionId"].isdigit()
    assert task["tenantId"] is None and task["retries"] is None and task["priority"] == 0
    assert task["activityInstanceId"] == f"push:{task['executionId']}"
    assert CAMUNDA_DATE.match(task["lockExpirationTime"]) and CAMUNDA_DATE.match(task["createTime"])
    expires = (clock.now() + timedelta(seconds=30)).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M:%S.000+0800")
    assert task["lockExpirationTime"] == expires
    variables = task["variables"]
    assert variables["lead"] == {"type": "String", "value": "XS-1", "valueInfo": {}}
    assert variables["count"] == {"type": "Integer", "value": 3, "valueInfo": {}}
    assert variables["big"]["type"] == "Long" and variables["amount"]["type"] == "Double"
    assert variables["major"] == {"type": "Boolean", "value": True, "valueInfo": {}}
    assert variables["none"] == {"type": "Null", "value": None, "valueInfo": {}}
    assert variables["parties"]["type"] == "Json" and json.loads(variables["parties"]["value"]) == data["parties"]
    assert json.loads(variables["tags"]["value"]) == ["a", "b"]
    assert rest.fetch(worker="w2") == []  # locked for w1


def test_fetch_filters_by_topic_variables_business_key_and_definition(rest, demo):
    deploy_push(demo)
    deploy_push(demo, "other_case")
    start(demo, data={"a": 1, "b": 2}, business_key="K1")
    start(demo, "other_case", data={"a": 3}, business_key="K2")
    topic = {"topicName": "report", "lockDuration": 1000, "variables": ["a"], "businessKey": "K2"}
    response = rest.post("/external-task/fetchAndLock", {"workerId": "w", "maxTasks": 5, "topics": [topic]})
    [task] = response.get_json()
    assert task["businessKey"] == "K2" and task["variables"] == {"a": {"type": "Integer", "value": 3,
                                                                        "valueInfo": {}}}
    by_key = {"topicName": "report", "lockDuration": 1000, "processDefinitionKeyIn": ["push_case"]}
    [task] = rest.post("/external-task/fetchAndLock", {"workerId": "w", "maxTasks": 5, "topics": [by_key]}).get_json()
    assert task["processDefinitionKey"] == "push_case"
    assert rest.fetch(topic="nobody's") == []
    for no_match in ({"tenantIdIn": ["t1"]}, {"processDefinitionVersionTag": "v1"},
                     {"processDefinitionId": "x"}, {"processInstanceId": "99999999999999999999999"}):
        assert rest.fetch(topics=[{"topicName": "report", "lockDuration": 1, **no_match}]) == [], no_match


def test_long_polling_returns_as_soon_as_a_task_appears(rest, demo, monkeypatch):
    deploy_push(demo)
    monkeypatch.setattr("web.engine_rest.external_task.RECHECK", 30.0)  # only the engine's wake-up can end it early
    got = {}

    def poll():
        began = time.monotonic()
        got["tasks"] = Rest(demo, headers=rest.headers).fetch(asyncResponseTimeout=20000)
        got["seconds"] = time.monotonic() - began

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.5)
    instance_id = start(demo)
    thread.join(timeout=15)
    assert not thread.is_alive()
    assert [task["processInstanceId"] for task in got["tasks"]] == [str(instance_id)]
    assert 0.4 < got["seconds"] < 5


def test_long_polling_without_work_waits_for_the_timeout_within_the_cap(rest, demo):
    deploy_push(demo)
    began = time.monotonic()
    assert rest.fetch(asyncResponseTimeout=600) == []
    assert 0.55 < time.monotonic() - began < 3
    demo.config["DUBAN_ENGINE_REST_MAX_POLL_SECONDS"] = 0.3
    began = time.monotonic()
    assert rest.fetch(asyncResponseTimeout=1_800_000) == []
    assert time.monotonic() - began < 2
    refused(rest.post("/external-task/fetchAndLock", {"workerId": "w", "maxTasks": 1, "topics": [],
                                                      "asyncResponseTimeout": 1_800_001}),
            400, "InvalidRequestException", "asyncResponseTimeout")


# -- commands ---------------------------------------------------------------------------------

def test_complete_answers_204_and_the_next_user_task_sees_the_variables(rest, demo, session_factory):
    deploy_push(demo)
    instance_id = start(demo, data={"lead": "XS-2"})
    [task] = rest.fetch()
    variables = {
        "receipt": {"value": "SB-9", "type": "String"},
        "accepted": {"value": True},
        "pages": {"value": "12", "type": "Integer"},
        "total": {"value": 9_000_000_000, "type": "Long"},
        "ratio": {"value": 0.5, "type": "Double"},
        "seal": {"value": '{"no": "S-1", "at": ["x"]}', "type": "Json"},
        "entity": {"value": '{"k": 1}', "type": "Object",
                   "valueInfo": {"serializationDataFormat": "application/json", "objectTypeName": "java.util.Map"}},
        "sent_at": {"value": "2026-03-02T10:15:00.000+0800", "type": "Date"},
        "nothing": {"value": None, "type": "Null"},
    }
    response = rest.post(f"/external-task/{task['id']}/complete",
                         {"workerId": "w1", "variables": variables, "localVariables": {"local": {"value": 1}}})
    assert response.status_code == 204 and response.data == b""
    seen = open_user_task(demo, instance_id, "after")
    assert seen["lead"] == "XS-2" and seen["receipt"] == "SB-9" and seen["accepted"] is True
    assert seen["pages"] == 12 and seen["total"] == 9_000_000_000 and seen["ratio"] == 0.5
    assert seen["seal"] == {"no": "S-1", "at": ["x"]} and seen["entity"] == {"k": 1}
    assert seen["sent_at"] == "2026-03-02T10:15:00+08:00" and seen["nothing"] is None and seen["local"] == 1
    assert row(session_factory, task["id"]).status == "completed"
    refused(rest.post(f"/external-task/{task['id']}/complete", {"workerId": "w1"}), 404, "RestException")


def test_a_second_worker_cannot_complete_a_task_locked_by_another(rest, demo, session_factory):
    deploy_push(demo)
    instance_id = start(demo)
    [task] = rest.fetch(worker="w1")
    for command, body in (("complete", {}), ("failure", {"errorMessage": "x", "retries": 1}),
                          ("bpmnError", {"errorCode": "REFUSED"}), ("extendLock", {"newDuration": 1000})):
        response = rest.post(f"/external-task/{task['id']}/{command}", {"workerId": "w2", **body})
        refused(response, 400, "RestException", "w2", "w1")
    assert row(session_factory, task["id"]).worker_id == "w1"
    assert open_user_task_ids(session_factory, instance_id) == []
    assert rest.post(f"/external-task/{task['id']}/complete", {"workerId": "w1"}).status_code == 204


def open_user_task_ids(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == instance_id,
                                                            HumanTask.status == "open")).all()


def test_an_expired_lock_passes_the_task_to_another_worker(rest, demo, clock):
    deploy_push(demo)
    start(demo)
    [task] = rest.fetch(worker="w1", lock=10000)
    assert rest.fetch(worker="w2") == []
    clock.advance(timedelta(seconds=11))
    [again] = rest.fetch(worker="w2", lock=10000)
    assert again["id"] == task["id"] and again["workerId"] == "w2"
    refused(rest.post(f"/external-task/{task['id']}/complete", {"workerId": "w1"}), 400, "RestException")
    refused(rest.post(f"/external-task/{task['id']}/extendLock", {"workerId": "w1", "newDuration": 5000}),
            400, "RestException")
    assert rest.post(f"/external-task/{task['id']}/extendLock",
                     {"workerId": "w2", "newDuration": 60000}).status_code == 204
    clock.advance(timedelta(seconds=30))
    assert rest.fetch(worker="w3") == []  # the extended lock still holds
    assert rest.post(f"/external-task/{task['id']}/unlock").status_code == 204
    [third] = rest.fetch(worker="w3")
    assert third["id"] == task["id"]


def test_failures_count_retries_down_to_an_incident_that_setting_retries_resolves(rest, demo, clock,
                                                                                   session_factory):
    deploy_push(demo)
    instance_id = start(demo)
    [task] = rest.fetch()
    path = f"/external-task/{task['id']}"
    response = rest.post(f"{path}/failure", {"workerId": "w1", "errorMessage": "platform down",
                                             "errorDetails": "HTTP 503", "retries": 1, "retryTimeout": 60000})
    assert response.status_code == 204
    assert rest.fetch() == []  # not before the retry timeout
    clock.advance(timedelta(seconds=61))
    [task] = rest.fetch()
    assert (task["retries"], task["errorMessage"], task["errorDetails"]) == (1, "platform down", "HTTP 503")
    assert rest.post(f"{path}/failure", {"workerId": "w1", "errorMessage": "still down", "retries": 0,
                                         "retryTimeout": 0}).status_code == 204
    with session_factory() as s:
        [incident] = s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()
    assert incident.kind == "failed_external_task" and "still down" in incident.message
    assert instance_status(session_factory, instance_id) == "error"
    clock.advance(timedelta(hours=1))
    assert rest.fetch() == []
    [listed] = rest.get("/external-task?topicName=report&noRetriesLeft=true").get_json()
    assert listed["id"] == task["id"] and listed["retries"] == 0 and "variables" not in listed
    refused(rest.call("PUT", f"{path}/retries", {"retries": -1}), 400, "InvalidRequestException", "retries")
    assert rest.call("PUT", f"{path}/retries", {"retries": 2}).status_code == 204
    assert instance_status(session_factory, instance_id) == "running"
    [task] = rest.fetch()
    assert task["retries"] == 2


def test_a_bpmn_error_takes_the_error_boundary_path(rest, demo, session_factory):
    deploy_push(demo, boundary=True)
    instance_id = start(demo)
    [task] = rest.fetch()
    response = rest.post(f"/external-task/{task['id']}/bpmnError", {
        "workerId": "w1", "errorCode": "REFUSED", "errorMessage": "the platform refused it",
        "variables": {"reason": {"value": "missing seal", "type": "String"}}})
    assert response.status_code == 204
    assert open_user_task_ids(session_factory, instance_id) == ["handle_refusal"]
    assert open_user_task(demo, instance_id, "handle_refusal")["reason"] == "missing seal"
    assert row(session_factory, task["id"]).status == "cancelled"
    refused(rest.post(f"/external-task/{task['id']}/bpmnError", {"workerId": "w1", "errorCode": "REFUSED"}),
            404, "RestException")


def test_two_workers_completing_parallel_branches_at_the_same_moment_both_succeed(rest, demo, session_factory):
    xml = b.process("two_pushes", b.start(), b.gateway("fork", "parallelGateway"), service("push_a", "a"),
                    service("push_b", "b"), b.gateway("join", "parallelGateway"), b.user_task("after"), b.end(),
                    *b.chain("start", "fork", "push_a", "join", "after", "end"), *b.chain("fork", "push_b", "join"))
    engine(demo).deploy(xml)
    instance_id = start(demo, "two_pushes")
    [a], [b_task] = rest.fetch(worker="wa", topic="a"), rest.fetch(worker="wb", topic="b")
    meet_after_first_calls(engine(demo), "_load")  # both completions read the same version of the instance
    answers = {}

    def complete(task, worker):
        answers[worker] = Rest(demo, headers=rest.headers).post(
            f"/external-task/{task['id']}/complete", {"workerId": worker, "variables": {worker: {"value": 1}}})

    run_together(lambda: complete(a, "wa"), lambda: complete(b_task, "wb"))
    assert {worker: answer.status_code for worker, answer in answers.items()} == {"wa": 204, "wb": 204}
    assert open_user_task_ids(session_factory, instance_id) == ["after"]
    seen = open_user_task(demo, instance_id, "after")
    assert seen["wa"] == seen["wb"] == 1


# -- reading ----------------------------------------------------------------------------------

def test_list_count_and_read_tasks(rest, demo):
    deploy_push(demo)
    first, second = start(demo, business_key="A"), start(demo, business_key="B")
    [locked] = rest.post("/external-task/fetchAndLock", {"workerId": "w1", "maxTasks": 1, "topics": [
        {"topicName": "report", "lockDuration": 60000}]}).get_json()
    listed = rest.get("/external-task?topicName=report&sortBy=processInstanceId&sortOrder=desc").get_json()
    assert [task["processInstanceId"] for task in listed] == [str(second), str(first)]
    assert rest.get("/external-task/count?topicName=report").get_json() == {"count": 2}
    assert rest.get("/external-task/count?topicName=report&locked=true").get_json() == {"count": 1}
    assert [t["id"] for t in rest.get("/external-task?workerId=w1").get_json()] == [locked["id"]]
    assert len(rest.get("/external-task?topicName=report&notLocked=true&withRetriesLeft=true").get_json()) == 1
    assert rest.get(f"/external-task?processInstanceId={first}&maxResults=1&firstResult=0").get_json()[0][
        "businessKey"] == "A"
    assert rest.get("/external-task?processInstanceId=abc").get_json() == []
    one = rest.get(f"/external-task/{locked['id']}").get_json()
    assert one["id"] == locked["id"] and one["suspended"] is False and one["workerId"] == "w1"
    assert CAMUNDA_DATE.match(one["lockExpirationTime"])
    refused(rest.get("/external-task/999999"), 404, "InvalidRequestException", "999999")
    refused(rest.get("/external-task/abc"), 404, "InvalidRequestException")
    refused(rest.get("/external-task?sortBy=id"), 400, "InvalidRequestException", "sortOrder")
    refused(rest.get("/external-task?sortBy=nope&sortOrder=asc"), 400, "InvalidRequestException", "sortBy")
    refused(rest.get("/external-task?locked=maybe"), 400, "InvalidRequestException", "locked")
    refused(rest.get("/external-task?maxResults=-1"), 400, "InvalidRequestException", "maxResults")
    refused(rest.get("/external-task?lockExpirationAfter=yesterday"), 400, "InvalidRequestException",
            "lockExpirationAfter")
    assert rest.get("/external-task?lockExpirationAfter=2026-01-01T00:00:00.000+0800").status_code == 200


# -- bad requests -----------------------------------------------------------------------------

@pytest.mark.parametrize("body, words", [
    ("{not json", ["not valid JSON"]),
    ("[]", ["JSON object"]),
    ({"maxTasks": 1, "topics": []}, ["workerId", "required"]),
    ({"workerId": "w", "topics": []}, ["maxTasks", "required"]),
    ({"workerId": "w", "maxTasks": "many"}, ["maxTasks", "whole number"]),
    ({"workerId": {"a": 1}, "maxTasks": 1}, ["workerId", "string"]),
    ({"workerId": "w" * 201, "maxTasks": 1}, ["workerId", "200"]),
    ({"workerId": "w", "maxTasks": 1, "topics": {}}, ["topics", "list"]),
    ({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "report"}]}, ["topics[0].lockDuration"]),
    ({"workerId": "w", "maxTasks": 1, "topics": [{"lockDuration": 5}]}, ["topics[0].topicName"]),
    ({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "r", "lockDuration": 0}]}, ["lockDuration"]),
    ({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "r", "lockDuration": 5,
                                                  "processVariables": {"a": 1}}]}, ["processVariables"]),
    ({"workerId": "w", "maxTasks": 1, "usePriority": "yes"}, ["usePriority"]),
    ({"workerId": "w\u0000", "maxTasks": 1}, ["workerId", "NUL"]),
    ({"workerId": "w", "maxTasks": 1, "sorting": [{"sortBy": "createTime", "sortOrder": "desc"}]}, ["sorting"]),
])
def test_a_bad_fetch_is_refused_naming_the_field(rest, body, words):
    data = body if isinstance(body, str) else json.dumps(body)
    response = rest.client.post(f"{BASE}/external-task/fetchAndLock", data=data, headers=rest.headers,
                                content_type="application/json")
    refused(response, 400, "InvalidRequestException", *words)


def test_engine_refusals_and_typed_value_errors_are_400s_naming_what(rest, demo, session_factory):
    deploy_push(demo)
    start(demo)
    refused(rest.post("/external-task/fetchAndLock", {"workerId": "w", "maxTasks": 5000, "topics": []}),
            400, "RestException", "maxTasks")
    [task] = rest.fetch()
    path = f"/external-task/{task['id']}/complete"
    for variables, words in (
            ({"file": {"value": "AAA=", "type": "Bytes"}}, ["variables.file", "Bytes"]),
            ({"n": {"value": "abc", "type": "Integer"}}, ["variables.n", "Integer"]),
            ({"n": {"value": 2**31, "type": "Integer"}}, ["variables.n", "range"]),
            ({"d": {"value": "tomorrow", "type": "Date"}}, ["variables.d", "Date"]),
            ({"j": {"value": "{oops", "type": "Json"}}, ["variables.j", "Json"]),
            ({"o": {"value": "<x/>", "type": "Object",
                    "valueInfo": {"serializationDataFormat": "application/xml"}}}, ["variables.o", "application/json"]),
            ({"v": 5}, ["variables.v", "value"]),
            ([1], ["variables", "object"])):
        refused(rest.post(path, {"workerId": "w1", "variables": variables}), 400, "InvalidRequestException", *words)
    assert row(session_factory, task["id"]).status == "open"
    refused(rest.post(f"/external-task/{task['id']}/failure", {"workerId": "w1", "retries": -1}),
            400, "InvalidRequestException", "retries")
    refused(rest.post(f"/external-task/{task['id']}/bpmnError", {"workerId": "w1"}), 400,
            "InvalidRequestException", "errorCode")
    refused(rest.post("/external-task/123456789/unlock"), 404, "RestException")
    refused(rest.post("/external-task/notanumber/complete", {"workerId": "w1"}), 404, "InvalidRequestException")
    refused(rest.get("/no-such-resource"), 404, "InvalidRequestException")
    response = rest.call("DELETE", "/external-task/fetchAndLock")
    assert response.status_code == 405 and response.get_json()["type"] and "POST" in response.headers["Allow"]


# -- who may call -------------------------------------------------------------------------------

def test_only_tokens_with_the_scope_of_users_who_oversee_every_unit_get_in(demo):
    deploy_push(demo)
    start(demo)
    path = f"{BASE}/external-task/fetchAndLock"
    body = {"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "report", "lockDuration": 1000}]}
    anonymous = demo.test_client().post(path, json=body)
    refused(anonymous, 401, "RestException")
    assert set(anonymous.headers.getlist("WWW-Authenticate")) == {'Basic realm="duban-engine-rest"',
                                                                  'Bearer realm="duban-engine-rest"'}
    for header in ("Bearer dbn_unknown", "Bearer ", "Token abc", "Basic !!!", "Basic " + _basic("admin", "")):
        refused(demo.test_client().post(path, json=body, headers={"Authorization": header}), 401, "RestException")
    signed_in = login(demo.test_client(), "admin")  # the pages' session never counts here
    refused(signed_in.post(path, json=body), 401, "RestException")
    no_scope = make_token(demo, "admin", "instances:write")
    refused(demo.test_client().post(path, json=body, headers={"Authorization": f"Bearer {no_scope}"}),
            403, "AuthorizationException", "external-tasks")
    unit_officer = make_token(demo, "market.officer", "external-tasks")
    refused(demo.test_client().post(path, json=body, headers={"Authorization": f"Bearer {unit_officer}"}),
            403, "AuthorizationException", "every unit")
    office = make_token(demo, "office.officer", "external-tasks")  # the special office sees every unit
    basic = demo.test_client().post(path, json=body, headers={"Authorization": "Basic " + _basic("office.officer",
                                                                                                 office)})
    assert basic.status_code == 200 and len(basic.get_json()) == 1
    someone_else = {"Authorization": "Basic " + _basic("admin", office)}
    refused(demo.test_client().post(path, json=body, headers=someone_else), 401, "RestException")
    password = {"Authorization": "Basic " + _basic("admin", "duban-demo-2026")}
    refused(demo.test_client().post(path, json=body, headers=password), 401, "RestException")
    assert demo.config.get("WTF_CSRF_ENABLED", True)  # and yet no CSRF token was needed with a token


def _basic(username, secret):
    return base64.b64encode(f"{username}:{secret}".encode()).decode()


# -- process start, messages, signals ---------------------------------------------------------

MESSAGES = '<bpmn:message id="m_receipt" name="receipt"/><bpmn:signal id="s_alarm" name="alarm"/>'


def deploy_waiting(app):
    xml = b.process("transfer", b.start(), '<bpmn:receiveTask id="wait" messageRef="m_receipt"/>',
                    b.user_task("after"), b.end(), *b.chain("start", "wait", "after", "end"))
    engine(app).deploy(xml.replace(b"<bpmn:process", MESSAGES.encode() + b"<bpmn:process", 1))
    alarm = b.process("alarmed", b.start(), '<bpmn:intermediateCatchEvent id="listen"><bpmn:signalEventDefinition '
                      'signalRef="s_alarm"/></bpmn:intermediateCatchEvent>', b.user_task("react"), b.end(),
                      *b.chain("start", "listen", "react", "end"))
    engine(app).deploy(alarm.replace(b"<bpmn:process", MESSAGES.encode() + b"<bpmn:process", 1))


def test_start_a_process_by_key(rest, demo, session_factory):
    deploy_push(demo)
    response = rest.post("/process-definition/key/push_case/start", {
        "businessKey": "XS-9", "variables": {"lead": {"value": "XS-9", "type": "String"}}})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"links", "id", "definitionId", "businessKey", "caseInstanceId", "ended", "suspended",
                         "tenantId"}
    assert body["businessKey"] == "XS-9" and body["ended"] is False and body["suspended"] is False
    assert body["links"][0]["rel"] == "self" and body["links"][0]["href"].endswith(f"/process-instance/{body['id']}")
    [task] = rest.fetch()
    assert task["processInstanceId"] == body["id"] and task["variables"]["lead"]["value"] == "XS-9"
    reader = Rest(demo, make_token(demo, "admin", "instances:read"))
    again = reader.get(f"/process-instance/{body['id']}")  # the start's self link
    assert again.status_code == 200 and again.get_json()["businessKey"] == "XS-9"
    refused(reader.get("/process-instance/999999"), 404, "InvalidRequestException", "999999")
    refused(rest.post("/process-definition/key/no_such/start", {}), 404, "RestException", "no_such")
    refused(rest.post("/process-definition/key/push_case/start", {"businessKey": "k" * 201}), 400,
            "InvalidRequestException", "businessKey")
    officer = make_token(demo, "market.supervisor", "instances:write")  # supervises one unit only
    response = demo.test_client().post(f"{BASE}/process-definition/key/push_case/start", json={},
                                       headers={"Authorization": f"Bearer {officer}"})
    refused(response, 403, "AuthorizationException")


def test_correlate_a_message_with_and_without_result(rest, demo, session_factory):
    deploy_waiting(demo)
    first, second = start(demo, "transfer", business_key="A"), start(demo, "transfer", business_key="B")
    response = rest.post("/message", {"messageName": "receipt", "businessKey": "B",
                                      "processVariables": {"receipt_no": {"value": "GA-7", "type": "String"}}})
    assert response.status_code == 204
    assert open_user_task(demo, second, "after")["receipt_no"] == "GA-7"
    refused(rest.post("/message", {"messageName": "receipt", "businessKey": "B"}), 400, "RestException", "receipt")
    third = start(demo, "transfer", business_key="C")
    refused(rest.post("/message", {"messageName": "receipt"}), 400, "RestException")  # A and C wait
    response = rest.post("/message", {"messageName": "receipt", "processInstanceId": str(first),
                                      "resultEnabled": True})
    assert response.status_code == 200
    assert response.get_json() == [{"resultType": "Execution", "processInstance": None, "execution": {
        "id": str(first), "processInstanceId": str(first), "ended": False, "tenantId": None}}]
    assert rest.post("/message", {"messageName": "receipt", "all": True, "resultEnabled": True}).get_json()[0][
        "execution"]["processInstanceId"] == str(third)
    assert rest.post("/message", {"messageName": "receipt", "all": True}).status_code == 204  # none left: no error
    refused(rest.post("/message", {"businessKey": "B"}), 400, "InvalidRequestException", "message name")
    refused(rest.post("/message", {"messageName": "receipt", "tenantId": "t1"}), 400, "RestException")


def test_broadcast_a_signal(rest, demo, session_factory):
    deploy_waiting(demo)
    waiting = [start(demo, "alarmed"), start(demo, "alarmed")]
    response = rest.post("/signal", {"name": "alarm", "variables": {"level": {"value": 2, "type": "Integer"}}})
    assert response.status_code == 204
    for instance_id in waiting:
        assert open_user_task(demo, instance_id, "react")["level"] == 2
    assert rest.post("/signal", {"name": "nobody listens"}).status_code == 204
    refused(rest.post("/signal", {}), 400, "InvalidRequestException", "signal name")
    only_tasks = Rest(demo, make_token(demo, "admin", "external-tasks"))
    refused(only_tasks.post("/signal", {"name": "alarm"}), 403, "AuthorizationException", "messages")
