"""the brand book library and element requests (issue 16, part 5)

- `brand_book_editions`: the editions of the brand guideline (§6.2–6.4): version label (unique), effective
  date, note, who uploaded it and when. An edition is never changed; the one in force is the latest whose
  effective date has come.
- `brand_book_files`: the files of an edition (bytes in the blob store by SHA-256).
The element requests of unit heads (§6.4) are instances of the `brand_request` process; their answered files
are ordinary files of the instance, so they need no table.

Revision ID: 0025_brand_book
Revises: 0024_website_changes
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0025_brand_book'
down_revision = '0024_website_changes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'brand_book_editions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('version', sa.String(40), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(),
                  sa.ForeignKey('users.id', name='fk_brand_book_editions_uploaded_by_id_users'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('version', name='uq_brand_book_editions_version'),
    )
    op.create_index('ix_brand_book_editions_effective_on', 'brand_book_editions', ['effective_on'])
    op.create_table(
        'brand_book_files',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('edition_id', sa.Integer(),
                  sa.ForeignKey('brand_book_editions.id', name='fk_brand_book_files_edition_id_brand_book_editions'),
                  nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('content_type', sa.String(100), nullable=False),
    )
    op.create_index('ix_brand_book_files_edition_id', 'brand_book_files', ['edition_id'])
    op.create_index('ix_brand_book_files_sha256', 'brand_book_files', ['sha256'])


def downgrade() -> None:
    op.drop_index('ix_brand_book_files_sha256', table_name='brand_book_files')
    op.drop_index('ix_brand_book_files_edition_id', table_name='brand_book_files')
    op.drop_table('brand_book_files')
    op.drop_index('ix_brand_book_editions_effective_on', table_name='brand_book_editions')
    op.drop_table('brand_book_editions')
