"""PAdES signatures of issued documents (issue 17)

- `document_signatures`: each signed PDF of a document: the file the render stored (signed after the layout, so
  `documents.sha256` is the signed file's), and each later file superseding it (the same with a document timestamp
  added when the timestamp authority had been down: `supersedes_id`). Its SHA-256, size, signer, signing time,
  whether it carries a timestamp and the authority's time, or the authority's failure (`tsa_error`: to be
  timestamped later). Rows are only added; every file ever issued stays recognisable.

Revision ID: 0027_document_signatures
Revises: 0026_audit_checkpoints
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0027_document_signatures'
down_revision = '0026_audit_checkpoints'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'document_signatures',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('document_id', sa.Integer(),
                  sa.ForeignKey('documents.id', name='fk_document_signatures_document_id_documents'), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('signer', sa.String(300), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('timestamped', sa.Boolean(), nullable=False),
        sa.Column('tsa_time', sa.DateTime(timezone=True), nullable=True),
        sa.Column('tsa_error', sa.String(300), nullable=True),
        sa.Column('supersedes_id', sa.Integer(),
                  sa.ForeignKey('document_signatures.id',
                                name='fk_document_signatures_supersedes_id_document_signatures'), nullable=True),
        sa.UniqueConstraint('supersedes_id', name='uq_document_signatures_supersedes_id'),
    )
    op.create_index('ix_document_signatures_document_id', 'document_signatures', ['document_id'])
    op.create_index('ix_document_signatures_sha256', 'document_signatures', ['sha256'])


def downgrade() -> None:
    op.drop_index('ix_document_signatures_sha256', table_name='document_signatures')
    op.drop_index('ix_document_signatures_document_id', table_name='document_signatures')
    op.drop_table('document_signatures')
