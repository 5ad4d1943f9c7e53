"""Zoom meetings get a table of their own (one row per appointment that involved Zoom)

The appointments' zoom_* columns move to `zoom_meetings`, rows carried over as they are (encrypted
values are copied as stored). Appointments that never involved Zoom get no row. The deciding service
(zoom_wanted_service_id) is dropped: the booking service now says when the service changed.

Revision ID: b7c4e2a91f30
Revises: 0d7e9639e81b
Create Date: 2026-12-01 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c4e2a91f30'
down_revision = '0d7e9639e81b'
branch_labels = None
depends_on = None

# zoom_meetings column ← appointments column
CARRIED = {
    'wanted': 'zoom_wanted',
    'state': 'zoom_state',
    'sync_requested_at': 'zoom_sync_requested_at',
    'attempts': 'zoom_attempts',
    'retry_at': 'zoom_retry_at',
    'error': 'zoom_error',
    'tracking_key': 'zoom_tracking_key',
    'meeting_id': 'zoom_meeting_id',
    'join_url': 'zoom_join_url',
    'start_url': 'zoom_start_url',
    'start_url_issued_at': 'zoom_start_url_issued_at',
    'passcode': 'zoom_passcode',
    'client_id': 'zoom_client_id',
    'synced_start_at': 'zoom_synced_start_at',
    'synced_duration': 'zoom_synced_duration',
    'synced_topic': 'zoom_synced_topic',
}
INVOLVED_ZOOM = (
    "zoom_wanted OR zoom_state <> 'none' OR zoom_meeting_id IS NOT NULL "
    "OR zoom_tracking_key IS NOT NULL OR zoom_sync_requested_at IS NOT NULL"
)


def upgrade():
    op.create_table('zoom_meetings',
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('wanted', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('sync_requested_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('retry_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('tracking_key', sa.String(length=64), nullable=True),
    sa.Column('meeting_id', sa.String(length=32), nullable=True),
    sa.Column('join_url', sa.Text(), nullable=True),
    sa.Column('start_url', sa.Text(), nullable=True),
    sa.Column('start_url_issued_at', sa.DateTime(), nullable=True),
    sa.Column('passcode', sa.Text(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('synced_start_at', sa.DateTime(), nullable=True),
    sa.Column('synced_duration', sa.Integer(), nullable=True),
    sa.Column('synced_topic', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_zoom_meetings_appointment_id_appointments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('appointment_id', name=op.f('pk_zoom_meetings'))
    )
    with op.batch_alter_table('zoom_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zoom_meetings_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zoom_meetings_sync_requested_at'), ['sync_requested_at'], unique=False)

    targets = ", ".join(['appointment_id', *CARRIED])
    sources = ", ".join(['id', *CARRIED.values()])
    op.execute(f"INSERT INTO zoom_meetings ({targets}) SELECT {sources} FROM appointments WHERE {INVOLVED_ZOOM}")

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_zoom_sync_requested_at')
        for column in [*CARRIED.values(), 'zoom_wanted_service_id']:
            batch_op.drop_column(column)


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_wanted', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('zoom_state', sa.String(length=10), server_default='none', nullable=False))
        batch_op.add_column(sa.Column('zoom_sync_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('zoom_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('zoom_tracking_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('zoom_meeting_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('zoom_join_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('zoom_start_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('zoom_start_url_issued_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('zoom_passcode', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('zoom_synced_start_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('zoom_synced_duration', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('zoom_synced_topic', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('zoom_client_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('zoom_wanted_service_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('zoom_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('zoom_retry_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_appointments_zoom_sync_requested_at', ['zoom_sync_requested_at'], unique=False)
    for target, source in CARRIED.items():
        op.execute(
            f"UPDATE appointments SET {source} = "
            f"(SELECT {target} FROM zoom_meetings WHERE zoom_meetings.appointment_id = appointments.id) "
            "WHERE id IN (SELECT appointment_id FROM zoom_meetings)"
        )
    op.drop_table('zoom_meetings')
