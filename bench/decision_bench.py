"""How fast decisions evaluate: a 20-rule, 4-input table, directly and in a business rule task.

"Directly" is `CompiledDecision.evaluate` on the deployed table (what the editor's evaluate panel,
the task forms and `/engine-rest/decision-definition/.../evaluate` call): inputs spread so that
matches fall on every row, plus the worst case where only the last rule matches.
"Through the engine" is the cost of starting an instance whose first step is a business rule task
(the decision looked up by key, evaluated, the result mapped, the evaluation audited) minus the
cost of starting one whose first step is the user task alone, alternating in rounds so that a
noisy machine hits both alike.

    python bench/decision_bench.py            # 100,000 direct evaluations, 400 starts per variant
    python bench/decision_bench.py --quick    # 5,000 and 40
    DATABASE_URL=postgresql+psycopg://... python bench/decision_bench.py

Prints evaluations per second for each, and last the headline: the cost of one evaluation in a
business rule task (goal: under 1 ms).
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.runtime import Engine  # noqa: E402
from engine.store.database import make_engine, make_session_factory, upgrade  # noqa: E402
from tests import bpmn_builder as b  # noqa: E402
from tests import dmn_builder as d  # noqa: E402

LEVELS = ('"none"', '"low"', '"medium"', '"high"')


def twenty_rules() -> bytes:
    """A grading table shaped like the shipped one: people, money, heat, stability -> grade."""
    rules = []
    for i in range(19):
        people = f"[{i * 10}..{i * 10 + 9}]"
        money = f">= {i * 100000}" if i % 3 else "-"
        heat = LEVELS[i % 4] if i % 2 else "-"
        stability = f"not({LEVELS[3]})" if i % 5 == 0 else "-"
        rules.append(([people, money, heat, stability], [f'"g{i}"'], f"rule {i + 1}"))
    rules.append((["-", "-", "-", "-"], ['"green"'], "otherwise"))
    inputs = [("people", "people_involved", "integer"), ("money", "money_at_risk", "double"),
              ("heat", "opinion_heat", "string"), ("stability", "stability_risk", "string")]
    return d.definitions(d.decision("grading20", inputs, [("grade", "string")], rules, policy="FIRST"))


def samples(count: int) -> list[dict]:
    rng = random.Random(7)
    return [{"people_involved": rng.randrange(0, 220), "money_at_risk": rng.randrange(0, 3_000_000),
             "opinion_heat": rng.choice(LEVELS).strip('"'), "stability_risk": rng.choice(LEVELS).strip('"')}
            for _ in range(count)]


def per_second(table, variables: list[dict]) -> float:
    began = time.perf_counter()
    for values in variables:
        table.evaluate(values)
    return len(variables) / (time.perf_counter() - began)


def time_starts(engine: Engine, process_id: str, variables: list[dict]) -> list[float]:
    times = []
    for values in variables:
        began = time.perf_counter()
        engine.start(process_id, values)
        times.append(time.perf_counter() - began)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small run (5,000 evaluations, 40 starts)")
    parser.add_argument("--evaluations", type=int, default=None)
    parser.add_argument("--starts", type=int, default=None)
    args = parser.parse_args()
    evaluations = args.evaluations or (5_000 if args.quick else 100_000)
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
        engine.deploy_decisions(twenty_rules(), "grading20.dmn")
        task = ('<bpmn:businessRuleTask id="grade" camunda:decisionRef="grading20" '
                'camunda:resultVariable="grade" camunda:mapDecisionResult="singleEntry"/>')
        engine.deploy(b.process("plain", b.start(), b.user_task("verify"), b.end(),
                                *b.chain("start", "verify", "end")), "plain.bpmn")
        engine.deploy(b.process("decided", b.start(), task, b.user_task("verify"), b.end(),
                                *b.chain("start", "grade", "verify", "end")), "decided.bpmn")
        with engine.session_factory() as session:
            table = engine.decisions.compiled(session, engine.decisions.latest(session, "grading20"))
        spread = samples(evaluations)
        worst = [{"people_involved": 500, "money_at_risk": 0, "opinion_heat": "none", "stability_risk": "high"}] \
            * evaluations
        per_second(table, spread[:200])  # warm up
        direct, last_rule = per_second(table, spread), per_second(table, worst)

        variables = samples(starts + 6)
        time_starts(engine, "plain", variables[:3])
        time_starts(engine, "decided", variables[3:6])
        times = {"plain": [], "decided": []}
        chunk = starts // rounds
        for r in range(rounds):
            for name in times:
                times[name] += time_starts(engine, name, variables[6 + r * chunk: 6 + (r + 1) * chunk])
        db.dispose()

    def ms(name):
        return statistics.median(times[name]) * 1000

    in_engine = ms("decided") - ms("plain")
    print(f"database           {url.split(':')[0].split('+')[0]}")
    print("table              20 rules, 4 inputs, hit policy FIRST")
    print(f"direct             {direct:,.0f} evaluations/s ({1e6 / direct:.1f} µs each), {evaluations:,} evaluations")
    print(f"direct, no rule but the last matches  {last_rule:,.0f} evaluations/s ({1e6 / last_rule:.1f} µs each)")
    print(f"engine starts      user task first {ms('plain'):.2f} ms, business rule task first {ms('decided'):.2f} ms"
          f" (medians of {len(times['plain'])})")
    print(f"in a business rule task {1000 / in_engine if in_engine > 0 else float('inf'):,.0f} evaluations/s")
    print(f"evaluation in a business rule task {in_engine:.3f} ms (direct {1000 / direct:.3f} ms)")


if __name__ == "__main__":
    main()
