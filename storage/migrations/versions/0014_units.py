"""units: kinds and heads; the history of who belonged to which unit and of where each unit stood

Revision ID: 0014_units
Revises: 0013_flow
Create Date: 2026-12-02

A unit gets a `kind` (university, faculty, department, office) and may name its head (`head_id`).
Nothing about belonging is overwritten: `unit_memberships` has a row per stay of a person in a unit
(`ended_at` empty while it lasts) and `unit_parent_history` a row per place of a unit in the tree.
The current state stays in `users.unit_id` and `units.parent_id`; the history rows are written with it.

Backfill: each person with a unit has a membership since the account was created; each unit a parent
row (`started_at` empty: since before the history was kept); a unit with a parent is a department, a top
unit with units under it a faculty, any other an office; the head is the one active person of the unit
with the role unit_head (mcd_head for MCD), when there is exactly one.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_units'
down_revision = '0013_flow'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'unit_memberships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recorded_by', sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_unit_memberships_user_id_users')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_memberships_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_memberships')),
    )
    op.create_index(op.f('ix_unit_memberships_user_id'), 'unit_memberships', ['user_id'])
    op.create_index(op.f('ix_unit_memberships_unit_id'), 'unit_memberships', ['unit_id'])
    op.create_table(
        'unit_parent_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recorded_by', sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_parent_history_unit_id_units')),
        sa.ForeignKeyConstraint(['parent_id'], ['units.id'],
                                name=op.f('fk_unit_parent_history_parent_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_parent_history')),
    )
    op.create_index(op.f('ix_unit_parent_history_unit_id'), 'unit_parent_history', ['unit_id'])
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in place; recreating `units` (batch) would delete the
        # rows the users point at, which foreign keys refuse
        op.add_column('units', sa.Column('kind', sa.String(length=20), nullable=False,
                                         server_default='office'))
        op.execute('ALTER TABLE units ADD COLUMN head_id INTEGER '
                   'CONSTRAINT fk_units_head_id_users REFERENCES users (id)')
    else:
        with op.batch_alter_table('units') as batch:
            batch.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='office'))
            batch.add_column(sa.Column('head_id', sa.Integer(), nullable=True))
            batch.create_foreign_key('fk_units_head_id_users', 'users', ['head_id'], ['id'])
    op.create_index(op.f('ix_units_head_id'), 'units', ['head_id'])
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    units = sa.table('units', sa.column('id', sa.Integer), sa.column('code', sa.String),
                     sa.column('parent_id', sa.Integer), sa.column('kind', sa.String),
                     sa.column('head_id', sa.Integer))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('unit_id', sa.Integer),
                     sa.column('created_at', sa.DateTime(timezone=True)), sa.column('is_active', sa.Boolean))
    roles = sa.table('user_roles', sa.column('user_id', sa.Integer), sa.column('role', sa.String))
    memberships = sa.table('unit_memberships', sa.column('user_id', sa.Integer), sa.column('unit_id', sa.Integer),
                           sa.column('started_at', sa.DateTime(timezone=True)),
                           sa.column('recorded_by', sa.String))
    parents = sa.table('unit_parent_history', sa.column('unit_id', sa.Integer), sa.column('parent_id', sa.Integer),
                       sa.column('started_at', sa.DateTime(timezone=True)), sa.column('recorded_by', sa.String))

    rows = bind.execute(sa.select(units.c.id, units.c.code, units.c.parent_id)).all()
    with_children = {r.parent_id for r in rows if r.parent_id is not None}
    for row in rows:
        kind = 'department' if row.parent_id is not None else 'faculty' if row.id in with_children else 'office'
        head_role = 'mcd_head' if row.code == 'MCD' else 'unit_head'
        heads = bind.execute(
            sa.select(users.c.id).join(roles, roles.c.user_id == users.c.id)
            .where(users.c.unit_id == row.id, users.c.is_active.is_(True), roles.c.role == head_role)
        ).scalars().all()
        bind.execute(sa.update(units).where(units.c.id == row.id)
                     .values(kind=kind, head_id=heads[0] if len(heads) == 1 else None))
        bind.execute(sa.insert(parents).values(unit_id=row.id, parent_id=row.parent_id, started_at=None,
                                               recorded_by=None))
    # the creation time as stored (SQLite keeps it naive UTC, PostgreSQL aware) goes over unchanged
    bind.execute(sa.insert(memberships).from_select(
        ['user_id', 'unit_id', 'started_at', 'recorded_by'],
        sa.select(users.c.id, users.c.unit_id, sa.func.coalesce(users.c.created_at, sa.func.current_timestamp()),
                  sa.null()).where(users.c.unit_id.is_not(None)),
    ))


def downgrade() -> None:
    op.drop_index(op.f('ix_units_head_id'), table_name='units')
    if op.get_bind().dialect.name == 'sqlite':
        # in place (SQLite 3.35+): a batch copy would drop `units` while users point at it
        op.execute('ALTER TABLE units DROP COLUMN head_id')
        op.execute('ALTER TABLE units DROP COLUMN kind')
    else:
        with op.batch_alter_table('units') as batch:
            batch.drop_constraint('fk_units_head_id_users', type_='foreignkey')
            batch.drop_column('head_id')
            batch.drop_column('kind')
    op.drop_index(op.f('ix_unit_parent_history_unit_id'), table_name='unit_parent_history')
    op.drop_table('unit_parent_history')
    op.drop_index(op.f('ix_unit_memberships_unit_id'), table_name='unit_memberships')
    op.drop_index(op.f('ix_unit_memberships_user_id'), table_name='unit_memberships')
    op.drop_table('unit_memberships')
