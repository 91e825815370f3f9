"""each deployed process version keeps the BPMN file it was deployed from, for its diagram

The engine's serialized spec has no diagram interchange (DI), so the diagram of an older version could
only be drawn from the current file, which may have changed since. `process_definitions.diagram` keeps
the BPMN XML a version was built from. Versions deployed before this revision get it at the next
deployment when the current file is still theirs (same checksum); otherwise it stays empty and their
pages say so.

Revision ID: 0018_definition_diagrams
Revises: 0017_list_indexes
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_definition_diagrams'
down_revision = '0017_list_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_definitions') as batch:
        batch.add_column(sa.Column('diagram', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('process_definitions') as batch:
        batch.drop_column('diagram')
