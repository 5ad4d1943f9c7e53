"""Zoom meetings follow one rule: staff can add or remove one appointment's meeting

`zoom_meetings.staff_choice`: "added" (Add Zoom meeting, whatever the service says), "removed" (Remove
Zoom meeting, even on a service with "Auto-create Zoom meeting"), or NULL (the service decides).

Revision ID: e6a2c9d4f7b1
Revises: e7a3c5b1d9f2
Create Date: 2026-12-09 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6a2c9d4f7b1'
down_revision = 'e7a3c5b1d9f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('zoom_meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_choice', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('zoom_meetings', schema=None) as batch_op:
        batch_op.drop_column('staff_choice')
