"""timer worker: a partial index holding exactly the instances the due query may pick

The due query (`processes/usecases/timers.py`) is `status = 'running' AND error IS NULL AND
next_timer_at <= now ORDER BY next_timer_at LIMIT n`. The partial index holds only running
instances that are not in error, so finished instances (next_timer_at NULL) and instances waiting
for an administrator's retry are not in it; it replaces the plain index on next_timer_at, which
nothing else reads.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

DUE = "status = 'running' AND error IS NULL"


def upgrade() -> None:
    op.create_index('ix_instances_due_timer', 'instances', ['next_timer_at'], unique=False,
                    sqlite_where=sa.text(DUE), postgresql_where=sa.text(DUE))
    op.drop_index('ix_instances_next_timer_at', table_name='instances')


def downgrade() -> None:
    op.create_index('ix_instances_next_timer_at', 'instances', ['next_timer_at'], unique=False)
    op.drop_index('ix_instances_due_timer', table_name='instances')
