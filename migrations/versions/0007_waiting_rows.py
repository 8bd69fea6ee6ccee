"""What instances wait on outside themselves: external tasks (`external_task`), message and
signal subscriptions (`event_subscription`), and called instances (`process_instance.super_*`);
timer rows of deployed versions' timer start events (`timer.definition_id`, no instance).

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'external_task',
        sa.Column('id', BigId, nullable=False),
        sa.Column('instance_id', BigId, nullable=False),
        sa.Column('definition_id', BigId, nullable=False),
        sa.Column('spiff_task_id', sa.String(length=36), nullable=False),
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('element_id', sa.String(length=200), nullable=False),
        sa.Column('element_name', sa.String(length=400), nullable=True),
        sa.Column('business_key', sa.String(length=200), nullable=True),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('variables', sa.Text(), nullable=False),
        sa.Column('worker_id', sa.String(length=200), nullable=True),
        sa.Column('lock_expires_at', When, nullable=True),
        sa.Column('retries', sa.Integer(), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.Column('error_details', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', When, nullable=False),
        sa.Column('ended_at', When, nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_external_task_instance_id_process_instance')),
        sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'],
                                name=op.f('fk_external_task_definition_id_process_definition')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_task')),
        sa.UniqueConstraint('spiff_task_id', name='uq_external_task_spiff_task_id'),
    )
    op.create_index('ix_external_task_fetch', 'external_task', ['status', 'topic', 'priority'])
    op.create_index('ix_external_task_instance', 'external_task', ['instance_id', 'status'])
    op.create_table(
        'event_subscription',
        sa.Column('id', BigId, nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('name', sa.String(length=400), nullable=False),
        sa.Column('instance_id', BigId, nullable=True),
        sa.Column('spiff_task_id', sa.String(length=36), nullable=True),
        sa.Column('definition_id', BigId, nullable=True),
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('element_id', sa.String(length=200), nullable=False),
        sa.Column('business_key', sa.String(length=200), nullable=True),
        sa.Column('created_at', When, nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_event_subscription_instance_id_process_instance')),
        sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'],
                                name=op.f('fk_event_subscription_definition_id_process_definition')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_subscription')),
    )
    op.create_index('ix_event_subscription_name', 'event_subscription', ['kind', 'name'])
    op.create_index('ix_event_subscription_instance', 'event_subscription', ['instance_id'])
    op.create_index('ix_event_subscription_definition', 'event_subscription', ['definition_id'])
    with op.batch_alter_table('process_instance') as batch:
        batch.add_column(sa.Column('super_instance_id', BigId, nullable=True))
        batch.add_column(sa.Column('super_task_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('call_depth', sa.Integer(), nullable=False, server_default='0'))
        batch.create_foreign_key(op.f('fk_process_instance_super_instance_id_process_instance'),
                                 'process_instance', ['super_instance_id'], ['id'])
        batch.create_index('ix_process_instance_super_instance_id', ['super_instance_id'])
    with op.batch_alter_table('timer') as batch:
        batch.alter_column('instance_id', existing_type=BigId, nullable=True)
        batch.add_column(sa.Column('definition_id', BigId, nullable=True))
        batch.add_column(sa.Column('schedule', sa.Text(), nullable=True))
        batch.create_foreign_key(op.f('fk_timer_definition_id_process_definition'), 'process_definition',
                                 ['definition_id'], ['id'])


def downgrade():
    with op.batch_alter_table('timer') as batch:
        batch.drop_constraint(op.f('fk_timer_definition_id_process_definition'), type_='foreignkey')
        batch.drop_column('schedule')
        batch.drop_column('definition_id')
        batch.alter_column('instance_id', existing_type=BigId, nullable=False)
    with op.batch_alter_table('process_instance') as batch:
        batch.drop_index('ix_process_instance_super_instance_id')
        batch.drop_constraint(op.f('fk_process_instance_super_instance_id_process_instance'), type_='foreignkey')
        batch.drop_column('call_depth')
        batch.drop_column('super_task_id')
        batch.drop_column('super_instance_id')
    op.drop_table('event_subscription')
    op.drop_table('external_task')
