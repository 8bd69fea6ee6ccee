"""The State Council's holiday schedule per year, as administrators enter it (engine.workcal):
`calendar_year` (entered, confirmed) and its days `calendar_official_day`.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_year',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('entered_by', sa.String(length=200), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('confirmed_by', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_year')),
    )
    op.create_table(
        'calendar_official_day',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('is_workday', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['year'], ['calendar_year.year'],
                                name=op.f('fk_calendar_official_day_year_calendar_year')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_official_day')),
        sa.UniqueConstraint('day', name=op.f('uq_calendar_official_day_day')),
    )
    op.create_index(op.f('ix_calendar_official_day_year'), 'calendar_official_day', ['year'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_calendar_official_day_year'), table_name='calendar_official_day')
    op.drop_table('calendar_official_day')
    op.drop_table('calendar_year')
