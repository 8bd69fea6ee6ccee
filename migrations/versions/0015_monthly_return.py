"""Monthly statistical returns (月报表): one per unit and month, prefilled from the records,
completed and submitted by the unit, summed by the special office.

Revision ID: 0015
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'monthly_return',
        sa.Column('id', BigId, nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('unit', sa.String(length=40), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('manual', sa.JSON(), nullable=False),
        sa.Column('corrections', sa.JSON(), nullable=False),
        sa.Column('progress', sa.Text(), nullable=False),
        sa.Column('measures', sa.Text(), nullable=False),
        sa.Column('difficulties', sa.Text(), nullable=False),
        sa.Column('next_steps', sa.Text(), nullable=False),
        sa.Column('instance_id', BigId, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=True),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('submitted_by', sa.String(length=200), nullable=True),
        sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('returned_by', sa.String(length=200), nullable=True),
        sa.Column('return_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['unit'], ['unit.code'], name=op.f('fk_monthly_return_unit_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_return')),
        sa.UniqueConstraint('number', name=op.f('uq_monthly_return_number')),
        sa.UniqueConstraint('unit', 'month', name='uq_monthly_return_unit_month'),
    )
    op.create_index('ix_monthly_return_month', 'monthly_return', ['month', 'status'])
    op.create_index(op.f('ix_monthly_return_instance_id'), 'monthly_return', ['instance_id'])


def downgrade():
    op.drop_index(op.f('ix_monthly_return_instance_id'), table_name='monthly_return')
    op.drop_index('ix_monthly_return_month', table_name='monthly_return')
    op.drop_table('monthly_return')
