"""Reading and writing the task rows of an instance's split state (engine.bpmn.serialization)."""
from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from engine.store.models import InstanceTask, ProcessInstance

TABLE = InstanceTask.__table__
INSTANCES = ProcessInstance.__table__
# The instance's fields and its task rows in one statement: one snapshot, whatever the isolation
# level (SQLite's driver and PostgreSQL's READ COMMITTED give each statement its own).
_SELECT = (select(INSTANCES.c.lock_version, INSTANCES.c.state_json,
                  TABLE.c.task_id, TABLE.c.owner, TABLE.c.seq, TABLE.c.body)
           .select_from(INSTANCES.outerjoin(TABLE, TABLE.c.instance_id == INSTANCES.c.id))
           .where(INSTANCES.c.id == bindparam("instance_id")).order_by(TABLE.c.seq))
_DELETE = delete(TABLE).where(TABLE.c.instance_id == bindparam("instance_id"),
                              TABLE.c.task_id == bindparam("task_id"))


def _upsert(dialect):
    # One statement for the rows a step adds and the rows it changes.
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(TABLE)
    return statement.on_conflict_do_update(index_elements=[TABLE.c.instance_id, TABLE.c.task_id],
                                           set_={"body": statement.excluded.body})


_UPSERT = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


def read(connection, instance_id: int) -> tuple[int, str, list[tuple]]:
    """(lock_version, state, [(task_id, owner, seq, body)] in creation order) of an instance, read together."""
    result = connection.execute(_SELECT, {"instance_id": instance_id}).all()
    if not result:
        raise LookupError(f"process instance {instance_id} has no row")
    version, state = result[0][0], result[0][1]
    return version, state, [tuple(row[2:]) for row in result if row[2] is not None]


def write(connection, instance_id: int, rows: list[dict], removed: list[str]) -> None:
    if rows:
        connection.execute(_UPSERT[connection.dialect.name], [{**row, "instance_id": instance_id} for row in rows])
    if removed:
        connection.execute(_DELETE, [{"instance_id": instance_id, "task_id": task_id} for task_id in removed])
