"""Zoom hosts per team member, the connection's mode, per-service meeting settings

`zoom_connections.mode` ("user" for every existing connection: it was made with user-level scopes);
`zoom_account_users` (the connected account's users, as last listed) and `zoom_hosts` (each team
member's Zoom host); on `zoom_meetings` the wanted and actual host and the settings asked for and
applied; on `services` the meeting settings, defaulting to what Zoom applied when none were sent.
Existing meetings get no host (NULL = the Zoom user who connected, which is who created them).

Revision ID: c3d9a7e5f1b2
Revises: b7c41e2f9a60
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d9a7e5f1b2'
down_revision = 'b7c41e2f9a60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('zoom_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mode', sa.String(length=10), nullable=False, server_default='user'))

    op.create_table('zoom_account_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('zoom_user_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('listed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'zoom_user_id', name='uq_zoom_account_users_org_user')
    )
    with op.batch_alter_table('zoom_account_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zoom_account_users_org_id'), ['org_id'], unique=False)

    op.create_table('zoom_hosts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('zoom_user_id', sa.String(length=64), nullable=True),
    sa.Column('zoom_email', sa.String(length=254), nullable=True),
    sa.Column('source', sa.String(length=5), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    with op.batch_alter_table('zoom_hosts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zoom_hosts_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('zoom_meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wanted_host_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('host_user_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('host_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('synced_settings', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('applied_settings', sa.JSON(), nullable=True))

    with op.batch_alter_table('services', schema=None) as batch_op:
        for name in ('zoom_waiting_room', 'zoom_join_before_host', 'zoom_mute_upon_entry'):
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column('zoom_auto_recording', sa.String(length=5), nullable=False, server_default='none')
        )
        batch_op.add_column(
            sa.Column('zoom_require_passcode', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        for name in ('zoom_require_passcode', 'zoom_auto_recording', 'zoom_mute_upon_entry',
                     'zoom_join_before_host', 'zoom_waiting_room'):
            batch_op.drop_column(name)
    with op.batch_alter_table('zoom_meetings', schema=None) as batch_op:
        for name in ('applied_settings', 'synced_settings', 'host_email', 'host_user_id', 'wanted_host_id'):
            batch_op.drop_column(name)
    with op.batch_alter_table('zoom_hosts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zoom_hosts_org_id'))
    op.drop_table('zoom_hosts')
    with op.batch_alter_table('zoom_account_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zoom_account_users_org_id'))
    op.drop_table('zoom_account_users')
    with op.batch_alter_table('zoom_connections', schema=None) as batch_op:
        batch_op.drop_column('mode')
