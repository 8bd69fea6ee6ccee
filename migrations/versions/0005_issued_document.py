"""Issued official documents (公文): 交办单, 督办通知书, 催办通知, 整改通知书, 约谈通知书, 办结报告,
each numbered per issuing office and year, stored with its case and never changed.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'issued_document',
        sa.Column('id', BigId, nullable=False),
        sa.Column('number', sa.String(length=100), nullable=False),
        sa.Column('issuer', sa.String(length=40), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('serial', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=400), nullable=False),
        sa.Column('lead_id', BigId, nullable=True),
        sa.Column('instance_id', BigId, nullable=True),
        sa.Column('business_key', sa.String(length=200), nullable=True),
        sa.Column('item_id', BigId, nullable=True),
        sa.Column('supervision_id', BigId, nullable=True),
        sa.Column('task_id', BigId, nullable=True),
        sa.Column('issued_by', sa.String(length=200), nullable=False),
        sa.Column('issued_by_name', sa.String(length=200), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('template_sha256', sa.String(length=64), nullable=False),
        sa.Column('docx', sa.LargeBinary(), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('html_sha256', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['issuer'], ['unit.code'], name=op.f('fk_issued_document_issuer_unit')),
        sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_issued_document_lead_id_lead')),
        sa.ForeignKeyConstraint(['item_id'], ['rectification_item.id'],
                                name=op.f('fk_issued_document_item_id_rectification_item')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_document')),
        sa.UniqueConstraint('number', name=op.f('uq_issued_document_number')),
        sa.UniqueConstraint('issuer', 'year', 'serial', name='uq_issued_document_issuer_year_serial'),
    )
    op.create_index('ix_issued_document_lead', 'issued_document', ['lead_id', 'id'])


def downgrade():
    op.drop_index('ix_issued_document_lead', table_name='issued_document')
    op.drop_table('issued_document')
