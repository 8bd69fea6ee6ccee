"""Plain UPDATE/INSERT statements for the rows every engine step writes, keeping the
session's objects in step so the ORM's flush has nothing left to do for them.

The ORM's unit of work costs far more than the SQL itself for these few rows
(an instance's state and its task rows, written at every step); these
helpers write them directly and then record the written values as the
objects' committed state (`set_committed_value`), so later reads see them and
a later flush of some other change still checks the right lock_version.
"""
from sqlalchemy import bindparam, insert, update
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
_INSERT_INSTANCE = insert(INSTANCES).returning(INSTANCES.c.id)


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


def _column_values(table, values: dict) -> dict:
    """Every column of a row but its id: the given values, else the column's default (else None)."""
    row = {}
    for column in table.columns:
        if column.key == "id":
            continue
        default = column.default
        row[column.key] = values.get(column.key, default.arg if default is not None and default.is_scalar else None)
    return row


def _inserted(session, model, statement, row: dict, **related):
    """Insert `row` and return it as a persistent object of the session: every column loaded
    (reading it later costs no query), nothing left for the flush to write."""
    obj = model.__mapper__.class_manager.new_instance()  # no constructor: no change events
    # Column values go straight into the object's dict, as the ORM's loader puts them: loaded and
    # unmodified (set_committed_value per column, the same in effect, costs ~25 calls per row).
    obj.__dict__.update(row, id=session.connection().execute(statement, row).scalar_one())
    for key, value in related.items():
        set_committed_value(obj, key, value)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def insert_task(session, values: dict, instance: ProcessInstance) -> HumanTask:
    return _inserted(session, HumanTask, _INSERT_TASK, _column_values(TASKS, values), instance=instance)


def insert_instance(session, values: dict, definition) -> ProcessInstance:
    # Version 0: the save that follows in the same command makes it 1, as if inserted with its state.
    row = _column_values(INSTANCES, {**values, "lock_version": 0})
    return _inserted(session, ProcessInstance, _INSERT_INSTANCE, row, definition=definition)
