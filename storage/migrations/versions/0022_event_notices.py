"""event pre-notifications (issue 16, part 1)

- `event_notices`: one row per event a unit notified MCD of (§7.4: at least 5 days ahead, else late and
  accepted by the head of MCD), MCD's decision and coverage plan (§7.6) and what was published; kept in step
  with its instance. MCD's calendar reads it by `starts_at`.

Revision ID: 0022_event_notices
Revises: 0021_violation_reports
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0022_event_notices'
down_revision = '0021_violation_reports'
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'event_notices',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('instance_id', sa.Integer(), sa.ForeignKey('instances.id', name='fk_event_notices_instance_id_instances'), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id', name='fk_event_notices_unit_id_units'), nullable=False),
        sa.Column('title', sa.String(500), nullable=False),
        sa.Column('event_kind', sa.String(32), nullable=False),
        _when('starts_at', nullable=False),
        _when('ends_at'),
        sa.Column('place', sa.String(500), nullable=False),
        sa.Column('organiser', sa.String(500), nullable=False),
        sa.Column('audiences', sa.JSON(), nullable=False),
        sa.Column('guests', sa.Text(), nullable=False),
        sa.Column('media', sa.Text(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('requests', sa.JSON(), nullable=False),
        sa.Column('site_languages', sa.JSON(), nullable=False),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        _when('submitted_at', nullable=False),
        sa.Column('covered_by_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_event_notices_covered_by_id_users'), nullable=True),
        sa.Column('channels', sa.JSON(), nullable=False),
        _when('publish_by'),
        _when('decided_at'),
        _when('recorded_at'),
        sa.Column('publications', sa.JSON(), nullable=False),
        sa.UniqueConstraint('instance_id', name='uq_event_notices_instance_id'),
    )
    for column in ('unit_id', 'starts_at', 'status'):
        op.create_index(f'ix_event_notices_{column}', 'event_notices', [column])


def downgrade() -> None:
    for column in ('status', 'starts_at', 'unit_id'):
        op.drop_index(f'ix_event_notices_{column}', table_name='event_notices')
    op.drop_table('event_notices')
