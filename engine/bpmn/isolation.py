"""BPMN scripts run in worker processes whose CPU time and memory the operating system bounds.

The sandbox (engine.bpmn.sandbox) decides what a script may name; it cannot
stop work done inside one C call (`sum(map(sum, [range(10**6)] * 1000))`) or a
value doubled a few times (`s = s + s`). So scripts run in a small pool of
worker processes (engine.bpmn.script_worker: fresh interpreters, nothing of
the web app inherited) whose memory and CPU time the kernel limits; the
caller adds a wall-clock limit and kills a worker that overstays it.

The caller's thread only waits on a socket, so a runaway script never stalls
other requests. The engine's own functions (services, deadlines) stay in the
caller's process: the worker calls them back over the socket, and the time
they take is not charged to the script. Expressions that cannot loop or grow
(engine.bpmn.bounded) skip the round trip and run in-process.
"""
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from multiprocessing.connection import Connection

from engine.bpmn import bounded, sandbox
from engine.bpmn.script_worker import travelling
from engine.errors import ScriptLimitExceeded

MEMORY_MB = int(os.environ.get("DUBAN_SCRIPT_MEMORY_MB", "256"))  # per run, above the worker's own size
MAX_RESULT_BYTES = int(os.environ.get("DUBAN_SCRIPT_RESULT_BYTES", str(1_000_000)))
IDLE_WORKERS = int(os.environ.get("DUBAN_SCRIPT_WORKERS", "2"))  # kept warm per app process
MAX_WORKERS = max(IDLE_WORKERS, 8)  # busy at once per app process (nested calls may add one each)
GRACE_SECONDS = 0.5  # beyond sandbox.MAX_SECONDS before the caller kills the worker

# --- the caller's side ----------------------------------------------------------------------------

class _Worker:
    def __init__(self):
        ours, theirs = socket.socketpair()
        command = [sys.executable, "-m", "engine.bpmn.script_worker", str(theirs.fileno()),
                   str(MEMORY_MB * 1024 * 1024), str(MAX_RESULT_BYTES)]
        self.process = subprocess.Popen(command, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                        env=_worker_environment())
        theirs.close()
        self.conn = Connection(ours.detach())

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def kill(self):
        self.conn.close()
        if self.is_alive():
            self.process.kill()
        self.process.wait(timeout=5)


def _worker_environment() -> dict:
    # The worker needs to import Duban, nothing else from the app's environment (no secrets).
    keep = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "SYSTEMROOT", "VIRTUAL_ENV")
    environment = {key: os.environ[key] for key in keep if key in os.environ}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [root, environment.get("PYTHONPATH")]))
    return environment


class _Pool:
    def __init__(self):
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy = 0
        self._held = threading.local()  # workers this thread holds: a service called back may run a script

    def acquire(self) -> _Worker:
        nested = getattr(self._held, "count", 0) > 0
        with self._lock:
            while not self._idle and self._busy >= MAX_WORKERS and not nested:
                self._lock.wait()
            worker = self._idle.pop() if self._idle else None
            self._busy += 1
        self._held.count = getattr(self._held, "count", 0) + 1
        if worker is None or not worker.is_alive():
            try:
                worker = _Worker()
            except BaseException:
                self._release_slot()
                raise
        return worker

    def release(self, worker: _Worker, healthy: bool) -> None:
        if healthy:
            with self._lock:
                if len(self._idle) < IDLE_WORKERS:
                    self._idle.append(worker)
                    worker = None
        if worker is not None:
            worker.kill()
        self._release_slot()

    def _release_slot(self):
        self._held.count -= 1
        with self._lock:
            self._busy -= 1
            self._lock.notify()

    def shutdown(self):
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_pool: _Pool | None = None
_pool_lock = threading.Lock()
_in_process = threading.local()


def _the_pool() -> _Pool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _Pool()
        return _pool


def _forget_pool_after_fork():
    # A forked app process (gunicorn's workers) must not share its parent's pipes.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _call_back(functions, name, args, kwargs, errors):
    try:
        return ("return", functions[name](*args, **kwargs))
    except Exception as err:  # noqa: BLE001 - the script may catch it; the original is re-raised after
        errors[id(err)] = err
        copy = travelling(err, MAX_RESULT_BYTES)
        copy.duban_origin = id(err)
        return ("raise", copy)


def _run_isolated(op, source, context, functions):
    pool = _the_pool()
    worker = pool.acquire()
    healthy = False
    names = sorted(name for name, value in functions.items() if callable(value))
    constants = {name: value for name, value in functions.items() if not callable(value)}
    errors: dict[int, BaseException] = {}
    try:
        worker.conn.send((op, source, context, names, constants))
        deadline = time.monotonic() + sandbox.MAX_SECONDS + GRACE_SECONDS
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not worker.conn.poll(remaining):
                raise ScriptLimitExceeded(f"script ran longer than {sandbox.MAX_SECONDS} s")
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                raise ScriptLimitExceeded(
                    f"script used more than {sandbox.MAX_SECONDS} s of CPU time or {MEMORY_MB} MB of memory"
                ) from None
            kind = message[0]
            if kind == "call":
                paused = time.monotonic()
                reply = _call_back(functions, *message[1:], errors)
                deadline += time.monotonic() - paused  # the engine's own time is not the script's
                worker.conn.send(reply)
            elif kind == "done":
                _, result, _, printed = message
                healthy = True
                sandbox.log_printed(printed)
                return result
            else:
                _, err, worker_spent, printed = message
                healthy = not worker_spent
                sandbox.log_printed(printed)
                raise errors.get(getattr(err, "duban_origin", None), err)
    finally:
        pool.release(worker, healthy)


@contextmanager
def in_process():
    """Run scripts in the caller's process (the bench's 'before'; never used by the app)."""
    _in_process.on = True
    try:
        yield
    finally:
        _in_process.on = False


def evaluate(expression: str, context: dict, functions: dict | None = None):
    """Evaluate a (Python) expression against task data."""
    functions = functions or {}
    if getattr(_in_process, "on", False) or bounded.is_bounded_expression(expression, frozenset(functions)):
        return sandbox.evaluate(expression, context, functions)
    sandbox.compile_expression(expression)  # rules broken: refused here, without a round trip
    return _run_isolated("evaluate", expression, context, functions)


def execute(script: str, context: dict, functions: dict | None = None) -> None:
    """Run a script against task data in a worker; its variables are written back into `context`."""
    functions = functions or {}
    if getattr(_in_process, "on", False):
        sandbox.execute(script, context, functions)
        return
    sandbox.compile_script(script)
    changed, removed = _run_isolated("execute", script, context, functions)
    for key in removed:
        context.pop(key, None)
    context.update(changed)


def shutdown() -> None:
    """Stop the idle workers (tests and orderly exits)."""
    if _pool is not None:
        _pool.shutdown()
