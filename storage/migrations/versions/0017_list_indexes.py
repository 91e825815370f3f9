"""every list pages by a key: the indexes its first page, its filtered pages and its next pages read

Each list orders by a key that ends with the row's id (keyset paging, `processes/usecases/paging.py`), so
a page is an index range scan from the cursor, never an OFFSET. The filters a list offers lead the
composite index of that list (process, status, submitter; the audit trail's actor, action, instance).

On PostgreSQL, the text searched by the lists' search boxes (`ILIKE '%…%'`: titles, registration numbers,
requesters) gets trigram indexes (pg_trgm, a trusted extension the schema's owner may create), so a search
among a million cases reads the index, not the table; without pg_trgm available they are left out.

Revision ID: 0017_list_indexes
Revises: 0016_render_queue
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_list_indexes'
down_revision = '0016_render_queue'
branch_labels = None
depends_on = None

PENDING = "answered_at IS NULL"

INDEXES = [
    # all instances (auditors), the instances a caller may read, my submissions
    ('ix_instances_created_id', 'instances', ['created_at', 'id'], None),
    ('ix_instances_process_created_id', 'instances', ['process_key', 'created_at', 'id'], None),
    ('ix_instances_status_created_id', 'instances', ['status', 'created_at', 'id'], None),
    ('ix_instances_starter_created_id', 'instances', ['started_by_id', 'created_at', 'id'], None),
    # the inbox: a person's tasks and a role's queue, ready ones
    ('ix_inbox_tasks_assignee_state', 'inbox_tasks', ['assignee_id', 'state'], None),
    ('ix_inbox_tasks_role_state', 'inbox_tasks', ['role', 'state'], None),
    ('ix_inbox_tasks_completed_by', 'inbox_tasks', ['completed_by_id'], 'completed_by_id IS NOT NULL'),
    # the few tasks someone was asked to prepare (a plain index on a column that is nearly always NULL
    # looks useless to SQLite's planner, which then reads the whole table)
    ('ix_inbox_tasks_delegated', 'inbox_tasks', ['delegated_to_id'], 'delegated_to_id IS NOT NULL'),
    ('ix_inbox_tasks_acting_for', 'inbox_tasks', ['acting_for_id'], 'acting_for_id IS NOT NULL'),
    # the audit trail by seq, filtered by actor, action or instance
    ('ix_audit_events_actor_seq', 'audit_events', ['actor', 'seq'], None),
    ('ix_audit_events_action_seq', 'audit_events', ['action', 'seq'], None),
    ('ix_audit_events_instance_seq', 'audit_events', ['instance_id', 'seq'], None),
    # notifications, newest first per person
    ('ix_notifications_user_id_id', 'notifications', ['user_id', 'id'], None),
    # the archive, latest planned date first
    ('ix_signed_off_materials_planned_id', 'signed_off_materials', ['planned_date', 'id'], None),
    # the register: open requests by due date (a partial index), the others by receipt
    ('ix_information_requests_open_due', 'information_requests', ['due_at', 'id'], PENDING),
    ('ix_information_requests_received_id', 'information_requests', ['received_at', 'id'], None),
]


# PostgreSQL only: trigram indexes for the search boxes (the lists' ILIKE '%…%')
TRIGRAMS = [
    ('ix_instances_title_trgm', 'instances', ['title']),
    ('ix_documents_reg_number_trgm', 'documents', ['reg_number']),
    ('ix_information_requests_text_trgm', 'information_requests', ['reg_number', 'requester_name', 'subject']),
    ('ix_signed_off_materials_text_trgm', 'signed_off_materials', ['title', 'reg_number']),
]


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        kw = {} if where is None else {'sqlite_where': sa.text(where), 'postgresql_where': sa.text(where)}
        op.create_index(name, table, columns, unique=False, **kw)
    # the register's open requests are read through ix_information_requests_open_due; a plain index on
    # answered_at (NULL for every open one) only led SQLite's planner to read them all and sort them
    op.drop_index('ix_information_requests_answered_at', table_name='information_requests')
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    available = bind.execute(sa.text(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm' "
        "AND (installed_version IS NOT NULL OR has_database_privilege(current_database(), 'CREATE'))")).scalar()
    if not available:
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, columns in TRIGRAMS:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({', '.join(c + ' gin_trgm_ops' for c in columns)})")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, _table, _columns in TRIGRAMS:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.create_index('ix_information_requests_answered_at', 'information_requests', ['answered_at'], unique=False)
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
