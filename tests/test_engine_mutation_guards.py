"""Guards that hand-made mutations of the code showed no test was watching (issue 14). Each test
makes its race or its moment happen deterministically (a hook between a command's read and its
write, the manual clock), so removing the guard fails it every time:

- a command whose write finds the case changed by another commit (SQLAlchemy's StaleDataError)
  is a conflict (409, "someone else changed this"), never a 500, and a completion tries again;
- a task with no candidate group (转办 to one person) is visible to that person, not to everyone;
- timers and escalation steps are claimed only once due, so an early sweep leaves them be;
- of two claims that read the same unclaimed task, exactly one wins (the claim's compare-and-set).
"""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import flag_modified

from engine.errors import ConflictError, PermissionDenied, StaleInstance
from engine.escalation import Escalator
from engine.identity import SYSTEM, Actor
from engine.operations import TaskOperations
from engine.scheduler import DubanScheduler
from engine.store.models import AuditEvent, HumanTask, ProcessInstance, Timer
from engine.store.supervision_models import EscalationStep
from tests import bpmn_builder as b
from tests import unit_world
from tests.conftest import csrf_token, login
from tests.helpers import open_tasks

LI = Actor("li.market", groups=frozenset({"market"}), roles=frozenset({"officer"}))
CHEN = Actor("chen.market", groups=frozenset({"market"}), roles=frozenset({"officer"}))
MARKET_OFFICER = Actor("market.officer", groups=frozenset({"market"}), roles=frozenset({"officer"}))


def two_steps(engine, due=None):
    engine.deploy(b.process("two", b.start(), b.user_task("verify", "核实", groups="market", due=due),
                            b.user_task("review", "审核", groups="market"), b.end(),
                            *b.chain("start", "verify", "review", "end")))
    instance_id = engine.start("two")
    return instance_id, open_tasks(engine.session_factory, instance_id)[0].id


def after_first_read(monkeypatch, engine, name, rival):
    """Run `rival()` (another command, committed) once, right after the first call of `engine.name`
    has read the task or case: the command that called it then writes on stale data."""
    original = getattr(engine, name)
    done = []

    def read_then_rival(*args):
        result = original(*args)
        if not done:
            done.append(True)
            rival(*args)
        return result

    monkeypatch.setattr(engine, name, read_then_rival)
    return done


def versions(session_factory, instance_id):
    with session_factory() as session:
        return session.scalar(select(ProcessInstance.lock_version).where(ProcessInstance.id == instance_id))


def count_events(session_factory, action, task_id):
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.task_id == task_id))


# -- StaleDataError is a conflict ---------------------------------------------------------------------

def test_a_transfer_racing_a_draft_save_is_a_conflict_and_changes_nothing(engine, session_factory, monkeypatch,
                                                                           clock):
    instance_id, task_id = two_steps(engine)
    ops = TaskOperations(engine)

    def draft_a_moment_later(*_):
        clock.advance(seconds=1)  # a real clock moves on: the transfer then writes a new time to the case row
        ops.save_draft(task_id, LI, {"note": "写了一半"})

    after_first_read(monkeypatch, engine, "_task_for_update", draft_a_moment_later)
    with pytest.raises(StaleInstance):  # a ConflictError: the pages say 他人同时修改了此案件
        engine.transfer(task_id, SYSTEM, "转派出所办理", to_groups=["police"])
    with session_factory() as session:
        task = session.get(HumanTask, task_id)
        assert task.candidate_groups == "market" and task.draft == {"note": "写了一半"}
    assert count_events(session_factory, "task.transferred", task_id) == 0


@pytest.mark.parametrize("operation", ["transfer", "save_draft"])
def test_task_operations_racing_another_commit_are_conflicts(engine, session_factory, monkeypatch, operation):
    instance_id, task_id = two_steps(engine)
    ops = TaskOperations(engine)
    before = versions(session_factory, instance_id)
    after_first_read(monkeypatch, engine, "_task_for_update",
                     lambda *_: ops.save_draft(task_id, CHEN, {"note": "先到"}))
    call = {"transfer": lambda: ops.transfer(task_id, SYSTEM, "改由公安办理", to_groups=["police"]),
            "save_draft": lambda: ops.save_draft(task_id, LI, {"note": "后到"})}[operation]
    with pytest.raises(ConflictError):
        call()
    with session_factory() as session:
        task = session.get(HumanTask, task_id)
        assert (task.draft, task.candidate_groups) == ({"note": "先到"}, "market")
    assert versions(session_factory, instance_id) == before + 1  # only the rival's commit


def test_a_completion_whose_write_finds_the_case_changed_is_tried_again(engine, session_factory, monkeypatch):
    """The first attempt reads the case; another command commits; the attempt's write of the case
    row then matches no row (StaleDataError at flush). The completion is tried again and succeeds."""
    instance_id, task_id = two_steps(engine)
    rival_commits = []

    def rival(ctx, loaded_id):
        with session_factory() as other, other.begin():  # another process moves the case on
            other.execute(update(ProcessInstance).where(ProcessInstance.id == loaded_id)
                          .values(lock_version=ProcessInstance.lock_version + 1))
        rival_commits.append(loaded_id)
        instance = ctx.session.get(ProcessInstance, loaded_id)
        instance.updated_at = ctx.now  # this attempt writes the case row through the ORM
        flag_modified(instance, "updated_at")

    after_first_read(monkeypatch, engine, "_load", rival)
    [next_task] = engine.complete(task_id, LI, {"verified": True})
    assert rival_commits == [instance_id]
    with session_factory() as session:
        assert session.get(HumanTask, task_id).status == "completed"
        assert session.get(HumanTask, next_task).element_id == "review"
    assert count_events(session_factory, "task.completed", task_id) == 1


def test_a_transfer_racing_another_commit_answers_the_page_with_a_conflict_not_500(app, session_factory,
                                                                                    monkeypatch):
    world = unit_world.build(app, session_factory, cases=1)
    [task_id] = world.tasks
    ops = TaskOperations(world.engine)
    after_first_read(monkeypatch, world.engine, "_task_for_update",
                     lambda *_: ops.save_draft(task_id, MARKET_OFFICER, {"note": "写了一半"}))
    client = app.test_client()
    login(client, "office.supervisor")
    response = client.post(f"/tasks/{task_id}/transfer", data={"to_unit": "police", "reason": "涉嫌犯罪，转派出所",
                                                               "csrf_token": csrf_token(client)},
                           follow_redirects=True)
    assert response.status_code == 200 and "他人已先行处理：他人同时修改了此案件" in response.text
    with session_factory() as session:
        assert session.get(HumanTask, task_id).candidate_groups == "market"


# -- a task with no candidate group ---------------------------------------------------------------------

def test_a_task_transferred_to_one_person_is_not_visible_to_everyone(app, session_factory):
    world = unit_world.build(app, session_factory, cases=1)
    [task_id] = world.tasks
    world.engine.transfer(task_id, SYSTEM, "指定市场监管所专人办理", to_user="market.officer")
    with session_factory() as session:
        task = session.get(HumanTask, task_id)
        assert (task.candidate_groups, task.assignee) == ("", "market.officer")
    client = app.test_client()
    for username, status in (("market.officer", 200), ("police.officer", 404), ("police.supervisor", 404),
                             ("community_tangshi.officer", 404), ("office.officer", 200)):
        login(client, username)
        assert client.get(f"/tasks/{task_id}").status_code == status, username
        assert client.get(f"/api/v1/tasks/{task_id}").status_code == status, username
        if status == 404:
            assert f"/tasks/{task_id}" not in client.get("/inbox/").text, username
        client.post("/logout", data={"csrf_token": csrf_token(client)})


# -- nothing is claimed before it is due -------------------------------------------------------------------

def test_a_sweep_just_before_a_timer_is_due_leaves_it_to_fire_on_time(engine, session_factory, clock):
    engine.deploy(b.process("wait", b.start(), b.timer_event("cool_off", value="PT1H"), b.user_task("after"),
                            b.end(), *b.chain("start", "cool_off", "after", "end")))
    instance_id = engine.start("wait")
    with session_factory() as session:
        due = session.scalar(select(Timer.due_at).where(Timer.instance_id == instance_id))
    scheduler = DubanScheduler(engine, schema_ready=lambda: True)
    clock.set(due - timedelta(seconds=1))
    assert scheduler.tick() == {"timers": 0}
    with session_factory() as session:
        timer = session.scalar(select(Timer).where(Timer.instance_id == instance_id))
        assert (timer.status, timer.locked_by, timer.attempts) == ("waiting", None, 0)  # not even claimed
    clock.set(due + timedelta(seconds=1))  # within the lease an early claim would have taken
    assert scheduler.tick() == {"timers": 1}
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["after"]


def test_a_sweep_just_before_an_escalation_step_is_due_performs_nothing(engine, session_factory, clock):
    told = []
    escalator = Escalator(engine, notify=lambda session, key, kind, users, context, link=None: told.append(kind))
    _instance_id, task_id = two_steps(engine, due="PT10H")
    with session_factory() as session:
        first = session.scalars(select(EscalationStep).where(EscalationStep.task_id == task_id)
                                .order_by(EscalationStep.due_at)).first()
    scheduler = DubanScheduler(engine, escalator, schema_ready=lambda: True)
    clock.set(first.due_at - timedelta(seconds=1))
    assert scheduler.tick() == {"timers": 0, "escalations": 0}
    assert told == []
    with session_factory() as session:
        step = session.get(EscalationStep, first.id)
        assert (step.status, step.locked_by) == ("waiting", None)
    clock.set(first.due_at)
    assert scheduler.tick()["escalations"] == 1


# -- two claims of one task -------------------------------------------------------------------------------------

def test_of_two_claims_that_read_the_same_unclaimed_task_only_one_wins(engine, session_factory, monkeypatch):
    _instance_id, task_id = two_steps(engine)
    after_first_read(monkeypatch, engine, "_task_for_update", lambda *_: engine.claim(task_id, CHEN))
    with pytest.raises(ConflictError, match="claimed by someone else"):
        engine.claim(task_id, LI)  # read the task unclaimed; CHEN claimed it before LI's write
    with session_factory() as session:
        assert session.get(HumanTask, task_id).assignee == "chen.market"
    assert count_events(session_factory, "task.claimed", task_id) == 1
    with pytest.raises(PermissionDenied):  # the loser does not hold the task
        engine.complete(task_id, LI, {})
