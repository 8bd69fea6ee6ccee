"""Instance tasks one row each: a step rewrites only the tasks it changed (engine.bpmn.serialization).

Existing instances are split: their tasks move from the state document to rows.

Revision ID: 0003
Revises: 0002
"""
import json

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

WHOLE, SPLIT = "duban-1", "duban-2"

instances = sa.table('process_instance', sa.column('id', sa.Integer), sa.column('state_json', sa.Text))
tasks = sa.table('instance_task', sa.column('instance_id', sa.Integer), sa.column('task_id', sa.String),
                 sa.column('owner', sa.String), sa.column('seq', sa.Integer), sa.column('body', sa.Text))


def _documents(connection):
    return connection.execute(sa.select(instances.c.id, instances.c.state_json)).all()


def upgrade():
    op.create_table(
        'instance_task',
        sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('owner', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('instance_id', 'task_id'),
    )
    connection = op.get_bind()
    for instance_id, state in _documents(connection):
        document = json.loads(state)
        if "tasks" not in document:
            continue  # an empty placeholder
        rows = []
        for owner, part in [("", document), *document.get("subprocesses", {}).items()]:
            for task_id, body in part.pop("tasks").items():
                rows.append({"instance_id": instance_id, "task_id": task_id, "owner": owner, "seq": len(rows),
                             "body": json.dumps(body, ensure_ascii=False, separators=(",", ":"))})
        document["format"] = SPLIT
        if rows:
            connection.execute(tasks.insert(), rows)
        connection.execute(instances.update().where(instances.c.id == instance_id).values(
            state_json=json.dumps(document, ensure_ascii=False, separators=(",", ":"))))


def downgrade():
    connection = op.get_bind()
    for instance_id, state in _documents(connection):
        document = json.loads(state)
        if document.get("format") != SPLIT:
            continue
        parts = {"": document, **document.get("subprocesses", {})}
        for part in parts.values():
            part["tasks"] = {}
        for task_id, owner, body in connection.execute(
                sa.select(tasks.c.task_id, tasks.c.owner, tasks.c.body)
                .where(tasks.c.instance_id == instance_id).order_by(tasks.c.seq)):
            parts[owner]["tasks"][task_id] = json.loads(body)
        document["format"] = WHOLE
        connection.execute(instances.update().where(instances.c.id == instance_id).values(
            state_json=json.dumps(document, ensure_ascii=False, separators=(",", ":"))))
    op.drop_table('instance_task')
