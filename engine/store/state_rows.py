"""Reading and writing the task rows of an instance's split state (engine.bpmn.serialization)."""
from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from engine.store.models import InstanceTask

TABLE = InstanceTask.__table__
_SELECT = (select(TABLE.c.task_id, TABLE.c.owner, TABLE.c.seq, TABLE.c.body)
           .where(TABLE.c.instance_id == bindparam("instance_id")).order_by(TABLE.c.seq))
_DELETE = delete(TABLE).where(TABLE.c.instance_id == bindparam("instance_id"),
                              TABLE.c.task_id == bindparam("task_id"))


def _upsert(dialect):
    # One statement for the rows a step adds and the rows it changes.
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(TABLE)
    return statement.on_conflict_do_update(index_elements=[TABLE.c.instance_id, TABLE.c.task_id],
                                           set_={"body": statement.excluded.body})


_UPSERT = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


def read(connection, instance_id: int) -> list[tuple]:
    """(task_id, owner, seq, body) of the instance's tasks in creation order."""
    return [tuple(row) for row in connection.execute(_SELECT, {"instance_id": instance_id})]


def write(connection, instance_id: int, rows: list[dict], removed: list[str]) -> None:
    if rows:
        connection.execute(_UPSERT[connection.dialect.name], [{**row, "instance_id": instance_id} for row in rows])
    if removed:
        connection.execute(_DELETE, [{"instance_id": instance_id, "task_id": task_id} for task_id in removed])
