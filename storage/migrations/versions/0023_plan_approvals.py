"""plans and regulations the rector approves (issue 16, part 4)

- `plan_versions`: each approval of the PR plan or the website regulation by the rector (§7.1) makes the next
  version of its kind (items of the plan; text and files of the regulation); the one before is superseded.
- `plan_item_marks`: MCD's record that a plan item happened, on a date (a later mark supersedes, rows kept).

Revision ID: 0023_plan_approvals
Revises: 0022_event_notices
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0023_plan_approvals'
down_revision = '0022_event_notices'
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user(name: str, table: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey('users.id', name=f'fk_{table}_{name}_users'), nullable=True)


def upgrade() -> None:
    op.create_table(
        'plan_versions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), sa.ForeignKey('instances.id', name='fk_plan_versions_instance_id_instances'), nullable=True),
        sa.Column('title', sa.String(500), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=True),
        sa.Column('period_end', sa.Date(), nullable=True),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('file_ids', sa.JSON(), nullable=False),
        _user('drafted_by_id', 'plan_versions'),
        _user('approved_by_id', 'plan_versions'),
        _when('approved_at', nullable=False),
        _when('superseded_at'),
        sa.Column('superseded_by_id', sa.Integer(), sa.ForeignKey('plan_versions.id', name='fk_plan_versions_superseded_by_id_plan_versions'), nullable=True),
        sa.UniqueConstraint('kind', 'number', name='uq_plan_versions_kind_number'),
        sa.UniqueConstraint('instance_id', name='uq_plan_versions_instance_id'),
    )
    op.create_index('ix_plan_versions_kind', 'plan_versions', ['kind'])
    op.create_table(
        'plan_item_marks',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('version_id', sa.Integer(), sa.ForeignKey('plan_versions.id', name='fk_plan_item_marks_version_id_plan_versions'), nullable=False),
        sa.Column('item', sa.String(64), nullable=False),
        sa.Column('done_on', sa.Date(), nullable=False),
        sa.Column('note', sa.String(2000), nullable=False),
        _user('marked_by_id', 'plan_item_marks'),
        _when('marked_at', nullable=False),
    )
    op.create_index('ix_plan_item_marks_version_id', 'plan_item_marks', ['version_id'])


def downgrade() -> None:
    op.drop_index('ix_plan_item_marks_version_id', table_name='plan_item_marks')
    op.drop_table('plan_item_marks')
    op.drop_index('ix_plan_versions_kind', table_name='plan_versions')
    op.drop_table('plan_versions')
