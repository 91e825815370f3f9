"""media inquiries on the hour clock, the expert pool and the units' media contacts (issue 15)

- `expert_pool_editions`, `expert_pool_members`: each approval by the rector makes a new edition holding the
  whole list (person, topics, languages, formats, term); editions are never changed.
- `unit_media_contacts`: each unit's responsible persons for media questions (§7.10.4); an edit supersedes
  the row, a removal ends it.
- `media_inquiries`: the register of media inquiries (MI-YYYY-NNNNN), its single source (§3.8) and release.
- `media_asks`: one unit's question list and its clock (§7.10.2: 3 h, 6 h, the term or 3 calendar days).

Revision ID: 0020_media
Revises: 0019_dashboard_indexes
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_media'
down_revision = '0019_dashboard_indexes'
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'expert_pool_editions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), sa.ForeignKey('instances.id', name='fk_expert_pool_editions_instance_id_instances'), nullable=True),
        _when('approved_at', nullable=False),
        sa.Column('approved_by_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_expert_pool_editions_approved_by_id_users'), nullable=True),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.UniqueConstraint('number', name='uq_expert_pool_editions_number'),
    )
    op.create_index('ix_expert_pool_editions_instance_id', 'expert_pool_editions', ['instance_id'])
    op.create_table(
        'expert_pool_members',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('edition_id', sa.Integer(), sa.ForeignKey('expert_pool_editions.id', name='fk_expert_pool_members_edition_id_expert_pool_editions'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_expert_pool_members_user_id_users'), nullable=False),
        sa.Column('topics', sa.JSON(), nullable=False),
        sa.Column('search_text', sa.String(2000), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('formats', sa.JSON(), nullable=False),
        sa.Column('term_until', sa.Date(), nullable=False),
        _when('expiry_flagged_at'),
        sa.UniqueConstraint('edition_id', 'user_id', name='uq_expert_pool_members_edition_id_user_id'),
    )
    for column in ('edition_id', 'user_id', 'term_until'):
        op.create_index(f'ix_expert_pool_members_{column}', 'expert_pool_members', [column])
    op.create_table(
        'unit_media_contacts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id', name='fk_unit_media_contacts_unit_id_units'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_unit_media_contacts_user_id_users'), nullable=True),
        sa.Column('name', sa.String(300), nullable=False),
        sa.Column('position', sa.String(300), nullable=False),
        sa.Column('phone', sa.String(50), nullable=False),
        sa.Column('email', sa.String(254), nullable=False),
        _when('created_at', nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_unit_media_contacts_created_by_id_users'), nullable=True),
        _when('confirmed_at', nullable=False),
        _when('ended_at'),
        sa.Column('superseded_by_id', sa.Integer(), sa.ForeignKey('unit_media_contacts.id', name='fk_unit_media_contacts_superseded_by_id_unit_media_contacts'), nullable=True),
        _when('stale_flagged_at'),
    )
    op.create_index('ix_unit_media_contacts_unit_id', 'unit_media_contacts', ['unit_id'])
    op.create_index('ix_unit_media_contacts_user_id', 'unit_media_contacts', ['user_id'])
    op.create_table(
        'media_inquiries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('instance_id', sa.Integer(), sa.ForeignKey('instances.id', name='fk_media_inquiries_instance_id_instances'), nullable=False),
        sa.Column('reg_number', sa.String(40), nullable=False),
        sa.Column('outlet', sa.String(300), nullable=False),
        sa.Column('journalist', sa.String(300), nullable=False),
        sa.Column('contact', sa.String(300), nullable=False),
        sa.Column('received_via', sa.String(32), nullable=True),
        sa.Column('subject', sa.String(300), nullable=False),
        sa.Column('search_text', sa.String(2000), nullable=False),
        sa.Column('questions', sa.JSON(), nullable=False),
        _when('outlet_deadline'),
        _when('registered_at', nullable=False),
        sa.Column('source_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_media_inquiries_source_id_users'), nullable=True),
        sa.Column('related_to_id', sa.Integer(), sa.ForeignKey('instances.id', name='fk_media_inquiries_related_to_id_instances'), nullable=True),
        sa.Column('override_reason', sa.Text(), nullable=True),
        _when('sent_at'),
        sa.Column('clearance', sa.String(16), nullable=True),
        _when('cleared_at'),
        sa.Column('answer_sha256', sa.String(64), nullable=True),
        _when('released_at'),
        sa.Column('release_method', sa.String(32), nullable=True),
        sa.Column('released_to', sa.String(300), nullable=True),
        sa.Column('document_id', sa.Integer(), sa.ForeignKey('documents.id', name='fk_media_inquiries_document_id_documents'), nullable=True),
        sa.Column('outcome', sa.String(32), nullable=True),
        sa.UniqueConstraint('instance_id', name='uq_media_inquiries_instance_id'),
        sa.UniqueConstraint('reg_number', name='uq_media_inquiries_reg_number'),
    )
    for column in ('registered_at', 'source_id', 'related_to_id', 'outcome'):
        op.create_index(f'ix_media_inquiries_{column}', 'media_inquiries', [column])
    op.create_table(
        'media_asks',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('inquiry_id', sa.Integer(), sa.ForeignKey('media_inquiries.id', name='fk_media_asks_inquiry_id_media_inquiries'), nullable=False),
        sa.Column('instance_id', sa.Integer(), sa.ForeignKey('instances.id', name='fk_media_asks_instance_id_instances'), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id', name='fk_media_asks_unit_id_units'), nullable=False),
        sa.Column('urgency', sa.String(16), nullable=False),
        _when('term_at'),
        _when('sent_at', nullable=False),
        _when('due_at', nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        _when('answered_at'),
        sa.Column('answered_by_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_media_asks_answered_by_id_users'), nullable=True),
        sa.Column('late_seconds', sa.BigInteger(), nullable=True),
        _when('escalated_at'),
        sa.Column('overdue', sa.Boolean(), nullable=False),
        sa.Column('redirected_from_id', sa.Integer(), sa.ForeignKey('media_asks.id', name='fk_media_asks_redirected_from_id_media_asks'), nullable=True),
        sa.Column('task_id', sa.String(36), nullable=True),
        sa.Column('answer_task_id', sa.String(36), nullable=True),
    )
    for column in ('inquiry_id', 'instance_id', 'unit_id', 'due_at', 'status', 'task_id'):
        op.create_index(f'ix_media_asks_{column}', 'media_asks', [column])


def downgrade() -> None:
    for table in ('media_asks', 'media_inquiries', 'unit_media_contacts', 'expert_pool_members',
                  'expert_pool_editions'):
        op.drop_table(table)
