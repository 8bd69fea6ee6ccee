"""Administrators' instance operations: suspend, resume, cancel, retry after a fix, migrate (with a dry
run), edit a variable, roll back — each administrator-only, with a reason, audited."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.admin_ops import AdminOperations
from engine.errors import BpmnValidationError, InvalidOperation, PermissionDenied
from engine.identity import Actor
from engine.store.models import AuditEvent, HumanTask, Incident, ProcessDefinition, ProcessInstance, Timer
from engine.store.supervision_models import EscalationStep
from tests import bpmn_builder as b
from tests.helpers import OFFICER, SUPERVISOR, open_tasks

ADMIN = Actor("admin", groups=frozenset({"office"}), roles=frozenset({"administrator"}))


@pytest.fixture
def ops(engine):
    return AdminOperations(engine)


def _instance(session_factory, instance_id) -> ProcessInstance:
    with session_factory() as s:
        return s.get(ProcessInstance, instance_id)


def _audit(session_factory, instance_id, action):
    with session_factory() as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                  AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _timers(session_factory, instance_id, status=None):
    with session_factory() as s:
        query = select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id)
        if status:
            query = query.where(Timer.status == status)
        return s.scalars(query).all()


def _waiting_process():
    """A user task with a 2-hour non-interrupting reminder, then a 1-day wait, then a second task."""
    return b.process("wait", b.start(), b.user_task("check", due="P3D", form_key="lead/verify"),
                     b.boundary_timer("remind", "check", value="PT2H", interrupting=False),
                     b.user_task("reminded", due="P1D"), b.end("reminded_end"),
                     b.timer_event("cool_off", value="P1D"), b.user_task("after", due="P1D"), b.end(),
                     *b.chain("start", "check", "cool_off", "after", "end"),
                     *b.chain("remind", "reminded", "reminded_end"))


# -- who may, and reasons ------------------------------------------------------

def test_only_an_administrator_may_and_a_reason_is_required(engine, ops, session_factory):
    engine.deploy(b.sequential("seq", n=1))
    instance_id = engine.start("seq")
    for actor in (OFFICER, SUPERVISOR):
        with pytest.raises(PermissionDenied):
            ops.suspend(instance_id, actor, "maintenance")
        with pytest.raises(PermissionDenied):
            ops.set_variable(instance_id, actor, "x", 1, "fix")
        with pytest.raises(PermissionDenied):
            ops.migrate("seq", 1, 2, actor, "move")
    with pytest.raises(InvalidOperation, match="reason"):
        ops.suspend(instance_id, ADMIN, "  ")
    assert _instance(session_factory, instance_id).status == "running"


# -- suspend and resume ----------------------------------------------------------

def test_suspended_instance_fires_no_timer_and_its_task_cannot_be_completed_until_resumed(
        engine, ops, session_factory, clock):
    engine.deploy(_waiting_process())
    instance_id = engine.start("wait")
    [check] = open_tasks(session_factory, instance_id)
    [timer] = _timers(session_factory, instance_id)
    assert timer.element_id == "remind" and timer.status == "waiting"

    ops.suspend(instance_id, ADMIN, "the unit is being reorganised")
    assert _instance(session_factory, instance_id).status == "suspended"
    [event] = _audit(session_factory, instance_id, "instance.suspended")
    assert event.actor == "admin" and event.reason == "the unit is being reorganised"
    assert _timers(session_factory, instance_id)[0].status == "suspended"
    with session_factory() as s:
        steps = s.scalars(select(EscalationStep).where(EscalationStep.instance_id == instance_id)).all()
        assert steps and {step.status for step in steps} == {"suspended"}
    assert engine.next_timer_due() is None  # the scheduler does not wake up for a parked timer

    clock.advance(hours=3)
    assert engine.fire_due_timers() == 0
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["check"]
    with pytest.raises(InvalidOperation, match="suspended"):
        engine.complete(check.id, OFFICER, {})
    with pytest.raises(InvalidOperation, match="running"):
        ops.suspend(instance_id, ADMIN, "again")

    woken = []
    engine.on_wake(woken.append)
    ops.resume(instance_id, ADMIN, "reorganisation done")
    assert _instance(session_factory, instance_id).status == "running"
    assert _audit(session_factory, instance_id, "instance.resumed")[0].reason == "reorganisation done"
    assert woken and woken[0] == timer.due_at  # the overdue timer wakes the scheduler at once
    assert engine.fire_due_timers() == 1
    assert sorted(t.element_id for t in open_tasks(session_factory, instance_id)) == ["check", "reminded"]
    engine.complete(check.id, OFFICER, {})
    with pytest.raises(InvalidOperation, match="not suspended"):
        ops.resume(instance_id, ADMIN, "again")


# -- cancel -------------------------------------------------------------------------

def test_cancel_a_suspended_instance_cancels_its_parked_timers(engine, ops, session_factory):
    engine.deploy(_waiting_process())
    instance_id = engine.start("wait")
    ops.suspend(instance_id, ADMIN, "pause")
    ops.cancel(instance_id, ADMIN, "lead was a duplicate")
    instance = _instance(session_factory, instance_id)
    assert instance.status == "cancelled" and instance.ended_at is not None
    assert {t.status for t in _timers(session_factory, instance_id)} == {"cancelled"}
    assert open_tasks(session_factory, instance_id) == []
    [event] = _audit(session_factory, instance_id, "instance.cancelled")
    assert event.reason == "lead was a duplicate" and event.data == {"was": "suspended"}
    with pytest.raises(InvalidOperation, match="already cancelled"):
        ops.cancel(instance_id, ADMIN, "again")


# -- variables and retry -------------------------------------------------------------

def _failing_process():
    return b.process("calc", b.start(), b.user_task("enter", due="P1D"),
                     b.script_task("compute", "ratio = recovered / lost"), b.user_task("review", due="P1D"), b.end(),
                     *b.chain("start", "enter", "compute", "review", "end"))


def test_retry_a_failed_step_after_fixing_its_cause_with_a_variable(engine, ops, session_factory):
    engine.deploy(_failing_process())
    instance_id = engine.start("calc")
    engine.complete(open_tasks(session_factory, instance_id)[0].id, OFFICER, {"recovered": 5, "lost": 0})
    assert _instance(session_factory, instance_id).status == "error"
    assert ops.variables(instance_id)["lost"] == 0
    with pytest.raises(InvalidOperation, match="JSON"):
        ops.retry(instance_id, ADMIN, "fix", variables={"lost": object()})

    ops.retry(instance_id, ADMIN, "the loss was entered as 0 by mistake", variables={"lost": 10})
    assert _instance(session_factory, instance_id).status == "running"
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["review"]
    assert ops.variables(instance_id)["ratio"] == 0.5
    [changed] = _audit(session_factory, instance_id, "instance.variable_set")
    assert changed.data == {"name": "lost", "existed": True, "old": 0, "new": 10}
    assert changed.reason == "the loss was entered as 0 by mistake"
    [retried] = _audit(session_factory, instance_id, "incident.retried")
    assert retried.actor == "admin"
    with session_factory() as s:
        [incident] = s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()
        assert incident.resolution == "retried" and incident.resolved_at is not None
    with pytest.raises(InvalidOperation, match="not in error"):
        ops.retry(instance_id, ADMIN, "again")


def test_an_uncaught_bpmn_error_has_nothing_to_retry_and_is_cancelled_instead(engine, ops, session_factory):
    xml = b.process("err", b.start(), b.user_task("check", due="P1D"), b.end("fail", error_code="NO_EVIDENCE"),
                    *b.chain("start", "check", "fail"), errors=["NO_EVIDENCE"])
    engine.deploy(xml)
    instance_id = engine.start("err")
    engine.complete(open_tasks(session_factory, instance_id)[0].id, OFFICER, {})
    with pytest.raises(InvalidOperation, match="no failed step"):
        ops.retry(instance_id, ADMIN, "try")
    ops.cancel(instance_id, ADMIN, "no evidence; closed by hand")
    assert _instance(session_factory, instance_id).status == "cancelled"
    with session_factory() as s:
        [incident] = s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()
        assert incident.resolution == "cancelled"


def test_edit_a_variable_is_audited_with_old_and_new_value_and_steers_the_process(engine, ops, session_factory):
    xml = b.process("route", b.start(), b.user_task("first", due="P1D"), b.gateway("gw", default="f_gw_low"),
                    b.user_task("high", due="P1D"), b.user_task("low", due="P1D"), b.end("e1"), b.end("e2"),
                    b.flow("start", "first"), b.flow("first", "gw"), b.flow("gw", "high", condition="grade == 'red'"),
                    b.flow("gw", "low", id="f_gw_low"), b.flow("high", "e1"), b.flow("low", "e2"))
    engine.deploy(xml)
    instance_id = engine.start("route", {"grade": "yellow"})
    ops.set_variable(instance_id, ADMIN, "grade", "red", "graded again by the office")
    ops.set_variable(instance_id, ADMIN, "amounts", {"lost": [1, 2.5]}, "new")
    assert ops.variables(instance_id)["grade"] == "red"
    first, second = _audit(session_factory, instance_id, "instance.variable_set")
    assert first.data == {"name": "grade", "existed": True, "old": "yellow", "new": "red"}
    assert first.reason == "graded again by the office" and first.actor == "admin"
    assert second.data == {"name": "amounts", "existed": False, "old": None, "new": {"lost": [1, 2.5]}}
    for bad in ("_secret", "1x", "a-b", ""):
        with pytest.raises(InvalidOperation, match="variable name"):
            ops.set_variable(instance_id, ADMIN, bad, 1, "bad")
    engine.complete(open_tasks(session_factory, instance_id)[0].id, OFFICER, {})
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["high"]


# -- migration -------------------------------------------------------------------------

def _v1():
    return b.process("mig", b.start(), b.user_task("a", "Step A", due="P1D", form_key="lead/verify"),
                     b.boundary_timer("remind_a", "a", value="PT4H", interrupting=False), b.end("reminded"),
                     b.user_task("b", due="P1D"), b.end(),
                     *b.chain("start", "a", "b", "end"), b.flow("remind_a", "reminded"))


def _v2():
    # b is gone; a leads to the new step c; a's name and form changed, its reminder did not.
    return b.process("mig", b.start(), b.user_task("a", "Step A (new)", due="P2D", form_key="lead/triage"),
                     b.boundary_timer("remind_a", "a", value="PT4H", interrupting=False), b.end("reminded"),
                     b.user_task("c", due="P1D"), b.end(),
                     *b.chain("start", "a", "c", "end"), b.flow("remind_a", "reminded"))


def test_migration_dry_run_says_which_instances_can_move_and_why_not(engine, ops, session_factory, clock):
    engine.deploy(_v1())
    at_a = engine.start("mig", business_key="A")
    at_b = engine.start("mig", business_key="B")
    engine.complete(open_tasks(session_factory, at_b)[0].id, OFFICER, {})
    paused = engine.start("mig", business_key="P")
    ops.suspend(paused, ADMIN, "pause")
    engine.deploy(_v2())

    plan = ops.plan_migration("mig", 1, 2)
    by_id = {record.instance_id: record for record in plan.instances}
    assert set(by_id) == {at_a, at_b, paused}
    assert by_id[at_a].can_migrate and by_id[at_a].current == ["a", "remind_a"]
    assert any("Step A (new)" in note for note in by_id[at_a].notes)
    assert not by_id[at_b].can_migrate
    assert by_id[at_b].reasons == ["its current step b does not exist in v2"]
    assert by_id[paused].can_migrate
    # Nothing was written.
    assert _instance(session_factory, at_a).definition.version == 1
    with pytest.raises(InvalidOperation, match="newer"):
        ops.plan_migration("mig", 2, 1)


def test_migrate_moves_instances_keeping_their_tasks_data_and_timers(engine, ops, session_factory, clock):
    engine.deploy(_v1())
    at_a = engine.start("mig", {"lead_id": 7}, business_key="A")
    at_b = engine.start("mig", business_key="B")
    engine.complete(open_tasks(session_factory, at_b)[0].id, OFFICER, {})
    paused = engine.start("mig", business_key="P")
    ops.suspend(paused, ADMIN, "pause")
    [task_a] = open_tasks(session_factory, at_a)
    [timer_a] = _timers(session_factory, at_a)
    clock.advance(hours=1)
    v2 = engine.deploy(_v2()).definition

    plan = ops.migrate("mig", 1, 2, ADMIN, "v2 replaces step b by step c")
    assert sorted(r.instance_id for r in plan.migrated) == [at_a, paused]
    assert [r.instance_id for r in plan.blocked] == [at_b]
    moved = _instance(session_factory, at_a)
    assert moved.definition_id == v2.id and moved.status == "running"
    assert _instance(session_factory, at_b).definition.version == 1
    # The open task keeps its row (same SpiffWorkflow task), takes the new name and form.
    [row] = open_tasks(session_factory, at_a)
    assert row.id == task_a.id and row.name == "Step A (new)" and row.form_key == "lead/triage"
    assert row.due_at == task_a.due_at
    # The reminder keeps its due time (its definition did not change).
    [timer] = _timers(session_factory, at_a, status="waiting")
    assert timer.id == timer_a.id and timer.due_at == timer_a.due_at
    [event] = _audit(session_factory, at_a, "instance.migrated")
    assert event.reason == "v2 replaces step b by step c" and event.definition_id == v2.id
    assert event.data["from_version"] == 1 and event.data["to_version"] == 2
    # The suspended one moved and stays suspended, its timer still parked.
    assert _instance(session_factory, paused).status == "suspended"
    assert _instance(session_factory, paused).definition_id == v2.id
    assert {t.status for t in _timers(session_factory, paused)} == {"suspended"}

    # It runs on v2: the reminder fires at its old time, and a leads to c.
    clock.advance(hours=3, minutes=1)
    assert engine.fire_due_timers() == 1
    assert ops.variables(at_a)["lead_id"] == 7
    engine.complete(row.id, OFFICER, {})
    assert [t.element_id for t in open_tasks(session_factory, at_a)] == ["c"]
    engine.complete(open_tasks(session_factory, at_a)[0].id, OFFICER, {})
    assert _instance(session_factory, at_a).status == "completed"


def test_an_instance_cannot_move_past_a_removed_step_it_went_through(engine, ops, session_factory):
    engine.deploy(_v1())
    instance_id = engine.start("mig")
    engine.complete(open_tasks(session_factory, instance_id)[0].id, OFFICER, {})  # now at b, a is history
    engine.deploy(b.process("mig", b.start(), b.user_task("b", due="P1D"), b.end(), *b.chain("start", "b", "end")))
    [record] = ops.plan_migration("mig", 1, 2).instances
    assert not record.can_migrate
    assert any("Step A (a), which it has passed through" in reason for reason in record.reasons)
    assert ops.migrate("mig", 1, 2, ADMIN, "try").migrated == []
    assert _instance(session_factory, instance_id).definition.version == 1


def test_a_changed_timer_restarts_on_migration_and_an_instance_in_error_does_not_move(
        engine, ops, session_factory, clock):
    engine.deploy(_v1())
    instance_id = engine.start("mig")
    engine.deploy(_failing_process())
    failing = engine.start("calc")
    [timer] = _timers(session_factory, instance_id)
    clock.advance(hours=1)
    v2 = _v2().replace(b'PT4H', b'PT8H')
    engine.deploy(v2)
    plan = ops.migrate("mig", 1, 2, ADMIN, "longer reminder")
    [record] = plan.migrated
    assert any("starts again" in note for note in record.notes)
    [new_timer] = _timers(session_factory, instance_id, status="waiting")
    assert new_timer.due_at == clock.now() + timedelta(hours=8)
    assert _timers(session_factory, instance_id)[0].status == "cancelled"

    engine.complete(open_tasks(session_factory, failing)[0].id, OFFICER, {"recovered": 1, "lost": 0})
    engine.deploy(_failing_process().replace(b"ratio = recovered / lost", b"ratio = 0"))
    [record] = ops.plan_migration("calc", 1, 2).instances
    assert record.reasons == ["it is in error: retry or cancel it first"]


# -- versions -----------------------------------------------------------------------

def test_rollback_deploys_the_old_xml_as_a_new_version_with_a_comment(engine, ops, session_factory):
    engine.deploy(_v1(), "mig.bpmn")
    engine.deploy(_v2(), "mig.bpmn")
    result = ops.rollback("mig", 1, ADMIN, "v2 confused the units")
    assert result.created and result.definition.version == 3
    with session_factory() as s:
        v1, v3 = (s.scalars(select(ProcessDefinition).where(ProcessDefinition.process_id == "mig",
                                                            ProcessDefinition.version == v)).one() for v in (1, 3))
        assert v3.source_xml == v1.source_xml and v3.checksum == v1.checksum
        assert v3.comment == "rollback to v1: v2 confused the units" and v3.deployed_by == "admin"
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "definition.rolled_back")).all()
        assert event.data["to_version"] == 1 and event.data["new_version"] == 3
    with pytest.raises(InvalidOperation, match="latest"):
        ops.rollback("mig", 3, ADMIN, "again")
    with pytest.raises(PermissionDenied):
        ops.rollback("mig", 1, SUPERVISOR, "no")


def test_rollback_refuses_a_version_that_no_longer_passes_the_checks(engine, ops):
    engine.deploy(b.sequential("seq", n=1, groups="old_unit", due="P1D"))
    engine.deploy(b.sequential("seq", n=2, groups="office", due="P1D"))
    with pytest.raises(BpmnValidationError, match="old_unit"):
        ops.rollback("seq", 1, ADMIN, "back", known_groups={"office"})


def test_deploy_checked_blocks_errors_and_unaccepted_warnings(engine, ops, session_factory):
    no_form = b.sequential("seq", n=1, due="P1D")  # a user task without a form key: a warning
    outcome = ops.deploy_checked(no_form, ADMIN, known_groups={"office"})
    assert outcome.result is None and [p.severity for p in outcome.problems] == ["warning"]
    outcome = ops.deploy_checked(no_form, ADMIN, "first", accept_warnings=True, known_groups={"office"})
    assert outcome.result.created and outcome.result.definition.comment == "first"
    assert outcome.result.definition.filename == "seq.bpmn"
    no_due = b.sequential("seq", n=2)
    outcome = ops.deploy_checked(no_due, ADMIN, accept_warnings=True, known_groups={"office"})
    assert outcome.result is None and "error" in {p.severity for p in outcome.problems}
    with session_factory() as s:
        assert s.scalars(select(ProcessDefinition.version)).all() == [1]
    with pytest.raises(PermissionDenied):
        ops.deploy_checked(no_form, SUPERVISOR, accept_warnings=True)


def test_task_rows_stay_right_after_migration(engine, ops, session_factory):
    engine.deploy(b.sequential("seq", n=2, due="P1D"))
    instance_id = engine.start("seq")
    engine.deploy(b.sequential("seq", n=3, due="P1D"))
    assert [r.instance_id for r in ops.migrate("seq", 1, 2, ADMIN, "three steps").migrated] == [instance_id]
    for expected in ("t1", "t2", "t3"):
        [task] = open_tasks(session_factory, instance_id)
        assert task.element_id == expected
        engine.complete(task.id, OFFICER, {})
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "completed"
        assert s.scalars(select(HumanTask.status).where(HumanTask.instance_id == instance_id)).all() == [
            "completed"] * 3


def test_diff_names_what_changed_by_element_id():
    from engine.bpmn.diff import diff_definitions
    old = b.process("d", b.start(), b.user_task("check", "核实", groups="market", due="P5WD"),
                    b.script_task("calc", "x = 1"), b.gateway("gw", default="f_gw_e1"),
                    b.timer_event("wait", value="P1D"), b.user_task("gone", due="P1D"), b.end("e1"), b.end("e2"),
                    *b.chain("start", "check", "calc", "gw"), b.flow("gw", "e1", id="f_gw_e1"),
                    b.flow("gw", "wait", condition="x > 1"), *b.chain("wait", "gone", "e2"))
    new = b.process("d", b.start(), b.user_task("check", "核实线索", groups="market,police", due="P5WD"),
                    b.script_task("calc", "x = 2"), b.gateway("gw", default="f_gw_e1"),
                    b.timer_event("wait", value="P2D"), b.user_task("added", due="P1D"), b.end("e1"), b.end("e2"),
                    *b.chain("start", "check", "calc", "gw"), b.flow("gw", "e1", id="f_gw_e1"),
                    b.flow("gw", "wait", condition="x > 2"), *b.chain("wait", "added", "e2"))
    result = diff_definitions(old, new)
    assert [e.element_id for e in result.added] == ["added", "f_wait_added", "f_added_e2"]
    assert [e.element_id for e in result.removed] == ["gone", "f_wait_gone", "f_gone_e2"]
    changed = {e.element_id: {c.field: (c.old, c.new) for c in e.changes} for e in result.changed}
    assert changed == {
        "check": {"name": ("核实", "核实线索"), "camunda:candidateGroups": ("market", "market,police")},
        "calc": {"script": ("x = 1", "x = 2")},
        "wait": {"timer timeDuration": ("P1D", "P2D")},
        "f_gw_wait": {"condition": ("x > 1", "x > 2")},
    }
    assert not result.layout_changed and diff_definitions(old, old).identical


def test_an_external_task_out_of_retries_is_retried_from_the_admin_page(engine, ops, session_factory):
    from engine.external_tasks import TopicRequest
    from engine.identity import SYSTEM
    engine.deploy(b.process("push_case", b.start(), '<bpmn:serviceTask id="push" camunda:type="external" '
                            'camunda:topic="report"/>', b.user_task("after", due="P1D"), b.end(),
                            *b.chain("start", "push", "after", "end")))
    instance_id = engine.start("push_case")
    [task] = engine.external.fetch_and_lock("w", 1, [TopicRequest("report", timedelta(seconds=30))])
    engine.external.handle_failure(task.row.id, "w", SYSTEM, "platform down", None, 0, timedelta(0))
    assert _instance(session_factory, instance_id).status == "error"
    ops.retry(instance_id, ADMIN, "platform back")
    assert _instance(session_factory, instance_id).status == "running"
    [task] = engine.external.fetch_and_lock("w", 1, [TopicRequest("report", timedelta(seconds=30))])
    engine.external.complete(task.row.id, "w", SYSTEM, {})
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["after"]
