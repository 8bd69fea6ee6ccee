"""Strike results (依法打击): units marked as law enforcement (政法单位), and criminal cases
(涉养老诈骗刑事案件) with their stages, linked to leads and subjects.

Revision ID: 0014
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

from engine.store.base import UTCDateTime

revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table('unit') as batch:
        batch.add_column(sa.Column('law_enforcement', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'strike_case',
        sa.Column('id', BigId, nullable=False),
        sa.Column('case_number', sa.String(length=60), nullable=False),
        sa.Column('unit', sa.String(length=40), nullable=False),
        sa.Column('charge', sa.String(length=40), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('gangs', sa.Integer(), nullable=False),
        sa.Column('suspects', sa.Integer(), nullable=False),
        sa.Column('frozen_amount', sa.BigInteger(), nullable=False),
        sa.Column('recovered_amount', sa.BigInteger(), nullable=False),
        sa.Column('returned_amount', sa.BigInteger(), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('filed_on', sa.Date(), nullable=False),
        sa.Column('prosecuted_on', sa.Date(), nullable=True),
        sa.Column('prosecuted_by', sa.String(length=200), nullable=True),
        sa.Column('judged_on', sa.Date(), nullable=True),
        sa.Column('judged_by', sa.String(length=200), nullable=True),
        sa.Column('judgment', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=True),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit'], ['unit.code'], name=op.f('fk_strike_case_unit_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_strike_case')),
        sa.UniqueConstraint('case_number', name=op.f('uq_strike_case_case_number')),
    )
    op.create_index('ix_strike_case_filed', 'strike_case', ['filed_on', 'unit'])
    op.create_table(
        'strike_case_lead',
        sa.Column('case_id', BigId, nullable=False),
        sa.Column('lead_id', BigId, nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['strike_case.id'], name=op.f('fk_strike_case_lead_case_id_strike_case'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_strike_case_lead_lead_id_lead'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', 'lead_id', name=op.f('pk_strike_case_lead')),
    )
    op.create_index(op.f('ix_strike_case_lead_lead_id'), 'strike_case_lead', ['lead_id'])
    op.create_table(
        'strike_case_subject',
        sa.Column('case_id', BigId, nullable=False),
        sa.Column('subject_id', BigId, nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['strike_case.id'],
                                name=op.f('fk_strike_case_subject_case_id_strike_case'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_strike_case_subject_subject_id_subject'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', 'subject_id', name=op.f('pk_strike_case_subject')),
    )
    op.create_index(op.f('ix_strike_case_subject_subject_id'), 'strike_case_subject', ['subject_id'])


def downgrade():
    op.drop_index(op.f('ix_strike_case_subject_subject_id'), table_name='strike_case_subject')
    op.drop_table('strike_case_subject')
    op.drop_index(op.f('ix_strike_case_lead_lead_id'), table_name='strike_case_lead')
    op.drop_table('strike_case_lead')
    op.drop_index('ix_strike_case_filed', table_name='strike_case')
    op.drop_table('strike_case')
    with op.batch_alter_table('unit') as batch:
        batch.drop_column('law_enforcement')
