"""The campaign (专项行动) with its phases, and the special office's working groups, whose codes are
BPMN candidate groups of their members.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

import engine.store.base

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'campaign',
        sa.Column('id', BigId, nullable=False),
        sa.Column('name_zh', sa.String(length=200), nullable=False),
        sa.Column('name_en', sa.String(length=200), nullable=False),
        sa.Column('level', sa.String(length=20), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('created_at', engine.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', engine.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=True),
        sa.CheckConstraint('first_day <= last_day', name=op.f('ck_campaign_period_in_order')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    )
    op.create_table(
        'campaign_phase',
        sa.Column('id', BigId, nullable=False),
        sa.Column('campaign_id', BigId, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.CheckConstraint('first_day <= last_day', name=op.f('ck_campaign_phase_phase_in_order')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE',
                                name=op.f('fk_campaign_phase_campaign_id_campaign')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_phase')),
    )
    op.create_index('ix_campaign_phase_campaign_days', 'campaign_phase', ['campaign_id', 'first_day'], unique=False)
    op.create_table(
        'working_group',
        sa.Column('id', BigId, nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name_zh', sa.String(length=200), nullable=False),
        sa.Column('name_en', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_working_group')),
        sa.UniqueConstraint('code', name=op.f('uq_working_group_code')),
    )
    op.create_table(
        'working_group_member',
        sa.Column('group_id', BigId, nullable=False),
        sa.Column('user_id', BigId, nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['working_group.id'], ondelete='CASCADE',
                                name=op.f('fk_working_group_member_group_id_working_group')),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE',
                                name=op.f('fk_working_group_member_user_id_app_user')),
        sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_working_group_member')),
    )


def downgrade():
    op.drop_table('working_group_member')
    op.drop_table('working_group')
    op.drop_index('ix_campaign_phase_campaign_days', table_name='campaign_phase')
    op.drop_table('campaign_phase')
    op.drop_table('campaign')
