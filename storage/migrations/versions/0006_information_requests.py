"""written information requests (§11): the register, and documents attached to outgoing e-mail

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'information_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('reg_number', sa.String(length=40), nullable=False),
        sa.Column('requester_name', sa.String(length=300), nullable=False),
        sa.Column('requester_kind', sa.String(length=32), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('postal_address', sa.String(length=500), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('form', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decision', sa.String(length=32), nullable=True),
        sa.Column('ground', sa.String(length=32), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('responsible_unit', sa.String(length=64), nullable=True),
        sa.Column('cost', sa.Numeric(12, 2), nullable=True),
        sa.Column('payment_status', sa.String(length=16), nullable=True),
        sa.Column('payment_requested_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('payment_settled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('letter_document_id', sa.Integer(), nullable=True),
        sa.Column('dispatch_method', sa.String(length=16), nullable=True),
        sa.Column('tracking_number', sa.String(length=100), nullable=True),
        sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=32), nullable=True),
        sa.Column('days_taken', sa.Integer(), nullable=True),
        sa.Column('overdue', sa.Boolean(), nullable=False),
        sa.Column('overdue_seconds', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'],
                                name=op.f('fk_information_requests_instance_id_instances')),
        sa.ForeignKeyConstraint(['letter_document_id'], ['documents.id'],
                                name=op.f('fk_information_requests_letter_document_id_documents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_information_requests')),
        sa.UniqueConstraint('instance_id', name=op.f('uq_information_requests_instance_id')),
        sa.UniqueConstraint('reg_number', name=op.f('uq_information_requests_reg_number')),
    )
    for column in ('received_at', 'due_at', 'answered_at', 'outcome', 'overdue'):
        op.create_index(op.f(f'ix_information_requests_{column}'), 'information_requests', [column])
    with op.batch_alter_table('outbox_mail') as batch:
        batch.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_outbox_mail_document_id_documents'), 'documents', ['document_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('outbox_mail') as batch:
        batch.drop_constraint(op.f('fk_outbox_mail_document_id_documents'), type_='foreignkey')
        batch.drop_column('document_id')
    for column in ('received_at', 'due_at', 'answered_at', 'outcome', 'overdue'):
        op.drop_index(op.f(f'ix_information_requests_{column}'), table_name='information_requests')
    op.drop_table('information_requests')
