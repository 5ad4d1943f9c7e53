"""Clients cancel in the portal up to a cutoff; client emails carry the clinic's contact

`organizations.portal_cancel_cutoff_hours` (how long before the start clients may still cancel in the
portal; 24 unless an admin changes it), `organizations.contact_phone`, `contact_email`,
`contact_address` (the contact block of every client email), and `appointments.cancel_message` (what a
client wrote to the clinic when cancelling in the portal; staff are emailed it).

Revision ID: f3b8d1a6c2e4
Revises: f1b8d3a5c7e9
Create Date: 2026-12-07 02:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b8d1a6c2e4'
down_revision = 'f1b8d3a5c7e9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('portal_cancel_cutoff_hours', sa.Integer(), nullable=False, server_default='24')
        )
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=50), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_address', sa.String(length=500), nullable=False, server_default=''))
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_message', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('cancel_message')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('contact_address')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('portal_cancel_cutoff_hours')
