"""people: full names in Kazakh, Russian and English; one-time password links

Revision ID: 0011_people
Revises: 0010_positions
Create Date: 2026-12-02

`users.full_name` stays the Kazakh (default) name that everything printing a name uses; the Russian
and English ones are new and start empty (a missing language takes another's). `password_links`
holds the one-time links an administrator issues so that a person sets their own password: only the
SHA-256 of the token is stored; a link expires after 24 hours and is used once.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_people'
down_revision = '0010_positions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('full_name_ru', sa.String(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('full_name_en', sa.String(length=200), nullable=False, server_default=''))
    op.create_table(
        'password_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_links_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_password_links_token_hash')),
    )
    with op.batch_alter_table('password_links') as batch:
        batch.create_index(batch.f('ix_password_links_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('password_links') as batch:
        batch.drop_index(batch.f('ix_password_links_user_id'))
    op.drop_table('password_links')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('full_name_en')
        batch.drop_column('full_name_ru')
