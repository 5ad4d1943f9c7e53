"""Zoom sync bookkeeping on appointments: the deciding service, retry attempts and the next-try time

Revision ID: 5a1c0e7d9b21
Revises: 3f18c7edb0f9
Create Date: 2026-11-24 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1c0e7d9b21'
down_revision = '3f18c7edb0f9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_wanted_service_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('zoom_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('zoom_retry_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('zoom_retry_at')
        batch_op.drop_column('zoom_attempts')
        batch_op.drop_column('zoom_wanted_service_id')
