"""audit guards: no REPLACE of an entry (SQLite), no TRUNCATE (PostgreSQL), a head that only moves forward

Revision ID: 0009_audit_guards
Revises: 0008
Create Date: 2026-12-02

- SQLite: INSERT OR REPLACE (and REPLACE INTO) deletes the conflicting row without firing delete
  triggers (recursive_triggers is off), so an entry could be swapped for another with the same seq or
  hash. A BEFORE INSERT trigger refuses an insert whose seq or hash exists already.
- PostgreSQL: the row trigger does not fire on TRUNCATE; a statement-level BEFORE TRUNCATE trigger
  refuses it on audit_events and audit_head.
- Both: audit_head may not be deleted (or replaced, or truncated), and an UPDATE may only move it
  forward onto an entry of the chain (a higher seq with that entry's hash); appending does exactly
  that, after inserting the entry.
"""
from alembic import op

revision = '0009_audit_guards'
down_revision = '0008'
branch_labels = None
depends_on = None

_SQLITE = {
    "audit_events_no_replace": (
        "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
        "WHEN EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq) "
        "OR EXISTS (SELECT 1 FROM audit_events WHERE hash = NEW.hash) "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is insert-only: an entry cannot be replaced'); END"),
    "audit_head_no_delete": (
        "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END"),
    "audit_head_no_replace": (
        "CREATE TRIGGER audit_head_no_replace BEFORE INSERT ON audit_head "
        "WHEN EXISTS (SELECT 1 FROM audit_head WHERE id = NEW.id) "
        "BEGIN SELECT RAISE(ABORT, 'audit_head cannot be replaced'); END"),
    "audit_head_forward_only": (
        "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head "
        "WHEN NOT COALESCE(NEW.id IS OLD.id AND ((NEW.seq IS OLD.seq AND NEW.hash IS OLD.hash) "
        "OR (NEW.seq > OLD.seq AND EXISTS (SELECT 1 FROM audit_events e "
        "WHERE e.seq = NEW.seq AND e.hash = NEW.hash))), 0) "
        "BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward onto an entry of the chain'); END"),
}

_PG = [
    "CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION '% of % is refused (the audit trail is insert-only)', TG_OP, TG_TABLE_NAME; END $$",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse()",
    "CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF NEW.id IS DISTINCT FROM OLD.id OR NOT COALESCE((NEW.seq = OLD.seq AND NEW.hash = OLD.hash) "
    "OR (NEW.seq > OLD.seq AND EXISTS (SELECT 1 FROM audit_events e "
    "WHERE e.seq = NEW.seq AND e.hash = NEW.hash)), false) THEN "
    "RAISE EXCEPTION 'audit_head only moves forward onto an entry of the chain'; "
    "END IF; "
    "RETURN NEW; "
    "END $$",
    "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head "
    "FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for sql in _SQLITE.values():
            op.execute(sql)
        return
    for sql in _PG:
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _SQLITE:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head")
    op.execute("DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_head")
    op.execute("DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head")
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
    op.execute("DROP FUNCTION IF EXISTS audit_head_forward_only()")
    op.execute("DROP FUNCTION IF EXISTS audit_refuse()")
