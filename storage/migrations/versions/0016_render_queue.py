"""documents rendered in the background: an index on the documents whose PDF is pending

Revision ID: 0016_render_queue
Revises: 0015_routing
Create Date: 2026-12-02

A decision commits its documents without their PDF (`sha256` null); the worker drains that queue,
claiming each pending row with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL. The partial index
keeps finding the pending ones cheap however many documents were issued.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016_render_queue'
down_revision = '0015_routing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_documents_pending', 'documents', ['id'],
                    postgresql_where=sa.text('sha256 IS NULL'), sqlite_where=sa.text('sha256 IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_documents_pending', table_name='documents')
