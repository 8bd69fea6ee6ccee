"""What isolating BPMN scripts costs: one script task and one gateway condition, before and after.

"Before" runs scripts in the app's own process, as Duban did until issue 14
(engine.bpmn.isolation.in_process); "after" is what the app does now: scripts
in an isolated worker process (a round trip over a socket, plus one for each
engine function the script calls), simple conditions still in-process
(engine.bpmn.bounded). Both run in the same process, on the same database,
alternating in rounds so that a noisy machine hits both alike.

Each figure is the cost of starting an instance whose first step is the
script task (or the gateway), minus the cost of starting one whose first step
is the user task alone. The script is shaped like the campaign's dispatch
step: it computes a deadline with an engine function and builds a label.

    python bench/script_bench.py            # 400 starts per variant and mode
    python bench/script_bench.py --quick    # 40
    DATABASE_URL=postgresql+psycopg://... python bench/script_bench.py

Prints both costs for each, and last the headline: the script task's cost isolated.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.bpmn import isolation  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from engine.store.database import make_engine, make_session_factory, upgrade  # noqa: E402
from tests import bpmn_builder as b  # noqa: E402

SCRIPT = "due = workdays_after(feedback_days or 15)\nlabel = '反馈期限：' + local_time(due)\nrouted = True"
CONDITION = "grade == 'red' or people > 100"


def _variants() -> dict[str, bytes]:
    plain = b.process("plain", b.start(), b.user_task("verify"), b.end(), *b.chain("start", "verify", "end"))
    scripted = b.process("scripted", b.start(), b.script_task("dispatch", SCRIPT), b.user_task("verify"), b.end(),
                         *b.chain("start", "dispatch", "verify", "end"))
    gated = b.process("gated", b.start(), b.gateway("grade_gw", default="to_normal"), b.user_task("urgent"),
                      b.user_task("verify"), b.end(), b.end("end2"),
                      b.flow("start", "grade_gw"), b.flow("grade_gw", "urgent", condition=CONDITION),
                      b.flow("grade_gw", "verify", id="to_normal"), b.flow("urgent", "end"),
                      b.flow("verify", "end2"))
    return {"plain": plain, "scripted": scripted, "gated": gated}


def _time_starts(engine: Engine, process_id: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        began = time.perf_counter()
        engine.start(process_id, {"feedback_days": 15, "grade": "yellow", "people": 12})
        times.append(time.perf_counter() - began)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small run (40 starts per variant and mode)")
    parser.add_argument("--starts", type=int, default=None)
    args = parser.parse_args()
    starts = args.starts or (40 if args.quick else 400)
    rounds = 4
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite"
        if url.startswith("postgresql"):
            from bench_support import reset_postgres
            reset_postgres(url)
        upgrade(url)
        db = make_engine(url)
        engine = Engine(make_session_factory(db), node_id="bench")
        for name, xml in _variants().items():
            engine.deploy(xml, f"{name}.bpmn")
        times = {(mode, name): [] for mode in ("in-process", "isolated") for name in ("plain", "scripted", "gated")}
        for name in ("plain", "scripted", "gated"):  # warm up: compiled scripts, a worker started
            _time_starts(engine, name, 3)
        for _ in range(rounds):
            for mode in ("in-process", "isolated"):
                for name in ("plain", "scripted", "gated"):
                    if mode == "in-process":
                        with isolation.in_process():
                            times[(mode, name)] += _time_starts(engine, name, starts // rounds)
                    else:
                        times[(mode, name)] += _time_starts(engine, name, starts // rounds)
        db.dispose()
    isolation.shutdown()

    def ms(mode, name):
        return statistics.median(times[(mode, name)]) * 1000

    print(f"{starts} starts per variant and mode, medians, on {url.split(':')[0]}")
    for mode in ("in-process", "isolated"):
        print(f"  {mode:10}  start with user task {ms(mode, 'plain'):6.2f} ms"
              f"  with script task first {ms(mode, 'scripted'):6.2f} ms"
              f"  with gateway first {ms(mode, 'gated'):6.2f} ms")
    cost = {(mode, name): ms(mode, name) - ms(mode, "plain") for mode in ("in-process", "isolated")
            for name in ("scripted", "gated")}
    print(f"gateway condition: in-process {cost[('in-process', 'gated')]:.3f} ms,"
          f" now {cost[('isolated', 'gated')]:.3f} ms (simple conditions stay in-process)")
    print(f"script task: in-process {cost[('in-process', 'scripted')]:.3f} ms,"
          f" isolated {cost[('isolated', 'scripted')]:.3f} ms")
    print(f"script task cost isolated {cost[('isolated', 'scripted')]:.2f} ms"
          f" (in-process {cost[('in-process', 'scripted')]:.2f} ms)")


if __name__ == "__main__":
    main()
