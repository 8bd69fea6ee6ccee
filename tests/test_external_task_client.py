"""Acceptance: the unmodified Camunda 7 Python client (camunda-external-task-client-python3)
works Duban's service tasks over real HTTP.

The app is served by werkzeug on 127.0.0.1 (a free port, threaded like a gunicorn gthread
worker). `ExternalTaskWorker.subscribe` runs its own endless fetch-and-execute loop (long
polling) in a thread; once the process reached the expected state the test swaps the loop's
step for one that raises, which ends the thread after the request in flight. `EngineClient`
starts instances and correlates messages. Time runs (from the test clock's start), so lock
and retry timeouts pass as they would in production.
"""
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from camunda.client.engine_client import EngineClient
from camunda.external_task.external_task_worker import ExternalTaskWorker
from sqlalchemy import select
from werkzeug.serving import make_server

from engine import clock as clock_module
from engine.store.models import HumanTask, Incident, ProcessInstance
from engine.store.wait_models import ExternalTask
from tests import bpmn_builder as b
from tests.test_api import make_token
from tests.test_engine_rest_external_tasks import open_user_task

SCOPES = "external-tasks,messages,instances:write"
RECEIPT = '<bpmn:message id="m_receipt" name="receipt"/>'


class RunningClock:
    """Real time passing from the test clock's moment."""

    def __init__(self, start):
        self.start, self.began = start, time.monotonic()

    def now(self):
        return self.start + timedelta(seconds=time.monotonic() - self.began)


class StopWorker(Exception):
    pass


@pytest.fixture
def served(demo, clock):
    """(base URL of /engine-rest, an API token of the administrator) with the app served over HTTP."""
    clock_module.install(RunningClock(clock.now()))  # the clock fixture puts the system clock back
    server = make_server("127.0.0.1", 0, demo, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/engine-rest", make_token(demo, "admin", SCOPES)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def worker_running(base_url, auth: dict, topic: str, action, worker_id="duban-test-worker"):
    config = {"maxTasks": 1, "lockDuration": 10000, "asyncResponseTimeout": 3000, "retries": 3,
              "retryTimeout": 100, "sleepSeconds": 0, **auth}
    worker = ExternalTaskWorker(worker_id=worker_id, base_url=base_url, config=config)

    def run():
        try:
            worker.subscribe(topic, action)
        except StopWorker:
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        def stop(*_args, **_kwargs):
            raise StopWorker()
        worker._fetch_and_execute_safe = stop  # the loop's next step ends it
        thread.join(timeout=15)
        assert not thread.is_alive(), "the worker did not stop"


def bearer(token):
    return {"auth_bearer": {"access_token": token}}


def wait_until(check, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def deploy(app, process_id, topic, *extra, after="after", boundary=False, message=False):
    push = f'<bpmn:serviceTask id="push" name="报送" camunda:type="external" camunda:topic="{topic}"/>'
    elements = [b.start(), push, b.user_task(after), b.end(), *extra]
    ids = ["start", "push", "receipt", after, "end"] if message else ["start", "push", after, "end"]
    if message:
        elements.append('<bpmn:receiveTask id="receipt" messageRef="m_receipt"/>')
    flows = b.chain(*ids)
    if boundary:
        boundary_event = ('<bpmn:boundaryEvent id="failed" attachedToRef="push">'
                          '<bpmn:errorEventDefinition errorRef="err_REFUSED"/></bpmn:boundaryEvent>')
        elements += [boundary_event, b.user_task("handle_refusal"), b.end("end2")]
        flows += b.chain("failed", "handle_refusal", "end2")
    xml = b.process(process_id, *elements, *flows, errors=("REFUSED",) if boundary else ())
    if message:
        xml = xml.replace(b"<bpmn:process", RECEIPT.encode() + b"<bpmn:process", 1)
    app.extensions["duban"].engine.deploy(xml)


def open_user_tasks(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == int(instance_id),
                                                            HumanTask.status == "open")).all()


def test_a_worker_completes_with_variables_the_next_user_task_sees(served, demo, session_factory):
    base_url, token = served
    deploy(demo, "report_case", "report", message=True, after="check")
    engine_client = EngineClient(base_url, config=bearer(token))
    started = engine_client.start_process("report_case", {"lead": "XS-1", "amount": 12.5}, business_key="XS-1")
    assert started["businessKey"] == "XS-1" and started["ended"] is False
    seen = []

    def action(task):
        seen.append((task.get_variable("lead"), task.get_variable("amount"), task.get_business_key(),
                     task.get_activity_id()))
        return task.complete({"receipt_no": "SB-1", "pages": 3, "detail": {"seal": True}})

    with worker_running(base_url, bearer(token), "report", action):
        wait_until(lambda: _waits_for_message(session_factory, started["id"]), "the task to be completed")
    assert seen == [("XS-1", 12.5, "XS-1", "push")]
    result = engine_client.correlate_message("receipt", business_key="XS-1", process_variables={"accepted": True})
    assert result == [{"resultType": "Execution", "processInstance": None, "execution": {
        "id": started["id"], "processInstanceId": started["id"], "ended": False, "tenantId": None}}]
    assert open_user_tasks(session_factory, started["id"]) == ["check"]
    data = open_user_task(demo, int(started["id"]), "check")
    assert (data["lead"], data["receipt_no"], data["pages"], data["detail"], data["accepted"]) == \
        ("XS-1", "SB-1", 3, {"seal": True}, True)


def _waits_for_message(session_factory, instance_id):
    with session_factory() as s:
        rows = s.scalars(select(ExternalTask.status).where(ExternalTask.instance_id == int(instance_id))).all()
    return rows == ["completed"]


def test_a_failure_with_retries_then_success_on_a_later_fetch(served, demo, session_factory):
    base_url, token = served
    deploy(demo, "flaky_case", "flaky")
    instance_id = demo.extensions["duban"].engine.start("flaky_case", {"attempt": 0})
    attempts = []

    def action(task):
        attempts.append(task._context["retries"])
        if len(attempts) == 1:
            return task.failure("platform busy", "HTTP 503 from the platform", max_retries=3, retry_timeout=100)
        return task.complete({"attempts": len(attempts)})

    with worker_running(base_url, bearer(token), "flaky", action):
        wait_until(lambda: open_user_tasks(session_factory, instance_id) == ["after"], "the retry to succeed")
    assert attempts == [None, 3]  # the second fetch saw the retries the first failure left
    assert open_user_task(demo, instance_id, "after")["attempts"] == 2
    with session_factory() as s:
        assert s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all() == []


def test_failing_until_no_retries_are_left_opens_an_incident(served, demo, session_factory):
    base_url, token = served
    deploy(demo, "doomed_case", "doomed")
    instance_id = demo.extensions["duban"].engine.start("doomed_case")
    attempts = []

    def action(task):
        attempts.append(task._context["retries"])
        return task.failure("platform down", None, max_retries=2, retry_timeout=100)

    def incident():
        with session_factory() as s:
            return s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()

    with worker_running(base_url, bearer(token), "doomed", action):
        [found] = wait_until(incident, "an incident")
        time.sleep(1.5)  # a task without retries is not fetched again
    assert attempts == [None, 2, 1]
    assert found.kind == "failed_external_task" and "platform down" in found.message
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "error"
        [row] = s.scalars(select(ExternalTask).where(ExternalTask.instance_id == instance_id)).all()
    assert (row.status, row.retries, row.error_message) == ("open", 0, "platform down")


def test_a_bpmn_error_goes_down_the_error_boundary_path(served, demo, session_factory):
    base_url, token = served
    deploy(demo, "refusable_case", "refusable", boundary=True)
    instance_id = demo.extensions["duban"].engine.start("refusable_case", business_key="XS-4")
    basic = {"auth_basic": {"username": "admin", "password": token}}  # Basic: the username and an API token

    def action(task):
        return task.bpmn_error("REFUSED", "the platform refused the report", {"reason": "missing seal"})

    with worker_running(base_url, basic, "refusable", action):
        wait_until(lambda: open_user_tasks(session_factory, instance_id) == ["handle_refusal"], "the boundary path")
    assert open_user_task(demo, instance_id, "handle_refusal")["reason"] == "missing seal"
    with session_factory() as s:
        [row] = s.scalars(select(ExternalTask).where(ExternalTask.instance_id == instance_id)).all()
        assert row.status == "cancelled"
        assert s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all() == []
