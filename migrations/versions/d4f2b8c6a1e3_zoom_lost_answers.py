"""Zoom calls whose answer was lost: create attempts followed up by tracking key, PATCHes read back

`zoom_create_attempts` holds every create not yet accounted for; a create in flight at upgrade time (a
tracking key recorded, no meeting adopted yet) becomes an open attempt on the host it went to, so the
follow-up also covers answers lost before the upgrade. `zoom_meetings.verify_at`: when to read back a
meeting whose PATCH lost its answer.

Revision ID: d4f2b8c6a1e3
Revises: c5e1d7a3b902
Create Date: 2026-12-02 09:00:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4f2b8c6a1e3'
down_revision = 'c5e1d7a3b902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('zoom_create_attempts',
    sa.Column('tracking_key', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('host_user_id', sa.String(length=64), nullable=True),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_zoom_create_attempts_org_id_organizations')),
    sa.PrimaryKeyConstraint('tracking_key', name=op.f('pk_zoom_create_attempts'))
    )
    with op.batch_alter_table('zoom_create_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zoom_create_attempts_attempted_at'), ['attempted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_zoom_create_attempts_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('zoom_meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_zoom_meetings_verify_at'), ['verify_at'], unique=False)

    # Naive UTC, as the models store it (the database's own clock may run in another zone).
    now = datetime.now(UTC).replace(tzinfo=None)
    op.get_bind().execute(
        sa.text(
            "INSERT INTO zoom_create_attempts "
            "(tracking_key, org_id, appointment_id, host_user_id, calls, attempted_at) "
            "SELECT z.tracking_key, a.org_id, z.appointment_id, z.host_user_id, 1, :now "
            "FROM zoom_meetings z JOIN appointments a ON a.id = z.appointment_id "
            "WHERE z.tracking_key IS NOT NULL AND z.meeting_id IS NULL"
        ),
        {"now": now},
    )


def downgrade():
    with op.batch_alter_table('zoom_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zoom_meetings_verify_at'))
        batch_op.drop_column('verify_at')

    with op.batch_alter_table('zoom_create_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zoom_create_attempts_org_id'))
        batch_op.drop_index(batch_op.f('ix_zoom_create_attempts_attempted_at'))

    op.drop_table('zoom_create_attempts')
