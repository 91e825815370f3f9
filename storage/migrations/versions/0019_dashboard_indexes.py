"""the deadlines dashboard reads indexes, not cases (issue 14, part 7)

processes/usecases/dashboard.py counts the running cases of each process against their deadlines and the
breaches of the last twelve months in two grouped queries. Two partial indexes hold exactly the columns
they read, so on PostgreSQL each is an index-only scan of the rows it counts, whatever the number of
finished cases (the bench's million instances: see the module):

- the running cases' (process, deadline): the open-cases figure;
- the cases late or still open, by deadline (with process, status and completion): the breaches figure;
- the completed tasks by completion: the median time per step over the last 90 days.

Revision ID: 0019_dashboard_indexes
Revises: 0018_definition_diagrams
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0019_dashboard_indexes'
down_revision = '0018_definition_diagrams'
branch_labels = None
depends_on = None

RUNNING = "status = 'running'"
LATE_OR_OPEN = "due_at IS NOT NULL AND (completed_at IS NULL OR completed_at > due_at)"
COMPLETED = "completed_at IS NOT NULL"

INDEXES = [
    ('ix_instances_running_due', 'instances', ['process_key', 'due_at'], RUNNING),
    ('ix_instances_late', 'instances', ['due_at', 'process_key', 'completed_at'], LATE_OR_OPEN),
    ('ix_inbox_tasks_completed_at', 'inbox_tasks', ['completed_at', 'process_key', 'name', 'created_at', 'state'], COMPLETED),
]


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        op.create_index(name, table, columns, unique=False, sqlite_where=sa.text(where),
                        postgresql_where=sa.text(where))


def downgrade() -> None:
    for name, table, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
