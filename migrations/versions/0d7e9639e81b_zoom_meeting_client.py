"""Zoom meetings remember the client they were made for (a new client gets a new meeting)

Revision ID: 0d7e9639e81b
Revises: 8e9ae11a24c3
Create Date: 2026-11-24 21:00:03.204017

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0d7e9639e81b'
down_revision = '8e9ae11a24c3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_client_id', sa.Integer(), nullable=True))
    # Meetings that exist already were made for the client the appointment has now.
    op.execute(
        "UPDATE appointments SET zoom_client_id = client_id WHERE zoom_meeting_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('zoom_client_id')
