"""Step records (办理意见): what each user task's handler submitted, kept with the case.

Tasks completed before this revision get a record from their `task.completed` audit row
(values and handler; names and the form are filled in when the record is shown).

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

audit = sa.table('audit_event', sa.column('id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
                 sa.column('actor', sa.String), sa.column('action', sa.String),
                 sa.column('instance_id', sa.Integer), sa.column('task_id', sa.Integer),
                 sa.column('data', sa.JSON))
tasks = sa.table('human_task', sa.column('id', sa.Integer), sa.column('element_id', sa.String),
                 sa.column('name', sa.String), sa.column('form_key', sa.String))


def upgrade():
    records = op.create_table(
        'step_record',
        sa.Column('id', BigId, nullable=False),
        sa.Column('instance_id', BigId, nullable=False),
        sa.Column('task_id', BigId, nullable=False),
        sa.Column('element_id', sa.String(length=200), nullable=False),
        sa.Column('step_name', sa.String(length=400), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('form_key', sa.String(length=400), nullable=True),
        sa.Column('form', sa.JSON(), nullable=True),
        sa.Column('values', sa.JSON(), nullable=True),
        sa.Column('opinion', sa.Text(), nullable=True),
        sa.Column('outcome', sa.String(length=200), nullable=True),
        sa.Column('handler', sa.String(length=200), nullable=False),
        sa.Column('handler_name', sa.String(length=200), nullable=True),
        sa.Column('unit_code', sa.String(length=100), nullable=True),
        sa.Column('unit_name', sa.String(length=200), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_step_record_instance_id_process_instance')),
        sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_step_record_task_id_human_task')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_step_record')),
    )
    op.create_index('ix_step_record_instance', 'step_record', ['instance_id', 'id'])
    op.create_index('ix_step_record_task', 'step_record', ['task_id'])
    connection = op.get_bind()
    done = connection.execute(
        sa.select(audit.c.at, audit.c.actor, audit.c.instance_id, audit.c.task_id, audit.c.data,
                  tasks.c.element_id, tasks.c.name, tasks.c.form_key)
        .join(tasks, tasks.c.id == audit.c.task_id)
        .where(audit.c.action == 'task.completed').order_by(audit.c.id)).all()
    rows = [{'instance_id': row.instance_id, 'task_id': row.task_id, 'element_id': row.element_id,
             'step_name': row.name, 'kind': 'completed', 'form_key': row.form_key,
             'values': (row.data or {}).get('data') or {}, 'handler': row.actor or 'system', 'at': row.at}
            for row in done]
    if rows:
        op.bulk_insert(records, rows)


def downgrade():
    op.drop_index('ix_step_record_task', table_name='step_record')
    op.drop_index('ix_step_record_instance', table_name='step_record')
    op.drop_table('step_record')
