"""violation reports (issue 16, part 2)

- `violation_reports`: the register of violation reports (VR-YYYY-NNNNN, §1.6, §13.1–13.3): the clause the
  reporter thinks was breached, when, the head of MCD's assessment, measures, referral and the rector's
  decision. No reporter column: who reported is the instance's starter, withheld by the process kind.

Revision ID: 0021_violation_reports
Revises: 0020_media
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0021_violation_reports'
down_revision = '0020_media'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'violation_reports',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('instance_id', sa.Integer(), sa.ForeignKey('instances.id', name='fk_violation_reports_instance_id_instances'), nullable=False),
        sa.Column('reg_number', sa.String(40), nullable=False),
        sa.Column('clause', sa.String(32), nullable=False),
        sa.Column('happened_on', sa.Date(), nullable=False),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_where', sa.String(500), nullable=True),
        sa.Column('assessment', sa.String(16), nullable=True),
        sa.Column('measures', sa.JSON(), nullable=False),
        sa.Column('asks', sa.JSON(), nullable=False),
        sa.Column('referred', sa.Boolean(), nullable=False),
        sa.Column('rector_decision', sa.String(32), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(32), nullable=True),
        sa.UniqueConstraint('instance_id', name='uq_violation_reports_instance_id'),
        sa.UniqueConstraint('reg_number', name='uq_violation_reports_reg_number'),
    )
    op.create_index('ix_violation_reports_clause', 'violation_reports', ['clause'])
    op.create_index('ix_violation_reports_reported_at', 'violation_reports', ['reported_at'])
    op.create_index('ix_violation_reports_outcome', 'violation_reports', ['outcome'])


def downgrade() -> None:
    op.drop_index('ix_violation_reports_outcome', table_name='violation_reports')
    op.drop_index('ix_violation_reports_reported_at', table_name='violation_reports')
    op.drop_index('ix_violation_reports_clause', table_name='violation_reports')
    op.drop_table('violation_reports')
