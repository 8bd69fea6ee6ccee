"""An instance's state stored as one row per task, written only where a step changed it,
and workflows kept in memory between commands (engine.bpmn.stored_tasks, engine.workflow_cache)."""
import os
from contextlib import contextmanager
from uuid import UUID

import pytest
from sqlalchemy import select

from engine.errors import TaskNotReady
from engine.identity import Actor
from engine.runtime import Engine
from engine.store import state_rows
from engine.store.database import make_engine, make_session_factory, upgrade
from engine.store.models import InstanceTask, ProcessInstance
from tests import bpmn_builder as b
from tests.helpers import OFFICER, open_tasks

COLLEAGUE = Actor("zhang.office", groups=frozenset({"office"}), roles=frozenset({"officer"}))


def stored_rows(session_factory, instance_id) -> dict:
    with session_factory() as s:
        return {row.task_id: row.body for row in s.scalars(
            select(InstanceTask).where(InstanceTask.instance_id == instance_id))}


def data_of_open_task(engine, session_factory, instance_id) -> dict:
    """The data the open task sees, as a process that never ran this instance would load it."""
    fresh = Engine(session_factory, node_id="fresh")
    [task] = open_tasks(session_factory, instance_id)
    with session_factory() as s:
        _instance, workflow = fresh.load_workflow(s, instance_id)
        return dict(workflow.get_task_from_id(UUID(task.spiff_task_id)).data)


def test_a_step_of_a_long_case_rewrites_only_the_tasks_it_changed(engine, session_factory):
    engine.deploy(b.sequential("long", n=40))
    instance_id = engine.start("long", {}, OFFICER)
    for step in range(20):
        [task] = open_tasks(session_factory, instance_id)
        before = stored_rows(session_factory, instance_id)
        engine.complete(task.id, OFFICER, {f"field_{step}": step})
    after = stored_rows(session_factory, instance_id)
    changed = {task_id for task_id, body in after.items() if before.get(task_id) != body}
    # The task completed, the one now ready, and the next one's stored difference from it.
    assert len(after) > 40 and len(changed) <= 4
    assert data_of_open_task(engine, session_factory, instance_id)["field_19"] == 19


def data_after_a_script_between_two_steps(engine, session_factory, first_script, second_script) -> dict:
    """first_script, step one, second_script, step two: step one completed, the data step two sees on a reload."""
    engine.deploy(b.process(
        "scripted", b.start(), b.script_task("before", first_script), b.user_task("one"),
        b.script_task("between", second_script), b.user_task("two"), b.end(),
        *b.chain("start", "before", "one", "between", "two", "end")))
    instance_id = engine.start("scripted", {}, OFFICER)
    [one] = open_tasks(session_factory, instance_id)
    engine.complete(one.id, OFFICER, {})
    return data_of_open_task(engine, session_factory, instance_id)


def test_nested_data_changed_in_place_by_a_later_script_survives_a_reload(engine, session_factory):
    # SpiffWorkflow copies data one level deep: the append below also changes the list in the
    # finished tasks before it, and the first script's task is the one that stores it.
    data = data_after_a_script_between_two_steps(engine, session_factory, "info = {'tags': ['a']}",
                                                 "info['tags'].append('b')")
    assert data["info"] == {"tags": ["a", "b"]}


def test_values_read_back_the_same_whether_the_workflow_was_kept_in_memory_or_reloaded(engine, session_factory):
    # JSON has no tuples or sets and only string keys: the kept workflow must see what a reload sees.
    data = data_after_a_script_between_two_steps(engine, session_factory, "pair = (1, 2)\nkeyed = {1: 'one'}",
                                                 "kinds = [pair + [3], list(keyed)[0]]")
    assert engine.workflows.hits >= 1
    assert data["kinds"] == [[1, 2, 3], "1"]


def test_a_kept_workflow_is_not_used_after_another_process_moved_the_case_on(engine, session_factory):
    engine.deploy(b.sequential("shared", n=3))
    instance_id = engine.start("shared", {}, OFFICER)
    other = Engine(session_factory, node_id="other-process")
    [t1] = open_tasks(session_factory, instance_id)
    other.complete(t1.id, OFFICER, {"by_other": True})
    [t2] = open_tasks(session_factory, instance_id)
    engine.complete(t2.id, OFFICER, {"by_first": True})  # its kept workflow is a step behind
    data = data_of_open_task(engine, session_factory, instance_id)
    assert data["by_other"] is True and data["by_first"] is True


def test_a_failed_command_leaves_neither_rows_nor_a_kept_workflow_behind(engine, session_factory, monkeypatch):
    engine.deploy(b.sequential("fails", n=2))
    instance_id = engine.start("fails", {}, OFFICER)
    [t1] = open_tasks(session_factory, instance_id)
    rows_before = stored_rows(session_factory, instance_id)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(state_rows, "write", broken)
    with pytest.raises(RuntimeError):
        engine.complete(t1.id, OFFICER, {"lost": True})
    monkeypatch.undo()
    assert stored_rows(session_factory, instance_id) == rows_before
    [again] = open_tasks(session_factory, instance_id)
    assert again.id == t1.id
    engine.complete(t1.id, OFFICER, {"kept": True})
    data = data_of_open_task(engine, session_factory, instance_id)
    assert data.get("kept") is True and "lost" not in data


@contextmanager
def _fresh_database():
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgresql"):
        from tests.conftest import _throwaway_postgres_database
        with _throwaway_postgres_database(url) as throwaway:
            yield throwaway
    else:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/migrate.sqlite"


def test_migration_0003_moves_stored_instances_to_task_rows_and_back(clock):
    from alembic import command

    from engine.store.database import alembic_config

    with _fresh_database() as url:
        upgrade(url)
        db = make_engine(url)
        try:
            sessions = make_session_factory(db)
            engine = Engine(sessions, node_id="before")
            engine.deploy(b.sequential("old", n=3))
            instance_id = engine.start("old", {"lead": "XS-1"}, OFFICER)
            [t1] = open_tasks(sessions, instance_id)
            engine.complete(t1.id, OFFICER, {"step": 1})

            command.downgrade(alembic_config(url), "0002")
            with db.connect() as connection:
                state = connection.scalar(select(ProcessInstance.state_json))
            assert '"tasks"' in state and '"format":"duban-1"' in state

            command.upgrade(alembic_config(url), "head")
            with db.connect() as connection:
                assert len(state_rows.read(connection, instance_id)[2]) > 3
            after = Engine(sessions, node_id="after")
            [t2] = open_tasks(sessions, instance_id)
            after.complete(t2.id, OFFICER, {"step": 2})
            [t3] = open_tasks(sessions, instance_id)
            with sessions() as s:
                _instance, workflow = after.load_workflow(s, instance_id)
                data = workflow.get_task_from_id(UUID(t3.spiff_task_id)).data
            assert data["lead"] == "XS-1" and data["step"] == 2
        finally:
            db.dispose()


def test_how_many_workflows_a_process_keeps_comes_from_the_environment(session_factory, clock, monkeypatch):
    monkeypatch.setenv("DUBAN_WORKFLOW_CACHE", "0")
    engine = Engine(session_factory, node_id="no-cache")
    engine.deploy(b.sequential("uncached", n=2))
    instance_id = engine.start("uncached", {}, OFFICER)
    [t1] = open_tasks(session_factory, instance_id)
    engine.complete(t1.id, OFFICER, {"n": 1})
    assert engine.workflows.hits == 0 and data_of_open_task(engine, session_factory, instance_id)["n"] == 1
    monkeypatch.setenv("DUBAN_WORKFLOW_CACHE", "lots")
    with pytest.raises(ValueError, match="DUBAN_WORKFLOW_CACHE must be a whole number"):
        Engine(session_factory)


def test_a_case_completed_elsewhere_between_reading_the_task_and_its_case_is_reported_as_such(
        session_factory, clock, monkeypatch):
    # This process keeps no workflows, so it reads the case's rows after another process
    # committed: it must not mix the task row it read before with the case's newer rows.
    engine = Engine(session_factory, node_id="here", workflow_cache_size=0)
    elsewhere = Engine(session_factory, node_id="elsewhere")
    engine.deploy(b.sequential("meanwhile", n=2))
    instance_id = engine.start("meanwhile", {}, OFFICER)
    [t1] = open_tasks(session_factory, instance_id)
    read_task = engine._task_and_cosigners

    def then_someone_else_completes_it(session, task_id):
        found = read_task(session, task_id)
        monkeypatch.setattr(engine, "_task_and_cosigners", read_task)
        elsewhere.complete(task_id, COLLEAGUE, {"by": "elsewhere"})
        return found

    monkeypatch.setattr(engine, "_task_and_cosigners", then_someone_else_completes_it)
    with pytest.raises(TaskNotReady, match=f"completed \\(by {COLLEAGUE.username}\\)"):
        engine.complete(t1.id, OFFICER, {"by": "here"})
    assert data_of_open_task(engine, session_factory, instance_id)["by"] == "elsewhere"
