"""absences and substitution: the absences table; inbox_tasks.acting_for_id

Revision ID: 0012_absences
Revises: 0011_people
Create Date: 2026-12-02

An absence (from, to: Almaty dates, both included) sends the person's tasks of the processes it covers
(none listed = all) to a substitute. Nothing is deleted: ending an absence early sets `ended_at`.
A task held by a substitute names the absent person in `inbox_tasks.acting_for_id`.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_absences'
down_revision = '0011_people'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'absences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('substitute_id', sa.Integer(), nullable=False),
        sa.Column('processes', sa.JSON(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False, server_default=''),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_absences_user_id_users')),
        sa.ForeignKeyConstraint(['substitute_id'], ['users.id'], name=op.f('fk_absences_substitute_id_users')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_absences_created_by_id_users')),
        sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_absences_ended_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_absences')),
    )
    op.create_index(op.f('ix_absences_user_id'), 'absences', ['user_id'])
    op.create_index(op.f('ix_absences_starts_on'), 'absences', ['starts_on'])
    op.create_index(op.f('ix_absences_ends_on'), 'absences', ['ends_on'])
    with op.batch_alter_table('inbox_tasks') as batch:
        batch.add_column(sa.Column('acting_for_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_inbox_tasks_acting_for_id_users'), 'users', ['acting_for_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('inbox_tasks') as batch:
        batch.drop_constraint(batch.f('fk_inbox_tasks_acting_for_id_users'), type_='foreignkey')
        batch.drop_column('acting_for_id')
    op.drop_index(op.f('ix_absences_ends_on'), table_name='absences')
    op.drop_index(op.f('ix_absences_starts_on'), table_name='absences')
    op.drop_index(op.f('ix_absences_user_id'), table_name='absences')
    op.drop_table('absences')
