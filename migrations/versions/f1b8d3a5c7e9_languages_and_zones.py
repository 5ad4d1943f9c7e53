"""Languages and zones per reader: the organization's default language, each staff member's UI language,
each client's language and time zone (null: the organization's)

Revision ID: f1b8d3a5c7e9
Revises: f1a8b3c5d7e9
Create Date: 2026-12-07 02:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1b8d3a5c7e9'
down_revision = 'f1a8b3c5d7e9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default='en'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('language')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('language')
