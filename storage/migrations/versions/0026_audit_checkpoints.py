"""the provable audit log: Merkle tree nodes, signed checkpoints, witness mails (issue 17, parts 3 and 4)

- `audit_tree_nodes` (level, idx, hash): every complete subtree of the RFC 6962 Merkle tree over the audit
  entries in seq order (level 0: the leaf hashes, idx = seq − 1), so any inclusion or consistency proof is
  O(log n) lookups. Extended by the checkpoint step, not by each audit append.
- `audit_checkpoints` (tree_size, root_hash, made_at, origin, note): each signed checkpoint, the note text
  exactly as served and signed (C2SP signed note).
- `audit_witness_mails` (tree_size, sent_at, recipients): which checkpoint was e-mailed to the witnesses, when.
- Like audit_events (0001, 0009): all three are insert-only in the database itself: UPDATE and DELETE are
  refused, on SQLite also INSERT OR REPLACE of an existing key, on PostgreSQL also TRUNCATE.

Revision ID: 0026_audit_checkpoints
Revises: 0025_brand_book
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0026_audit_checkpoints'
down_revision = '0025_brand_book'
branch_labels = None
depends_on = None

_KEYS = {"audit_tree_nodes": "level = NEW.level AND idx = NEW.idx",
         "audit_checkpoints": "tree_size = NEW.tree_size",
         "audit_witness_mails": "id = NEW.id"}


def upgrade() -> None:
    op.create_table(
        'audit_tree_nodes',
        sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('hash', sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint('level', 'idx', name='pk_audit_tree_nodes'),
    )
    op.create_table(
        'audit_checkpoints',
        sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('root_hash', sa.String(64), nullable=False),
        sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('origin', sa.String(200), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('tree_size', name='pk_audit_checkpoints'),
    )
    op.create_index('ix_audit_checkpoints_made_at', 'audit_checkpoints', ['made_at'])
    op.create_table(
        'audit_witness_mails',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('tree_size', sa.BigInteger(),
                  sa.ForeignKey('audit_checkpoints.tree_size',
                                name='fk_audit_witness_mails_tree_size_audit_checkpoints'), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recipients', sa.JSON(), nullable=False),
    )
    op.create_index('ix_audit_witness_mails_tree_size', 'audit_witness_mails', ['tree_size'])
    op.create_index('ix_audit_witness_mails_sent_at', 'audit_witness_mails', ['sent_at'])
    if op.get_bind().dialect.name == "sqlite":
        for table, same_key in _KEYS.items():
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is insert-only'); END")
            op.execute(f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                       f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_key}) "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is insert-only: a row cannot be replaced'); END")
        return
    for table in _KEYS:  # audit_refuse() comes from 0009_audit_guards
        op.execute(f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_refuse()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in _KEYS:
        if sqlite:
            for name in ("no_update", "no_delete", "no_replace"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{name}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_index('ix_audit_witness_mails_sent_at', table_name='audit_witness_mails')
    op.drop_index('ix_audit_witness_mails_tree_size', table_name='audit_witness_mails')
    op.drop_table('audit_witness_mails')
    op.drop_index('ix_audit_checkpoints_made_at', table_name='audit_checkpoints')
    op.drop_table('audit_checkpoints')
    op.drop_table('audit_tree_nodes')
