"""Users' session epoch: signing out ends every session of the user, copied cookies included.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('session_epoch')
