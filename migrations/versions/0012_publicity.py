"""Publicity activities (宣传发动): lectures, leaflets, boards, messages, door-to-door visits, media
works and exposed cases, recorded by the unit that held them, with their photos.

Revision ID: 0012
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0014'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'publicity_activity',
        sa.Column('id', BigId, nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('unit', sa.String(length=40), nullable=False),
        sa.Column('community', sa.String(length=40), nullable=True),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('form', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('audience', sa.Integer(), nullable=False),
        sa.Column('materials', sa.Integer(), nullable=False),
        sa.Column('items', sa.Integer(), nullable=False),
        sa.Column('recorded_by', sa.String(length=200), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['unit'], ['unit.code'], name=op.f('fk_publicity_activity_unit_unit')),
        sa.ForeignKeyConstraint(['community'], ['unit.code'], name=op.f('fk_publicity_activity_community_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publicity_activity')),
    )
    op.create_index('ix_publicity_activity_unit', 'publicity_activity', ['unit', 'held_on'])
    op.create_index('ix_publicity_activity_held_on', 'publicity_activity', ['held_on'])
    op.create_index(op.f('ix_publicity_activity_community'), 'publicity_activity', ['community'])
    op.create_table(
        'publicity_photo',
        sa.Column('id', BigId, nullable=False),
        sa.Column('activity_id', BigId, nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('storage_name', sa.String(length=80), nullable=False),
        sa.Column('content_type', sa.String(length=120), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by', sa.String(length=200), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['activity_id'], ['publicity_activity.id'], ondelete='CASCADE',
                                name=op.f('fk_publicity_photo_activity_id_publicity_activity')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publicity_photo')),
        sa.UniqueConstraint('storage_name', name=op.f('uq_publicity_photo_storage_name')),
    )
    op.create_index('ix_publicity_photo_activity', 'publicity_photo', ['activity_id', 'id'])


def downgrade():
    op.drop_index('ix_publicity_photo_activity', table_name='publicity_photo')
    op.drop_table('publicity_photo')
    op.drop_index(op.f('ix_publicity_activity_community'), table_name='publicity_activity')
    op.drop_index('ix_publicity_activity_held_on', table_name='publicity_activity')
    op.drop_index('ix_publicity_activity_unit', table_name='publicity_activity')
    op.drop_table('publicity_activity')
