"""policy amendment (§14): editions of the policy, their clauses and changes, proposals, start roles

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.alter_column('instance_id', existing_type=sa.Integer(), nullable=True)
    op.create_table(
        'policy_editions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('base_number', sa.Integer(), nullable=True),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('preamble', sa.Text(), nullable=False),
        sa.Column('sections', sa.JSON(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('addition_document_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_policy_editions_instance_id_instances')),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_policy_editions_document_id_documents')),
        sa.ForeignKeyConstraint(['addition_document_id'], ['documents.id'],
                                name=op.f('fk_policy_editions_addition_document_id_documents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_editions')),
        sa.UniqueConstraint('number', name=op.f('uq_policy_editions_number')),
        sa.UniqueConstraint('instance_id', name=op.f('uq_policy_editions_instance_id')),
    )
    op.create_table(
        'policy_clauses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('changed', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['edition_id'], ['policy_editions.id'],
                                name=op.f('fk_policy_clauses_edition_id_policy_editions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_clauses')),
        sa.UniqueConstraint('edition_id', 'number', name=op.f('uq_policy_clauses_edition_id')),
    )
    op.create_index(op.f('ix_policy_clauses_edition_id'), 'policy_clauses', ['edition_id'])
    op.create_index(op.f('ix_policy_clauses_number'), 'policy_clauses', ['number'])
    op.create_table(
        'policy_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('before', sa.Text(), nullable=False),
        sa.Column('after', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['edition_id'], ['policy_editions.id'],
                                name=op.f('fk_policy_changes_edition_id_policy_editions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_changes')),
    )
    op.create_index(op.f('ix_policy_changes_edition_id'), 'policy_changes', ['edition_id'])
    op.create_index(op.f('ix_policy_changes_number'), 'policy_changes', ['number'])
    op.create_table(
        'policy_proposals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('base_edition', sa.Integer(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('proposed', sa.JSON(), nullable=False),
        sa.Column('rationale', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'],
                                name=op.f('fk_policy_proposals_instance_id_instances')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_proposals')),
        sa.UniqueConstraint('instance_id', name=op.f('uq_policy_proposals_instance_id')),
    )
    op.create_index(op.f('ix_policy_proposals_status'), 'policy_proposals', ['status'])
    op.create_table(
        'policy_proposal_clauses',
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'],
                                name=op.f('fk_policy_proposal_clauses_instance_id_instances')),
        sa.PrimaryKeyConstraint('instance_id', 'number', name=op.f('pk_policy_proposal_clauses')),
    )
    op.create_index(op.f('ix_policy_proposal_clauses_number'), 'policy_proposal_clauses', ['number'])
    op.create_table(
        'process_start_roles',
        sa.Column('process_key', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('process_key', 'role', name=op.f('pk_process_start_roles')),
    )


def downgrade() -> None:
    op.drop_table('process_start_roles')
    op.drop_index(op.f('ix_policy_proposal_clauses_number'), table_name='policy_proposal_clauses')
    op.drop_table('policy_proposal_clauses')
    op.drop_index(op.f('ix_policy_proposals_status'), table_name='policy_proposals')
    op.drop_table('policy_proposals')
    op.drop_index(op.f('ix_policy_changes_number'), table_name='policy_changes')
    op.drop_index(op.f('ix_policy_changes_edition_id'), table_name='policy_changes')
    op.drop_table('policy_changes')
    op.drop_index(op.f('ix_policy_clauses_number'), table_name='policy_clauses')
    op.drop_index(op.f('ix_policy_clauses_edition_id'), table_name='policy_clauses')
    op.drop_table('policy_clauses')
    op.drop_table('policy_editions')
    with op.batch_alter_table('documents') as batch:
        batch.alter_column('instance_id', existing_type=sa.Integer(), nullable=False)
