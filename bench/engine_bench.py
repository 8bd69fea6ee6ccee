"""Engine throughput: user-task processes run start to finish.

Compares Duban's engine (persistence on a SQLite file or PostgreSQL, task/timer
sync, audit) with bare SpiffWorkflow doing the same steps in memory,
serializing and deserializing the workflow (its stock JSON serializer) at
every step. Runs 5, 50 and 200 user tasks per instance: the engine's per-step
cost should stay flat as instances grow.

    python bench/engine_bench.py               # 300 x 5, 40 x 50, 10 x 200 steps
    python bench/engine_bench.py --quick       # 30 x 5, 4 x 50, 1 x 200
    python bench/engine_bench.py --steps 5     # one size only
    python bench/engine_bench.py --no-cache    # no workflows kept in memory: every step reads its rows
    DATABASE_URL=postgresql+psycopg://... python bench/engine_bench.py

Prints instances/s and ms per step for both at each size, the growth of the
engine's per-step cost from 5 to 200 steps, and last the ratio of per-step
costs at 5 steps (issue 2's figure: goal at most 2x).
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import select  # noqa: E402

from engine.bpmn.loader import load_definition  # noqa: E402
from engine.bpmn.script_engine import DubanScriptEngine  # noqa: E402
from engine.identity import Actor  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from engine.store.database import make_engine, make_session_factory, upgrade  # noqa: E402
from engine.store.models import HumanTask  # noqa: E402
from tests.bpmn_builder import sequential  # noqa: E402

OFFICER = Actor("bench.officer", groups=frozenset({"office"}))


def run_engine(xml: bytes, instances: int, steps: int, url: str, keep_workflows: bool = True) -> float:
    upgrade(url)
    db = make_engine(url)
    sessions = make_session_factory(db)
    # Workflows kept in memory between steps (engine.workflow_cache), or read back every step.
    engine = Engine(sessions, node_id="bench", workflow_cache_size=256 if keep_workflows else 0)
    engine.deploy(xml)
    began = time.perf_counter()
    for _ in range(instances):
        instance_id = engine.start("bench", {"amount": 1})
        with db.connect() as connection:  # an officer finds the first task in the inbox ...
            opened = [connection.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                                   HumanTask.status == "open"))]
        for step in range(steps):
            # ... and each completion hands back the next step.
            opened = engine.complete(opened[0], OFFICER, {f"field_{step}": "值"})
    elapsed = time.perf_counter() - began
    db.dispose()
    return elapsed


def run_bare(xml: bytes, instances: int, steps: int) -> float:
    parsed = load_definition(xml, "bench.bpmn")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    script_engine = DubanScriptEngine()
    began = time.perf_counter()
    for _ in range(instances):
        workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=script_engine)
        workflow.task_tree.data["amount"] = 1
        workflow.do_engine_steps()
        state = serializer.serialize_json(workflow)
        for step in range(steps):
            workflow = serializer.deserialize_json(state)
            workflow.script_engine = script_engine
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            task.data[f"field_{step}"] = "值"
            task.run()
            workflow.do_engine_steps()
            state = serializer.serialize_json(workflow)
    return time.perf_counter() - began


SIZES = {5: 300, 50: 40, 200: 10}  # steps per instance: instances


def measure(steps: int, instances: int, keep_workflows: bool = True) -> tuple[float, float]:
    """(engine, bare) milliseconds per step; the start counts as a step."""
    xml = sequential("bench", n=steps)
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite"
        if url.startswith("postgresql"):
            from bench_support import reset_postgres
            reset_postgres(url)
        engine_s = run_engine(xml, instances, steps, url, keep_workflows)
    bare_s = run_bare(xml, instances, steps)
    total = instances * (steps + 1)
    print(f"{steps:4} steps x {instances:4}  engine {instances / engine_s:8.1f} inst/s {engine_s / total * 1000:6.2f} ms/step"
          f"   bare {instances / bare_s:8.1f} inst/s {bare_s / total * 1000:6.2f} ms/step"
          f"   ratio {engine_s / bare_s:5.2f}", flush=True)
    return engine_s / total * 1000, bare_s / total * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small run (a tenth of the instances)")
    parser.add_argument("--instances", type=int, default=None)
    parser.add_argument("--steps", type=int, action="append", help="user tasks per instance (repeatable)")
    parser.add_argument("--no-cache", action="store_true",
                        help="read every step's workflow back from the database (no workflows kept in memory)")
    args = parser.parse_args()
    sizes = {steps: SIZES.get(steps, 10) for steps in (args.steps or SIZES)}
    if args.quick:
        sizes = {steps: max(1, n // 10) for steps, n in sizes.items()}
    if args.instances:
        sizes = {steps: args.instances for steps in sizes}
    url = os.environ.get("DATABASE_URL") or "sqlite (file)"
    print(f"database {url.split(':')[0]}" + (", workflows read back every step" if args.no_cache else ""))
    results = {steps: measure(steps, n, not args.no_cache) for steps, n in sizes.items()}
    smallest, largest = min(results), max(results)
    if largest != smallest:
        growth = results[largest][0] / results[smallest][0]
        print(f"engine per-step cost at {largest} steps vs {smallest}: {growth:.2f}x "
              f"(bare SpiffWorkflow: {results[largest][1] / results[smallest][1]:.2f}x)")
    engine_ms, bare_ms = results[smallest]
    print(f"ratio {engine_ms / bare_ms:.2f}")


if __name__ == "__main__":
    main()
