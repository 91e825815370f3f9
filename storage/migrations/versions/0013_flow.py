"""the flow of work: claimed queue tasks, delegation to a colleague who prepares a draft

Revision ID: 0013_flow
Revises: 0012_absences
Create Date: 2026-12-02

A task of a role's queue that someone claimed keeps its role and gets the claimer as assignee and
`claimed_at`, so releasing it puts it back in the queue. A holder may ask a colleague to prepare the
task (`delegated_to_id`, `delegated_at`, `delegation_comment`); the colleague's prepared values are
`draft`, which prefills the holder's form.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_flow'
down_revision = '0012_absences'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbox_tasks') as batch:
        batch.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('delegated_to_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('delegated_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('delegation_comment', sa.Text(), nullable=True))
        batch.add_column(sa.Column('draft', sa.JSON(), nullable=True))
        batch.create_foreign_key('fk_inbox_tasks_delegated_to_id_users', 'users', ['delegated_to_id'], ['id'])
        batch.create_index('ix_inbox_tasks_delegated_to_id', ['delegated_to_id'])


def downgrade() -> None:
    with op.batch_alter_table('inbox_tasks') as batch:
        batch.drop_index('ix_inbox_tasks_delegated_to_id')
        batch.drop_constraint('fk_inbox_tasks_delegated_to_id_users', type_='foreignkey')
        batch.drop_column('draft')
        batch.drop_column('delegation_comment')
        batch.drop_column('delegated_at')
        batch.drop_column('delegated_to_id')
        batch.drop_column('claimed_at')
