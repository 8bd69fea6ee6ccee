"""Which of a workflow's tasks a save has to write again.

An instance's tasks are stored one row each (engine.store.state_rows), so a
step writes only the tasks it touched and its cost does not grow with the
case. The workflow object carries what its rows hold: per task, a
fingerprint of the attributes a step changes, and for finished tasks a digest
of their nested data. A task is written when

- it is new, or its fingerprint moved (state, children, spec, data or
  internal data object replaced, as by a reset or a migration);
- it is active (ready, waiting, started, failed): its data may change in
  place without its state changing (an administrator setting a variable,
  SpiffWorkflow merging a multi-instance child's data into its parent);
- its parent's data may have changed: SpiffWorkflow stores a task's data as
  the difference from its parent's. Tasks not yet reached keep the copy they
  were created with, so the change does not run on down the predicted path;
- it is finished and its nested data no longer matches its digest:
  SpiffWorkflow copies data from parent to child only one level deep, so a
  script changing a nested list in place also changes it in the finished
  tasks it came from, and only the task that set the value stores it.
  Finished ancestors of written tasks are checked for this.

Tests run with DUBAN_VERIFY_STATE=1 (engine.runtime): every commit compares
the rows with a whole serialization, so a change these rules miss fails them.
"""
import json
from dataclasses import dataclass

from SpiffWorkflow.util.task import TaskState

SETTLED = TaskState.COMPLETED | TaskState.CANCELLED
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
STORED = "duban_stored"  # attribute on the workflow: {task UUID: Stored} as of its last save or load
NEXT_SEQ = "duban_next_seq"  # attribute on the workflow: the creation rank the next new row gets


@dataclass(frozen=True)
class Stored:
    fingerprint: tuple | None  # None: unknown, write it again
    digest: str | None
    seq: int


def fingerprint(task) -> tuple:
    return (task._state, task.last_state_change, task.triggered, id(task.task_spec), id(task.data),
            id(task.internal_data), tuple(task._children))


def is_nested(value) -> bool:
    return isinstance(value, (dict, list, set))


def nested_digest(task, keys=None) -> str:
    """The nested values of a finished task's data (what in-place changes can reach);
    `keys`, when known, are the keys that hold them."""
    data = task.data
    if keys is None:
        keys = [key for key, value in data.items() if is_nested(value)]
    # Top-level keys in one order for both ways of finding them; nested values as they are.
    nested = {key: data[key] for key in sorted(keys)}
    return json.dumps(nested, default=repr, ensure_ascii=False) if nested else ""


def all_workflows(workflow):
    """(owner, workflow) of the top workflow ("") and each subprocess (its task's id)."""
    yield "", workflow
    for task_id, subprocess in workflow.subprocesses.items():
        yield str(task_id), subprocess


def tasks_to_write(workflow) -> tuple[list, list]:
    """([(owner, task, seq)] to write, [task UUID] whose rows go)."""
    stored = getattr(workflow, STORED, {})
    next_seq = getattr(workflow, NEXT_SEQ, len(stored))
    owners, written, data_changed = {}, {}, set()
    for owner, wf in all_workflows(workflow):
        for task_id, task in wf.tasks.items():  # creation order: parents first
            owners[task_id] = owner
            known = stored.get(task_id)
            if known is None or task._state & ACTIVE or known.fingerprint != fingerprint(task):
                written[task_id] = task
                data_changed.add(task_id)
            elif task._parent in data_changed:
                written[task_id] = task
    for task in list(written.values()):
        parent = task.parent
        while (parent is not None and parent.id not in written and parent.id in stored
               and stored[parent.id].digest is not None and stored[parent.id].digest != nested_digest(parent)):
            written[parent.id] = parent
            parent = parent.parent
    result = []
    for task_id, task in written.items():
        known = stored.get(task_id)
        if known is None:
            seq, next_seq = next_seq, next_seq + 1
        else:
            seq = known.seq
        result.append((owners[task_id], task, seq))
    setattr(workflow, NEXT_SEQ, next_seq)
    return result, [task_id for task_id in stored if task_id not in owners]


def remember(workflow, written: list, removed: list, nested_keys: dict | None = None) -> None:
    """After a save (or a load, with every task `written`): this is what the rows hold now.
    A load passes the keys of nested values it noted, which spares scanning every task's data."""
    stored = getattr(workflow, STORED, None)
    if stored is None:
        stored = {}
        setattr(workflow, STORED, stored)
    for task_id in removed:
        stored.pop(task_id, None)
    for _owner, task, seq in written:
        settled = bool(task._state & SETTLED)
        keys = None if nested_keys is None else nested_keys.get(task.id)
        stored[task.id] = Stored(fingerprint(task), nested_digest(task, keys) if settled else None, seq)


def forget(workflow) -> None:
    """Write every task at the next save (after changes no fingerprint sees, such as a migration)."""
    stored = getattr(workflow, STORED, {})
    setattr(workflow, STORED, {task_id: Stored(None, None, known.seq) for task_id, known in stored.items()})
