"""Every expression of a BPMN is checked at deploy (both ways in: the API and the administrators' modeler),
values beyond sane bounds are refused naming the element, and what still fails at run time becomes an
incident on the instance, never a 500."""
import io
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import deadlines
from engine.store.models import HumanTask, Incident, ProcessInstance
from tests import bpmn_builder as b
from tests.conftest import _fast_hash, csrf_token, login
from tests.helpers import SUPERVISOR, open_tasks


def _one_task(**task):
    return b.process("checked", b.start(), b.user_task("step", "办理", **task), b.end(),
                     *b.chain("start", "step", "end"))


def _with_ladder(ladder):
    task = b.user_task("step", "办理", due="P5WD").replace(
        "/>", f'><bpmn:extensionElements><camunda:properties><camunda:property name="escalation" value="{ladder}"/>'
              "</camunda:properties></bpmn:extensionElements></bpmn:userTask>")
    return b.process("checked", b.start(), task, b.end(), *b.chain("start", "step", "end"))


def _gateway(condition):
    return b.process("checked", b.start(), b.gateway("choose", default="f_other"), b.user_task("a", due="P1WD"),
                     b.user_task("other", due="P1WD"), b.end(), b.flow("start", "choose"),
                     b.flow("choose", "a", condition), b.flow("choose", "other", id="f_other"),
                     b.flow("a", "end"), b.flow("other", "end"))


def _cardinality(value):
    task = (f'<bpmn:userTask id="step" name="办理" camunda:candidateGroups="office" camunda:dueDate="P1WD">'
            f"<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>{value}</bpmn:loopCardinality>"
            "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>")
    return b.process("checked", b.start(), task, b.end(), *b.chain("start", "step", "end"))


# (what, BPMN, element named, words of the message)
REFUSED = [
    ("due date reads a file", _one_task(due="open('/etc/passwd').read()"), "step", '"open" is not available'),
    ("due date imports", _one_task(due="__import__('os').getcwd()"), "step", "__import__"),
    ("due date calls a JUEL method", _one_task(due="${x.getClass()}"), "step", "method and function calls"),
    ("due date divides by zero", _one_task(due="1/0"), "step", "ZeroDivisionError"),
    ("due date of 99,999,999 working days", _one_task(due="P99999999WD"), "step", "more than 1000 working days"),
    ("due date of 1,001 working days", _one_task(due="P1001WD"), "step", "more than 1000 working days"),
    ("due date of 50 years", _one_task(due="P50Y"), "step", "longer than 1500 days"),
    ("due date that is no date", _one_task(due="'next week'"), "step", "not a date-time or a duration"),
    ("gateway condition calls a JUEL method", _gateway("${grade.toString() == 'red'}"), "choose",
     "method and function calls"),
    ("empty script", b.process("checked", b.start(), b.script_task("compute", "  "), b.end(),
                               *b.chain("start", "compute", "end")), "compute", "script is empty"),
    ("timer of 99,999,999 working days", b.process(
        "checked", b.start(), b.timer_event("wait", value="P99999999WD"), b.end(), *b.chain("start", "wait", "end")),
     "wait", "more than 1000 working days"),
    ("escalation rung 1,001 working days after the due date", _with_ladder("overdue@due; leader@due+P1001WD"),
     "step", "more than 1000 working days"),
    ("100,000 instances", _cardinality("100000"), "step", "outside 0 to 1000"),
]
IDS = [case[0] for case in REFUSED]


@pytest.mark.parametrize("what, xml, element, words", REFUSED, ids=IDS)
def test_the_engine_refuses_at_deploy_naming_the_element(engine, what, xml, element, words):
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        engine.deploy(xml, "checked.bpmn")
    assert time.monotonic() - started < 2  # nothing is counted
    problems = [p for p in info.value.problems if p.element_id == element]
    assert problems and words in problems[0].message, [str(p) for p in info.value.problems]
    assert problems[0].file == "checked.bpmn"


def test_sane_values_and_expressions_over_the_case_still_deploy(engine):
    for xml in (_one_task(due="P1000WD"), _one_task(due="${deadline}"), _one_task(due="workdays_after(days)"),
                _gateway("${grade == 'red' && !(closed)}"), _with_ladder("overdue@due; leader@due+P3WD"),
                _cardinality("3")):
        engine.deploy(xml, "checked.bpmn")


# -- both ways in, over HTTP -------------------------------------------------------------------------

@pytest.fixture
def web(app):
    """Units and users only; an API token of the administrator and one of the office's leader."""
    from domain.api_tokens import create_token
    from domain.demo import create_units, create_users
    from web.extensions import db

    with app.app_context():
        create_units(db.session)
        create_users(db.session, _fast_hash, "duban-demo-2026")
        tokens = {user: create_token(db.session, user, scopes, "test")[1] for user, scopes in (
            ("admin", "definitions:write"), ("office.leader", "instances:write,instances:read"),
            ("office.officer", "tasks:write,tasks:read"))}
        db.session.commit()
    client = app.test_client()
    client.tokens = tokens
    return client


def _bearer(client, user):
    return {"Authorization": f"Bearer {client.tokens[user]}"}


def test_each_example_is_refused_by_the_api_and_by_the_modeler_naming_the_element(web, session_factory):
    login(web, "admin")
    token = csrf_token(web, "/admin/")
    for what, xml, element, words in REFUSED:
        api = web.post("/api/v1/definitions", headers=_bearer(web, "admin"), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(xml), "checked.bpmn")})
        assert api.status_code == 422, (what, api.text)
        assert any(f"element {element}" in line and words in line for line in api.get_json()["errors"]["file"]), \
            (what, api.get_json())
        modeler = web.post("/admin/api/deploy", data=json.dumps({"xml": xml.decode(), "accept_warnings": True}),
                           content_type="application/json", headers={"X-CSRFToken": token})
        assert modeler.status_code == 422, (what, modeler.text)
        assert any(p["element_id"] == element and words in p["message_en"]
                   for p in modeler.get_json()["problems"]), (what, modeler.get_json())
    with session_factory() as s:
        assert s.scalars(select(ProcessInstance)).all() == []


def _incidents(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()


def test_http_start_and_complete_answer_and_the_failure_is_an_incident_on_the_instance(web, engine, session_factory):
    # Days to answer = 10 // the count the officer enters; 0 divides by zero when the next task opens.
    engine.deploy(b.process("answer", b.start(), b.user_task("count", "清点", due="${first_due}"),
                            b.user_task("reply", "答复", due="workdays_after(10 // people)"), b.end(),
                            *b.chain("start", "count", "reply", "end")), "answer.bpmn")

    started = web.post("/api/v1/instances", headers=_bearer(web, "office.leader"),
                       json={"process_id": "answer", "data": {"first_due": "P99999999WD"}})
    assert started.status_code == 201, started.text
    body = started.get_json()
    assert body["status"] == "error" and body["tasks"] == []
    [incident] = body["incidents"]
    assert incident["element_id"] == "count" and "more than 1000 working days" in incident["message"]

    started = web.post("/api/v1/instances", headers=_bearer(web, "office.leader"),
                       json={"process_id": "answer", "data": {"first_due": "P2WD"}})
    assert started.status_code == 201 and started.get_json()["status"] == "running"
    instance_id = started.get_json()["id"]
    [count] = open_tasks(session_factory, instance_id)
    completed = web.post(f"/api/v1/tasks/{count.id}/complete", headers=_bearer(web, "office.officer"),
                         json={"data": {"people": 0}})
    assert completed.status_code == 200, completed.text
    assert completed.get_json()["instance_status"] == "error"
    [incident] = _incidents(session_factory, instance_id)
    assert incident.element_id == "reply" and "ZeroDivisionError" in incident.message
    assert open_tasks(session_factory, instance_id) == []
    shown = web.get(f"/api/v1/instances/{instance_id}", headers=_bearer(web, "office.leader")).get_json()
    assert shown["status"] == "error" and shown["incidents"][0]["element_id"] == "reply"

    # Fixed and retried, the task opens with its due date.
    engine.retry(instance_id, SUPERVISOR, data={"people": 5}, reason="人数更正")
    [answer] = open_tasks(session_factory, instance_id)
    assert answer.element_id == "reply" and answer.due_at is not None


# -- at run time, in the engine --------------------------------------------------------------------

def test_a_due_date_that_is_no_date_stops_its_task_with_an_incident(engine, session_factory):
    engine.deploy(_one_task(due="${deadline}"), "checked.bpmn")
    instance_id = engine.start("checked", {"deadline": "下周五"})
    [incident] = _incidents(session_factory, instance_id)
    assert incident.kind == "script_error" and incident.element_id == "step"
    assert "due date" in incident.message and "下周五" in incident.message
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "error"
        assert s.scalars(select(HumanTask)).all() == []


def test_a_candidate_group_expression_that_fails_is_an_incident(engine, session_factory):
    engine.deploy(_one_task(groups="${units['lead']}", due="P1WD"), "checked.bpmn")
    instance_id = engine.start("checked", {"units": {}})
    [incident] = _incidents(session_factory, instance_id)
    assert incident.element_id == "step" and "candidate group" in incident.message


def test_a_timer_date_that_is_no_date_is_an_incident_naming_the_timer(engine, session_factory):
    engine.deploy(b.process("waits", b.start(), b.timer_event("until", kind="timeDate", value="${report_due}"),
                            b.user_task("after", due="P1WD"), b.end(), *b.chain("start", "until", "after", "end")),
                  "waits.bpmn")
    instance_id = engine.start("waits", {"report_due": "soon"})
    [incident] = _incidents(session_factory, instance_id)
    assert incident.element_id == "until" and "soon" in incident.message


def test_a_multi_instance_count_read_from_the_case_is_bounded_at_run_time(engine, session_factory):
    """`${copies}` deploys (its value is the case's); a million copies is an incident, not a million tasks."""
    engine.deploy(_cardinality("${copies}"), "checked.bpmn")
    began = time.monotonic()
    instance_id = engine.start("checked", {"copies": 1_000_000})
    assert time.monotonic() - began < 5
    [incident] = _incidents(session_factory, instance_id)
    assert incident.element_id == "step" and "0 to 1000" in incident.message
    with session_factory() as s:
        assert s.scalars(select(HumanTask)).all() == []
    fine = engine.start("checked", {"copies": 3})
    assert len(open_tasks(session_factory, fine)) == 3


def test_a_script_asking_for_absurd_working_days_fails_at_once(engine, session_factory):
    engine.deploy(b.process("far", b.start(), b.script_task("compute", "due = workdays_after(99999999)"),
                            b.user_task("after", due="P1WD"), b.end(), *b.chain("start", "compute", "after", "end")),
                  "far.bpmn")
    started = time.monotonic()
    instance_id = engine.start("far")
    assert time.monotonic() - started < 2
    [incident] = _incidents(session_factory, instance_id)
    assert incident.element_id == "compute" and "outside 0 to 1000" in incident.message


def test_the_working_day_functions_refuse_absurd_counts_quickly(clock, engine):
    functions = deadlines.script_functions(engine.calendar())
    started = time.monotonic()
    for call in (lambda: functions["duration_due"]("P99999999WD"), lambda: functions["workdays_after"](10 ** 8),
                 lambda: deadlines.to_datetime("P99999999M", clock.now())):
        with pytest.raises(deadlines.DeadlineError):
            call()
    assert time.monotonic() - started < 1
    assert functions["workdays_after"](1000) > functions["workdays_after"](999)
    assert deadlines.due_from("P3D", clock.now()) == clock.now() + timedelta(days=3)


def test_the_campaigns_workdays_after_refuses_absurd_counts_too(session):
    from domain.errors import ValidationFailed
    from domain.services import make_service_functions

    workdays_after = make_service_functions(session, "office.officer", None)["workdays_after"]
    started = time.monotonic()
    with pytest.raises(ValidationFailed):
        workdays_after(99_999_999)
    assert time.monotonic() - started < 1
    assert workdays_after(3) < workdays_after(4)
