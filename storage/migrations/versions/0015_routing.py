"""routing tables as data: every version of a decision table, and the versions each deployment used

Revision ID: 0015_routing
Revises: 0014_units
Create Date: 2026-12-02

`decision_versions` keeps each version of a decision table (DMN) an administrator saved or a release
shipped: its content, checksum, who, when and why. A deployed process version records in `decisions`
which version of each of its decision tables it was built with; running instances keep their process
version, so they keep the routing they started with.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_routing'
down_revision = '0014_units'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'decision_versions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('decision', sa.String(64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('checksum', sa.String(64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('file_name', sa.String(200), nullable=False),
        sa.Column('file_checksum', sa.String(64), nullable=False),
        sa.Column('source', sa.String(16), nullable=False),
        sa.Column('created_by', sa.String(80), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False, server_default=''),
        sa.UniqueConstraint('decision', 'version', name='uq_decision_versions_decision_version'),
    )
    op.create_index('ix_decision_versions_decision', 'decision_versions', ['decision'])
    with op.batch_alter_table('process_definitions') as batch:
        batch.add_column(sa.Column('decisions', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('process_definitions') as batch:
        batch.drop_column('decisions')
    op.drop_index('ix_decision_versions_decision', table_name='decision_versions')
    op.drop_table('decision_versions')
