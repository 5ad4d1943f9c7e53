"""A colour per team member, chosen by an admin: the calendar's "Everyone" view tells people apart by it

Revision ID: e7a3c5b1d9f2
Revises: d4f2b8c6a1e3
Create Date: 2026-12-10 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a3c5b1d9f2'
down_revision = 'd4f2b8c6a1e3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('color', sa.String(length=7), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('color')
