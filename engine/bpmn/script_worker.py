"""The isolated worker process that runs BPMN scripts (started by engine.bpmn.isolation).

    python -m engine.bpmn.script_worker FD MEMORY_BYTES MAX_RESULT_BYTES

A fresh interpreter: nothing of the web app (database connections, threads,
secrets in memory) is inherited. It serves one request at a time on the socket
FD, under limits the kernel enforces:

- RLIMIT_AS: the address space may grow MEMORY_BYTES past its size at start; a
  script that needs more gets a MemoryError and the worker exits afterwards;
- RLIMIT_CPU, re-armed for every request: a script stuck inside one C call is
  killed by the kernel (SIGXCPU), which the caller reports as the limit;
- what a script hands back (changed task data, an expression's value) is
  refused past MAX_RESULT_BYTES, so no huge row is stored.

What a script prints (bounded by engine.bpmn.sandbox.MAX_PRINTED) travels back
with its outcome, done or failed, and the caller logs it.
"""
import copy
import math
import pickle
import resource
import signal
import sys
from multiprocessing.connection import Connection

from engine.bpmn import juel, sandbox
from engine.bpmn.json_data import stored_size_over
from engine.errors import ScriptLimitExceeded

# Functions the worker has itself: pure, no reason to call back for them.
_OWN_FUNCTIONS = dict(juel.FUNCTIONS)


def _address_space_now() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _arm_cpu_limit() -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + sandbox.MAX_SECONDS) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def travelling(err: BaseException, max_bytes: int) -> BaseException:
    """`err` if it survives pickling within `max_bytes`, else a plain description of it."""
    try:
        blob = pickle.dumps(err)
        if len(blob) <= max_bytes:
            pickle.loads(blob)
            return err
    except Exception:  # noqa: BLE001 - any exception that cannot travel is described instead
        pass
    return RuntimeError(f"{type(err).__name__}: {str(err)[:500]}")


class _CallBack:
    """One of the engine's functions, called in the caller's process."""

    def __init__(self, conn, name):
        self.conn, self.name = conn, name

    def __call__(self, *args, **kwargs):
        self.conn.send(("call", self.name, args, kwargs))
        kind, payload = self.conn.recv()
        if kind == "raise":
            raise payload
        return payload


def _run_one(conn, request, max_result, printed):
    op, source, context, names, constants = request
    functions = {name: _OWN_FUNCTIONS.get(name) or _CallBack(conn, name) for name in names}
    functions.update(constants)
    if op == "evaluate":
        value = sandbox.evaluate(source, context, functions, printed=printed)
        if stored_size_over(value, max_result):
            raise ScriptLimitExceeded(f"the expression's value is larger than {max_result} bytes")
        return value
    before = copy.deepcopy(context)  # deep: a script may change nested data in place
    sandbox.execute(source, context, functions, max_growth_bytes=max_result, printed=printed)
    changed = {key: value for key, value in context.items() if key not in before or before[key] != value}
    removed = [key for key in before if key not in context]
    return changed, removed


def serve(conn: Connection, memory_bytes: int, max_result: int) -> None:
    """One request at a time until the socket closes."""
    limit = _address_space_now() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    memory_mb = memory_bytes // (1024 * 1024)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        _arm_cpu_limit()
        # What the script prints goes back with its outcome; the caller logs it (this process has no log).
        printed = sandbox.PrintSink()
        try:
            result = _run_one(conn, request, max_result, printed)
        except MemoryError:
            conn.send(("error", ScriptLimitExceeded(f"script used more than {memory_mb} MB of memory"), True,
                       printed.text()))
            return  # a worker that ran out of memory is not trusted with the next script
        except BaseException as err:  # noqa: BLE001 - every failure goes back to the caller
            conn.send(("error", travelling(err, max_result), False, printed.text()))
            continue
        conn.send(("done", result, False, printed.text()))


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches the whole process group: the app stops its workers itself,
    # and a worker's own KeyboardInterrupt traceback would only clutter the output.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fd, memory, max_result_bytes = (int(arg) for arg in sys.argv[1:4])
    serve(Connection(fd), memory, max_result_bytes)
