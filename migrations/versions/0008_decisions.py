"""Deployed decisions (`decision_definition`, DMN tables versioned like processes), the deployment a
process version came with (`process_definition.deployment_id`), and grading by rule on
`risk_assessment` (the computed grade, the rule, the table, and the reason for choosing another).

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'decision_definition',
        sa.Column('id', BigId, nullable=False),
        sa.Column('decision_key', sa.String(length=200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=400), nullable=False),
        sa.Column('hit_policy', sa.String(length=40), nullable=False),
        sa.Column('checksum', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=400), nullable=False),
        sa.Column('source_xml', sa.LargeBinary(), nullable=False),
        sa.Column('deployment_id', sa.String(length=36), nullable=False),
        sa.Column('deployed_at', When, nullable=False),
        sa.Column('deployed_by', sa.String(length=200), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_definition')),
        sa.UniqueConstraint('decision_key', 'version', name='uq_decision_definition_version'),
    )
    op.create_index('ix_decision_definition_deployment', 'decision_definition', ['deployment_id'])
    with op.batch_alter_table('process_definition') as batch:
        batch.add_column(sa.Column('deployment_id', sa.String(length=36), nullable=True))
    with op.batch_alter_table('risk_assessment') as batch:
        batch.add_column(sa.Column('computed_grade', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('grading_rule', sa.String(length=400), nullable=True))
        batch.add_column(sa.Column('grading_decision', sa.String(length=240), nullable=True))
        batch.add_column(sa.Column('override_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('risk_assessment') as batch:
        batch.drop_column('override_reason')
        batch.drop_column('grading_decision')
        batch.drop_column('grading_rule')
        batch.drop_column('computed_grade')
    with op.batch_alter_table('process_definition') as batch:
        batch.drop_column('deployment_id')
    op.drop_index('ix_decision_definition_deployment', table_name='decision_definition')
    op.drop_table('decision_definition')
