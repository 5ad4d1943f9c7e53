"""Changes made in Zoom, the pre-meeting check and reminders

zoom_meetings gets the Zoom clock of the latest meeting event taken into account (zoom_event_ts: older
or repeated deliveries are stale) and when the pre-meeting health check last looked (checked_at).
Organizations get reminder settings: on by default, 24 hours before the start; appointments the start
time their reminder was queued for (reminded_for: a reschedule owes a new one). The new Zoom states
("vanished", "drifted") fit the existing state column.

Revision ID: c5e1d7a3b902
Revises: c3d9a7e5f1b2
Create Date: 2026-12-08 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e1d7a3b902'
down_revision = 'c3d9a7e5f1b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('zoom_meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_event_ts', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('reminders_enabled', sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column('reminder_lead_hours', sa.Integer(), nullable=False, server_default='24')
        )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_for', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('reminded_for')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('reminder_lead_hours')
        batch_op.drop_column('reminders_enabled')
    with op.batch_alter_table('zoom_meetings', schema=None) as batch_op:
        batch_op.drop_column('checked_at')
        batch_op.drop_column('zoom_event_ts')
