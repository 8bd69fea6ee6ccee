"""Inspections of institutions (机构排查): date, inspecting unit and officers, the institution,
its sector's checklist answered, the finding, and the graded disposal started for it.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'inspection',
        sa.Column('id', BigId, nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('inspected_on', sa.Date(), nullable=False),
        sa.Column('unit', sa.String(length=40), nullable=False),
        sa.Column('officers', sa.JSON(), nullable=False),
        sa.Column('subject_id', BigId, nullable=False),
        sa.Column('sector', sa.String(length=40), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('finding', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('instance_id', BigId, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_inspection_subject_id_subject')),
        sa.ForeignKeyConstraint(['unit'], ['unit.code'], name=op.f('fk_inspection_unit_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection')),
        sa.UniqueConstraint('instance_id', name=op.f('uq_inspection_instance_id')),
        sa.UniqueConstraint('number', name=op.f('uq_inspection_number')),
    )
    op.create_index('ix_inspection_unit_day', 'inspection', ['unit', 'inspected_on'], unique=False)
    op.create_index('ix_inspection_subject', 'inspection', ['subject_id', 'inspected_on'], unique=False)


def downgrade():
    op.drop_index('ix_inspection_subject', table_name='inspection')
    op.drop_index('ix_inspection_unit_day', table_name='inspection')
    op.drop_table('inspection')
