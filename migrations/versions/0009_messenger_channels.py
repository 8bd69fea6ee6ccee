"""Messenger channels: a user's 企业微信 userid, the address WeCom application messages go to
(SMS uses the existing `phone`), and each user's choice of channels per kind of message.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('wecom_userid', sa.String(length=64), nullable=True))
    op.create_table(
        'notification_preference',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=150), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preference')),
        sa.UniqueConstraint('username', 'kind', 'channel', name='uq_notification_preference_user_kind_channel'),
    )


def downgrade():
    op.drop_table('notification_preference')
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('wecom_userid')
