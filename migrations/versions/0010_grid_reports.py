"""Grid workers' reports: where a lead was seen (`lead.address`) and which grid worker reported it
(`grid_report`, read only by that grid worker to follow the lead's status).

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

import engine.store.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('lead') as batch:
        batch.add_column(sa.Column('address', sa.String(length=300), nullable=True))
    op.create_table(
        'grid_report',
        sa.Column('id', BigId, nullable=False),
        sa.Column('lead_id', BigId, nullable=False),
        sa.Column('reported_by', sa.String(length=200), nullable=False),
        sa.Column('community', sa.String(length=40), nullable=True),
        sa.Column('reported_at', engine.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_grid_report_lead_id_lead'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['community'], ['unit.code'], name=op.f('fk_grid_report_community_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_report')),
        sa.UniqueConstraint('lead_id', name=op.f('uq_grid_report_lead_id')),
    )
    op.create_index(op.f('ix_grid_report_reported_by'), 'grid_report', ['reported_by'])


def downgrade():
    op.drop_index(op.f('ix_grid_report_reported_by'), table_name='grid_report')
    op.drop_table('grid_report')
    with op.batch_alter_table('lead') as batch:
        batch.drop_column('address')
