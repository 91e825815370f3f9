"""positions in three languages: users.position_kk / position_ru / position_en replace users.position

Revision ID: 0010_positions
Revises: 0009_audit_guards
Create Date: 2026-12-03

A position is printed on documents in the document's language (a Kazakh letter is signed
"Ректор", not "Rector"), so it is kept in kk, ru and en like a unit's name. The existing value
(one string, in practice English) is kept: it becomes the English position and, until an
administrator translates it, the Kazakh and Russian one too. Downgrade keeps the English one.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_positions'
down_revision = '0009_audit_guards'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('position_kk', sa.String(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('position_ru', sa.String(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('position_en', sa.String(length=200), nullable=False, server_default=''))
    op.execute("UPDATE users SET position_kk = COALESCE(position, ''), position_ru = COALESCE(position, ''), "
               "position_en = COALESCE(position, '')")
    with op.batch_alter_table('users') as batch:
        batch.drop_column('position')


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('position', sa.String(length=200), nullable=False, server_default=''))
    op.execute("UPDATE users SET position = position_en")
    with op.batch_alter_table('users') as batch:
        batch.drop_column('position_en')
        batch.drop_column('position_ru')
        batch.drop_column('position_kk')
