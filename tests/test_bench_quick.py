"""The benchmark scripts at a tiny size, so they keep working: each runs as it would
from the command line (a subprocess), exits 0 and prints its headline figure last.
No speed is asserted: the figures belong in bench/README.md, not in a test.

On PostgreSQL (DATABASE_URL set) each bench gets a throwaway database of its own on
that server, since a bench empties the database it is pointed at."""
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import _throwaway_postgres_database

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def bench_environment():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgresql"):
        with _throwaway_postgres_database(url) as throwaway:
            env["DATABASE_URL"] = throwaway
            yield env
    else:
        yield env


def run_bench(script, *args, timeout=240):
    with bench_environment() as env:
        result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{script} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    lines = result.stdout.strip().splitlines()
    assert lines, f"{script} printed nothing\n{result.stderr}"
    expected = "postgresql" if "DATABASE_URL" in os.environ and os.environ["DATABASE_URL"].startswith(
        "postgresql") else "sqlite"
    assert f"database           {expected}" in lines, result.stdout
    return lines


@pytest.mark.parametrize("flags", [[], ["--no-cache"]], ids=["kept-workflows", "read-back"])
def test_engine_bench_compares_the_engine_with_bare_spiffworkflow(flags):
    with bench_environment() as env:
        result = subprocess.run([sys.executable, str(ROOT / "bench" / "engine_bench.py"), "--instances", "2",
                                 "--steps", "3", "--steps", "12", *flags],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert re.fullmatch(r"ratio \d+\.\d\d", lines[-1]), lines
    assert any(re.match(r"engine per-step cost at 12 steps vs 3: \d+\.\d\dx", line) for line in lines), lines
    assert sum(" steps x    2  engine " in line for line in lines) == 2, lines


def test_web_bench_times_the_inbox_at_each_size():
    lines = run_bench("web_bench.py", "--sizes", "300,1000", "--requests", "5")
    assert re.fullmatch(r"p95 \(1000 tasks\) \d+\.\d ms", lines[-1]), lines[-1]
    assert any(line.startswith("inbox p95 at      300 tasks") for line in lines), lines


def test_timer_bench_fires_every_timer():
    lines = run_bench("timer_bench.py", "--timers", "150", "--window", "2")
    assert re.fullmatch(r"lateness p99 \(150 timers\) \d+\.\d{3} s", lines[-1]), lines[-1]
    assert any(re.match(r"fired +150 of 150 timers", line) for line in lines), lines


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn needs a POSIX system")
def test_http_bench_drives_gunicorn_with_two_and_four_workers():
    pytest.importorskip("gunicorn")
    lines = run_bench("http_bench.py", "--workers", "2,4", "--clients", "2", "--duration", "1",
                      "--background", "300", "--leads", "100")
    assert re.fullmatch(r"inbox p95 \(4 workers\) \d+ ms", lines[-1]), lines[-1]
    for workers in (2, 4):
        assert any(re.match(rf"{workers} workers complete .* errors 0", line) for line in lines), lines


def test_script_bench_compares_isolated_scripts_with_in_process():
    with bench_environment() as env:
        result = subprocess.run([sys.executable, str(ROOT / "bench" / "script_bench.py"), "--starts", "8"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert re.fullmatch(r"script task cost isolated -?\d+\.\d\d ms \(in-process -?\d+\.\d\d ms\)", lines[-1]), lines
    assert any(line.startswith("gateway condition: in-process") for line in lines), lines


def test_external_task_bench_drives_camunda_workers_against_gunicorn():
    pytest.importorskip("gunicorn")
    lines = run_bench("external_task_bench.py", "--duration", "1", "--instances", "60")
    assert re.fullmatch(r"external tasks completed/s \(4 workers\) \d+\.\d", lines[-1]), lines[-1]
    assert sum(bool(re.match(r"[14] worker\(s\) .* errors 0$", line)) for line in lines) == 2, lines


def test_decision_bench_times_a_twenty_rule_table_directly_and_in_a_business_rule_task():
    lines = run_bench("decision_bench.py", "--evaluations", "500", "--starts", "8")
    assert re.fullmatch(r"evaluation in a business rule task -?\d+\.\d{3} ms \(direct \d+\.\d{3} ms\)", lines[-1]), lines
    assert any(line.startswith("direct             ") and "evaluations/s" in line for line in lines), lines
