"""Scripts run in isolated worker processes: work done inside C functions, memory and the size of what
a script stores are bounded by the operating system and the worker, never by the script's good will.

Each case is one the attack on Duban found getting through the in-process sandbox (issue 14): a
deployed process whose script runs it now stops with an incident within the limit, and the app's
other users are not held up meanwhile.
"""
import threading
import time

import pytest
from sqlalchemy import func, select

from engine.bpmn import bounded, isolation, sandbox
from engine.errors import ConflictError, ScriptLimitExceeded
from engine.store.models import HumanTask, Incident, InstanceTask, ProcessInstance
from tests import bpmn_builder as b

LIMIT = sandbox.MAX_SECONDS + isolation.GRACE_SECONDS + 1.5  # the limit, plus start-up of a fresh worker

# script, what the incident says; each got through before (issue 14, hole 2)
RUNAWAYS = [
    pytest.param("n = sum(map(sum, [range(1000000)] * 1000))", "longer than", id="C-loop-14s"),
    pytest.param("s = 'x' * 1000000\n" + "s = s + s\n" * 9, "memory", id="doubling-512MB"),
    pytest.param("x = [0] * 1000000\n" + "x.extend(x)\n" * 4, "larger than", id="extend-16M-items"),
    pytest.param("y = [[0] * 1000000] * 10", "larger than", id="20MB-task-row"),
]


def _process(process_id, script):
    return b.process(process_id, b.start(), b.script_task("work", script), b.user_task("after"), b.end(),
                     *b.chain("start", "work", "after", "end"))


def _outcome(session_factory, instance_id):
    with session_factory() as s:
        incidents = s.execute(select(Incident.element_id, Incident.message)
                              .where(Incident.instance_id == instance_id)).all()
        biggest_row = s.scalar(select(func.max(func.length(InstanceTask.body)))
                               .where(InstanceTask.instance_id == instance_id))
        return (s.get(ProcessInstance, instance_id).status, [tuple(i) for i in incidents], biggest_row,
                s.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == instance_id)).all())


@pytest.mark.parametrize("script, reason", RUNAWAYS)
def test_a_runaway_script_becomes_an_incident_within_its_limit(engine, session_factory, script, reason):
    engine.deploy(_process("runaway", script), "runaway.bpmn")
    began = time.monotonic()
    instance_id = engine.start("runaway", {"grade": "red"})
    took = time.monotonic() - began
    status, incidents, biggest_row, tasks = _outcome(session_factory, instance_id)
    assert took < LIMIT
    assert status == "error" and tasks == []
    [(element, message)] = incidents
    assert element == "work" and reason in message
    assert (biggest_row or 0) < isolation.MAX_RESULT_BYTES  # nothing huge was stored


def test_other_work_goes_on_while_a_script_runs_away(engine, session_factory):
    """The runaway's worker is another process: the app's threads keep reading cases and running
    other scripts meanwhile (before, `/inbox/` took 11.7 s while one script ran)."""
    engine.deploy(_process("runaway", RUNAWAYS[0].values[0]), "runaway.bpmn")
    runaway = threading.Thread(target=engine.start, args=("runaway", {}))
    runaway.start()
    time.sleep(0.3)  # the runaway is busy in its worker by now
    began = time.monotonic()
    with session_factory() as s:
        open_tasks = s.scalar(select(func.count(HumanTask.id)).where(HumanTask.status == "open"))
    context = {"people": 30}
    isolation.execute("level = 'red' if people > 20 else 'yellow'", context)
    took = time.monotonic() - began
    still_running = runaway.is_alive()
    runaway.join()
    assert still_running, "the runaway should still be running when the other work finished"
    assert took < 1.0 and open_tasks == 0 and context["level"] == "red"


def test_scripts_still_call_the_engines_functions_and_write_task_data(engine, session_factory):
    """Service functions run back in the app's process; what the script sets reaches the next step."""
    engine.deploy(_process("dated", "due = workdays_after(3)\nlabel = '反馈期限：' + local_time(due)\n"
                                    "del grade"), "dated.bpmn")
    instance_id = engine.start("dated", {"grade": "red"})
    with session_factory() as s:
        _instance, workflow = engine.load_workflow(s, instance_id)
        [data] = [t.data for t in workflow.get_tasks() if t.task_spec.name == "after"]
    assert data["due"].startswith("2026-03-05") and data["label"].startswith("反馈期限：2026-03-05")
    assert "grade" not in data


def test_an_error_raised_by_an_engine_function_keeps_its_type():
    """A conflict raised by a service must reach the engine as itself, so the command is retried."""
    def save(**_):
        raise ConflictError("changed meanwhile")

    with pytest.raises(ConflictError):
        isolation.execute("save(status='closed')", {}, {"save": save})


def test_a_script_may_catch_an_engine_functions_error_by_name():
    def lookup(key):
        raise KeyError(key)

    context = {}
    isolation.execute("try:\n    x = lookup('a')\nexcept KeyError:\n    x = 'missing'", context, {"lookup": lookup})
    assert context["x"] == "missing"


def test_a_worker_that_ran_out_of_memory_is_replaced():
    with pytest.raises(ScriptLimitExceeded):
        isolation.execute(RUNAWAYS[1].values[0], {})
    context = {"people": 12}
    isolation.execute("big = people > 10", context)
    assert context["big"] is True


def test_simple_expressions_run_in_process_and_loops_do_not():
    """Gateway conditions and due dates skip the worker; anything that can loop or grow does not."""
    trusted = frozenset({"workdays_after"})
    assert bounded.is_bounded_expression("outcome == 'verified' and people > 10", trusted)
    assert bounded.is_bounded_expression("workdays_after(feedback_days or 15)", trusted)
    assert bounded.is_bounded_expression("'重大线索：' + str(reason)", trusted)
    for expression in ("sum(map(sum, [range(1000000)] * 1000))", "x * 1000000", "[i for i in items]",
                       "max(items)", "s.join(items)", "f'{x:>1000000}'", "round(10, -10 ** 9)",
                       "unknown_function(1)"):
        assert not bounded.is_bounded_expression(expression, trusted), expression
    with pytest.raises(ScriptLimitExceeded):
        isolation.evaluate("sum(map(sum, [range(1000000)] * 1000)) > 0", {})
