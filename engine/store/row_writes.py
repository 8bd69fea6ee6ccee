"""Plain UPDATE/INSERT statements for the rows every engine step writes, keeping the
session's objects in step so the ORM's flush has nothing left to do for them.

The ORM's unit of work costs far more than the SQL itself for these few rows
(an instance's state and its task rows, written at every step); these
helpers write them directly and then record the written values as the
objects' committed state (`set_committed_value`), so later reads see them and
a later flush of some other change still checks the right lock_version.
"""
from sqlalchemy import bindparam, inspect, insert, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from engine.errors import StaleInstance
from engine.store.models import HumanTask, ProcessInstance

INSTANCES = ProcessInstance.__table__
TASKS = HumanTask.__table__
# Built once: the SET clause comes from the parameters each call passes.
_UPDATE_INSTANCE = update(INSTANCES).where(INSTANCES.c.id == bindparam("row_id"),
                                           INSTANCES.c.lock_version == bindparam("read_version"))
_UPDATE_TASK = update(TASKS).where(TASKS.c.id == bindparam("row_id"))
_INSERT_TASK = insert(TASKS).returning(TASKS.c.id)


def is_persistent(obj) -> bool:
    return inspect(obj).persistent


def save_instance(session, instance: ProcessInstance, **values) -> None:
    """Write `values` to the instance's row if nobody changed it since it was read (optimistic lock)."""
    version = instance.lock_version
    written = session.connection().execute(
        _UPDATE_INSTANCE, {"row_id": instance.id, "read_version": version, "lock_version": version + 1,
                           **values}).rowcount
    if written != 1:
        raise StaleInstance()
    for key, value in {**values, "lock_version": version + 1}.items():
        set_committed_value(instance, key, value)


def update_task(session, task: HumanTask, **values) -> None:
    session.connection().execute(_UPDATE_TASK, {"row_id": task.id, **values})
    for key, value in values.items():
        set_committed_value(task, key, value)


def _column_value(obj, column):
    if column.key in obj.__dict__:
        return obj.__dict__[column.key]
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


def insert_task(session, task: HumanTask) -> HumanTask:
    """Insert a new (transient) task row and attach `task` to the session as that persistent row,
    every column loaded so reading it later costs no query."""
    row = {column.key: _column_value(task, column) for column in TASKS.columns if column.key != "id"}
    task.id = session.connection().execute(_INSERT_TASK, row).scalar_one()
    for key, value in row.items():
        set_committed_value(task, key, value)
    make_transient_to_detached(task)
    session.add(task)
    return task
