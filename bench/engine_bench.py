"""Engine throughput: a 5-user-task process run start to finish.

Compares Duban's engine (persistence on a SQLite file, task/timer sync, audit)
with bare SpiffWorkflow doing the same steps in memory, serializing and
deserializing the workflow (its stock JSON serializer) at every step.

    python bench/engine_bench.py            # 300 instances, 5 steps each
    python bench/engine_bench.py --quick    # 30 instances
    python bench/engine_bench.py --steps 50 # per-step cost at longer instances
    DATABASE_URL=postgresql+psycopg://... python bench/engine_bench.py

Prints instances per second for both and, last, the ratio of per-step costs.
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


def run_engine(xml: bytes, instances: int, steps: int, url: str) -> float:
    upgrade(url)
    db = make_engine(url)
    sessions = make_session_factory(db)
    engine = Engine(sessions, node_id="bench")
    engine.deploy(xml)
    began = time.perf_counter()
    for _ in range(instances):
        instance_id = engine.start("bench", {"amount": 1})
        with sessions() as s:  # an officer finds the first task in the inbox ...
            opened = [s.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small run (30 instances)")
    parser.add_argument("--instances", type=int, default=None)
    parser.add_argument("--steps", type=int, default=5, help="user tasks per instance")
    args = parser.parse_args()
    instances = args.instances or (30 if args.quick else 300)
    xml = sequential("bench", n=args.steps)
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite"
        if url.startswith("postgresql"):
            from bench_support import reset_postgres
            reset_postgres(url)
        engine_s = run_engine(xml, instances, args.steps, url)
    bare_s = run_bare(xml, instances, args.steps)
    steps = instances * (args.steps + 1)  # the start counts as a step
    print(f"database            {url.split(':')[0]}")
    print(f"instances           {instances} x {args.steps} user tasks")
    print(f"engine              {instances / engine_s:8.1f} instances/s   {engine_s / steps * 1000:6.2f} ms/step")
    print(f"bare SpiffWorkflow  {instances / bare_s:8.1f} instances/s   {bare_s / steps * 1000:6.2f} ms/step")
    print(f"ratio {engine_s / bare_s:.2f}")


if __name__ == "__main__":
    main()
