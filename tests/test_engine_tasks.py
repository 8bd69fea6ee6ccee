"""Instances and human tasks: flows, permissions, conflicts, reassignment."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.errors import ConflictError, InvalidOperation, PermissionDenied, TaskNotReady
from engine.identity import Actor
from engine.runtime import Engine
from engine.store.models import AuditEvent, HumanTask, ProcessInstance
from tests import bpmn_builder as b
from tests.helpers import (OFFICER, OTHER_OFFICER, SUPERVISOR, complete_open_tasks, meet_after_first_calls,
                           open_tasks, run_together)


def actions(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)
                         .order_by(AuditEvent.id)).all()


def test_sequential_process_runs_start_to_finish_with_task_rows_and_audit(engine, session_factory, clock):
    engine.deploy(b.sequential("seq", n=3, due="P3D"))
    instance_id = engine.start("seq", {"lead_no": "XS-1"}, OFFICER)
    for expected in ("t1", "t2", "t3"):
        [task] = open_tasks(session_factory, instance_id)
        assert task.element_id == expected and task.candidate_groups == "office"
        assert task.due_at == clock.now() + timedelta(days=3) == task.created_at + timedelta(days=3)
        clock.advance(hours=1)
        engine.complete(task.id, OFFICER, {f"done_{expected}": True})
    with session_factory() as s:
        instance = s.get(ProcessInstance, instance_id)
        assert instance.status == "completed" and instance.ended_at is not None
        assert '"spec"' not in instance.state_json and "done_t3" in instance.state_json
        done = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
        assert [t.status for t in done] == ["completed"] * 3 and {t.completed_by for t in done} == {OFFICER.username}
    assert actions(session_factory, instance_id) == [
        "instance.started", "task.created", "task.completed", "task.created", "task.completed",
        "task.created", "task.completed", "instance.completed"]


TWO_CHECKS_THEN_REVIEW = b.process(
    "par", b.start(), b.gateway("split", "parallelGateway"), b.user_task("police_check", groups="police"),
    b.user_task("market_check", groups="market"), b.gateway("join", "parallelGateway"), b.user_task("review"), b.end(),
    *b.chain("start", "split"), b.flow("split", "police_check"), b.flow("split", "market_check"),
    b.flow("police_check", "join"), b.flow("market_check", "join"), *b.chain("join", "review", "end"))


def test_parallel_gateway_opens_both_branches_and_joins(engine, session_factory):
    engine.deploy(TWO_CHECKS_THEN_REVIEW)
    instance_id = engine.start("par")
    tasks = {t.element_id: t for t in open_tasks(session_factory, instance_id)}
    assert set(tasks) == {"police_check", "market_check"}
    engine.complete(tasks["police_check"].id, OTHER_OFFICER)
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["market_check"]
    engine.complete(tasks["market_check"].id, OFFICER)
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["review"]


@pytest.mark.parametrize("grade, expected", [("red", "police_transfer"), ("yellow", "warning_interview"),
                                             ("green", "risk_warning")])
def test_exclusive_gateway_follows_the_condition(engine, session_factory, grade, expected):
    xml = b.process("grade", b.start(), b.user_task("assess"), b.gateway("gw", default="f_gw_risk_warning"),
                    b.user_task("police_transfer"), b.user_task("warning_interview"), b.user_task("risk_warning"),
                    b.end("e1"), b.end("e2"), b.end("e3"), *b.chain("start", "assess", "gw"),
                    b.flow("gw", "police_transfer", condition="grade == 'red'"),
                    b.flow("gw", "warning_interview", condition="${grade == 'yellow' || grade == 'orange'}"),
                    b.flow("gw", "risk_warning"),
                    b.flow("police_transfer", "e1"), b.flow("warning_interview", "e2"), b.flow("risk_warning", "e3"))
    engine.deploy(xml)
    instance_id = engine.start("grade")
    [assess] = open_tasks(session_factory, instance_id)
    engine.complete(assess.id, OFFICER, {"grade": grade})
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == [expected]


def test_only_candidates_and_the_assignee_may_claim_and_complete(engine, session_factory):
    engine.deploy(b.sequential("seq", n=2, groups="market"))
    instance_id = engine.start("seq")
    [task] = open_tasks(session_factory, instance_id)
    with pytest.raises(PermissionDenied):
        engine.claim(task.id, OTHER_OFFICER)
    with pytest.raises(PermissionDenied):
        engine.complete(task.id, OTHER_OFFICER, {})
    engine.claim(task.id, OFFICER)
    colleague = Actor("chen.market", groups=frozenset({"market"}))
    with pytest.raises(ConflictError, match="already claimed"):
        engine.claim(task.id, colleague)
    with pytest.raises(PermissionDenied, match="assigned to li.officer"):
        engine.complete(task.id, colleague, {})
    engine.unclaim(task.id, OFFICER)
    engine.claim(task.id, colleague)
    engine.complete(task.id, colleague, {})
    with pytest.raises(TaskNotReady):
        engine.complete(task.id, colleague, {})
    assert actions(session_factory, instance_id)[:5] == [
        "instance.started", "task.created", "task.claimed", "task.unclaimed", "task.claimed"]


def test_a_task_that_is_not_ready_cannot_be_run(engine, session_factory):
    """SpiffWorkflow's Task.run() would run a FUTURE task; the engine refuses."""
    engine.deploy(b.sequential("seq", n=2))
    instance_id = engine.start("seq")
    [task] = open_tasks(session_factory, instance_id)
    with session_factory() as s, s.begin():
        row = s.get(HumanTask, task.id)
        instance, workflow = engine.load_workflow(s, instance_id)
        future = workflow.get_next_task(spec_name="t2")
        row.spiff_task_id = str(future.id)
    with pytest.raises(TaskNotReady):
        engine.complete(task.id, OFFICER, {})


def test_same_task_completed_from_two_sessions_one_wins_one_conflicts(engine, session_factory):
    engine.deploy(b.sequential("seq", n=2))
    instance_id = engine.start("seq")
    [task] = open_tasks(session_factory, instance_id)
    meet_after_first_calls(engine, "_load")  # both sessions have read the same version
    outcomes = run_together(*(lambda actor=actor: engine.complete(task.id, actor, {"by": actor.username})
                              for actor in (OFFICER, SUPERVISOR)), expected=ConflictError)
    assert sorted(map(str, outcomes)).count("ok") == 1
    [error] = [o for o in outcomes if o != "ok"]
    # The loser's engine tried again on the new state and found the task done, and by whom.
    assert isinstance(error, TaskNotReady)
    assert "is completed (by " in str(error), str(error)
    with session_factory() as s:
        tasks = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)).all()
        assert [t.status for t in tasks] == ["completed", "open"]
        assert s.get(ProcessInstance, instance_id).lock_version == 2  # inserted at 1, one completion
    assert actions(session_factory, instance_id).count("task.completed") == 1


def test_two_branches_of_one_case_completed_at_the_same_moment_both_succeed(engine, session_factory):
    engine.deploy(TWO_CHECKS_THEN_REVIEW)
    instance_id = engine.start("par")
    tasks = {t.element_id: t for t in open_tasks(session_factory, instance_id)}
    loads = meet_after_first_calls(engine, "_load")  # both completions read the same version of the case
    outcomes = run_together(
        lambda: engine.complete(tasks["police_check"].id, OTHER_OFFICER, {"police_check_done": True}),
        lambda: engine.complete(tasks["market_check"].id, OFFICER, {"market_check_done": True}))
    assert outcomes == ["ok", "ok"]
    assert len(loads) == 3  # one of them loaded the case again after the other won
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["review"]
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).lock_version == 3
        _instance, workflow = engine.load_workflow(s, instance_id)
        [review] = [t for t in workflow.get_tasks() if t.task_spec.name == "review"]
        assert review.data["police_check_done"] is True and review.data["market_check_done"] is True
    assert actions(session_factory, instance_id).count("task.completed") == 2


def test_supervisor_reassigns_and_transfers_with_a_reason(engine, session_factory):
    engine.deploy(b.sequential("seq", n=1, groups="market"))
    instance_id = engine.start("seq")
    [task] = open_tasks(session_factory, instance_id)
    with pytest.raises(PermissionDenied):
        engine.reassign(task.id, OFFICER, "someone", "because")
    with pytest.raises(InvalidOperation, match="reason"):
        engine.reassign(task.id, SUPERVISOR, "chen.market", " ")
    engine.reassign(task.id, SUPERVISOR, "chen.market", "li is on leave")
    assert open_tasks(session_factory, instance_id)[0].assignee == "chen.market"
    engine.transfer(task.id, SUPERVISOR, "police matter", to_groups=["police"])
    [moved] = open_tasks(session_factory, instance_id)
    assert moved.assignee is None and moved.candidate_groups == "police"
    with pytest.raises(PermissionDenied):
        engine.complete(task.id, OFFICER, {})
    engine.complete(task.id, OTHER_OFFICER, {})
    with session_factory() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action.in_(["task.reassigned", "task.transferred"]))
                           .order_by(AuditEvent.id)).all()
        assert [(e.action, e.reason, e.actor) for e in events] == [
            ("task.reassigned", "li is on leave", "zhao.lead"), ("task.transferred", "police matter", "zhao.lead")]
        assert events[0].data == {"from": None, "to": "chen.market"}


def test_instance_resumes_from_a_fresh_engine_on_the_same_database(engine, session_factory, clock):
    engine.deploy(b.sequential("seq", n=3))
    instance_id = engine.start("seq", {"amount": 12})
    engine.complete(open_tasks(session_factory, instance_id)[0].id, OFFICER, {"note": "一"})
    fresh = Engine(session_factory, clock=clock, node_id="another")
    complete_open_tasks(fresh, session_factory, instance_id)
    with session_factory() as s:
        instance = s.get(ProcessInstance, instance_id)
        assert instance.status == "completed"
        _, workflow = fresh.load_workflow(s, instance_id)
        assert workflow.last_task.data["note"] == "一" and workflow.last_task.data["amount"] == 12


def test_camunda_attributes_fill_the_task_row(engine, session_factory, clock):
    xml = b.process("attrs", b.start(),
                    b.user_task("verify", "核实线索", groups="market,office", users="li.officer", assignee="${handler}",
                                due="${deadline}", priority=80, form_key="lead/verify"),
                    b.end(), *b.chain("start", "verify", "end"))
    engine.deploy(xml)
    instance_id = engine.start("attrs", {"handler": "chen.market", "deadline": "2026-03-20T09:00:00+08:00"})
    [task] = open_tasks(session_factory, instance_id)
    assert (task.name, task.form_key, task.assignee, task.priority) == ("核实线索", "lead/verify", "chen.market", 80)
    assert task.due_at.isoformat() == "2026-03-20T01:00:00+00:00"
    assert sorted((c.kind, c.name) for c in task.candidates) == [
        ("group", "market"), ("group", "office"), ("user", "li.officer")]


def test_lane_name_is_the_fallback_candidate_group(engine, session_factory):
    xml = (b.HEADER + '<bpmn:process id="lanes" isExecutable="true">'
           '<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="police"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>'
           '<bpmn:flowNodeRef>check</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>'
           + b.start() + b.user_task("check", groups=None) + b.end() + "".join(b.chain("start", "check", "end"))
           + "</bpmn:process></bpmn:definitions>").encode()
    engine.deploy(xml)
    instance_id = engine.start("lanes")
    assert open_tasks(session_factory, instance_id)[0].candidate_groups == "police"


def test_cancel_closes_tasks_and_needs_a_reason(engine, session_factory):
    engine.deploy(b.sequential("seq", n=2))
    instance_id = engine.start("seq")
    with pytest.raises(InvalidOperation):
        engine.cancel(instance_id, SUPERVISOR, "")
    engine.cancel(instance_id, SUPERVISOR, "duplicate lead")
    assert open_tasks(session_factory, instance_id) == []
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "cancelled"
