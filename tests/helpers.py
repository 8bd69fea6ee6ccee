"""Small helpers shared by engine tests."""
import threading

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engine.identity import Actor
from engine.store.models import HumanTask

OFFICER = Actor("li.officer", groups=frozenset({"office", "market"}), roles=frozenset({"officer"}))
OTHER_OFFICER = Actor("wang.police", groups=frozenset({"police"}), roles=frozenset({"officer"}))
SUPERVISOR = Actor("zhao.lead", groups=frozenset({"office"}), roles=frozenset({"supervisor"}))


def open_tasks(session_factory, instance_id=None):
    with session_factory() as s:
        query = (select(HumanTask).where(HumanTask.status == "open").order_by(HumanTask.id)
                 .options(selectinload(HumanTask.candidates)))
        if instance_id is not None:
            query = query.where(HumanTask.instance_id == instance_id)
        return s.scalars(query).all()


def complete_open_tasks(engine, session_factory, instance_id, actor=OFFICER, data=None, rounds=50):
    """Complete whatever is open until the instance waits on nothing human."""
    for _ in range(rounds):
        tasks = open_tasks(session_factory, instance_id)
        if not tasks:
            return
        for task in tasks:
            engine.complete(task.id, actor, data or {})
    raise AssertionError("instance did not finish")


def meet_after_first_calls(obj, name, parties=2):
    """Patch `obj.name` so its first `parties` calls wait for each other once they have read, and
    racing commands read the same version; later calls (an engine's retry) run straight through.
    Returns the list of calls, which grows as they happen."""
    original = getattr(obj, name)
    barrier = threading.Barrier(parties)
    calls = []

    def meeting(*args):
        result = original(*args)
        calls.append(args)
        if len(calls) <= parties:
            barrier.wait(timeout=10)
        return result

    setattr(obj, name, meeting)
    return calls


def run_together(*calls, expected=(Exception,)):
    """Run the calls in threads at once. Returns, in the order given, "ok" or the `expected` error
    each call raised; any other error fails the test."""
    results = [None] * len(calls)
    unexpected = []

    def run(index, call):
        try:
            call()
            results[index] = "ok"
        except expected as err:
            results[index] = err
        except BaseException as err:  # noqa: BLE001 - reported below, in the test's own thread
            unexpected.append(err)

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not unexpected, unexpected
    return results
