"""website change requests (issue 16, part 3)

- `website_changes`: one row per unit head's request to change the website (§9.8): the §9.4 section, the page
  addresses, the text per language (§9.1), the wanted date, management's consent and MCD's publication (§9.5);
  kept in step with its instance.
- `website_pages`: the pages each unit answers for (§9.6), learnt from its published requests.
- `website_reviews`: each yearly reminder to a unit head to review the unit's pages (§9.6).

Revision ID: 0024_website_changes
Revises: 0023_plan_approvals
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0024_website_changes'
down_revision = '0023_plan_approvals'
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(name: str, table: str, target: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(f'{target}.id', name=f'fk_{table}_{name}_{target}'),
                     nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'website_changes',
        sa.Column('id', sa.Integer(), primary_key=True),
        _fk('instance_id', 'website_changes', 'instances', nullable=False),
        _fk('unit_id', 'website_changes', 'units', nullable=False),
        sa.Column('title', sa.String(300), nullable=False),
        sa.Column('section', sa.String(64), nullable=False),
        sa.Column('change_kind', sa.String(16), nullable=False),
        sa.Column('pages', sa.JSON(), nullable=False),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('file_ids', sa.JSON(), nullable=False),
        sa.Column('wanted_on', sa.Date(), nullable=False),
        sa.Column('area', sa.String(32), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        _when('submitted_at', nullable=False),
        _fk('consented_by_id', 'website_changes', 'users'),
        _when('decided_at'),
        sa.Column('published_texts', sa.JSON(), nullable=False),
        sa.Column('missing_reasons', sa.JSON(), nullable=False),
        sa.Column('published_url', sa.String(1000), nullable=True),
        sa.Column('published_on', sa.Date(), nullable=True),
        _fk('published_by_id', 'website_changes', 'users'),
        sa.UniqueConstraint('instance_id', name='uq_website_changes_instance_id'),
    )
    for column in ('unit_id', 'wanted_on', 'status'):
        op.create_index(f'ix_website_changes_{column}', 'website_changes', [column])
    op.create_table(
        'website_pages',
        sa.Column('id', sa.Integer(), primary_key=True),
        _fk('unit_id', 'website_pages', 'units', nullable=False),
        sa.Column('address', sa.String(1000), nullable=False),
        sa.Column('section', sa.String(64), nullable=False),
        _fk('last_instance_id', 'website_pages', 'instances'),
        sa.Column('updated_on', sa.Date(), nullable=False),
        sa.UniqueConstraint('unit_id', 'address', name='uq_website_pages_unit_id_address'),
    )
    op.create_index('ix_website_pages_unit_id', 'website_pages', ['unit_id'])
    op.create_table(
        'website_reviews',
        sa.Column('id', sa.Integer(), primary_key=True),
        _fk('unit_id', 'website_reviews', 'units', nullable=False),
        _fk('head_id', 'website_reviews', 'users'),
        _when('flagged_at', nullable=False),
        sa.Column('pages', sa.JSON(), nullable=False),
    )
    op.create_index('ix_website_reviews_unit_id', 'website_reviews', ['unit_id'])


def downgrade() -> None:
    op.drop_index('ix_website_reviews_unit_id', table_name='website_reviews')
    op.drop_table('website_reviews')
    op.drop_index('ix_website_pages_unit_id', table_name='website_pages')
    op.drop_table('website_pages')
    for column in ('status', 'wanted_on', 'unit_id'):
        op.drop_index(f'ix_website_changes_{column}', table_name='website_changes')
    op.drop_table('website_changes')
