"""Session versions: the session cookie names one, and changing it ends every earlier session

Revision ID: b7c41e2f9a60
Revises: b7c4e2a91f30
Create Date: 2026-12-01 00:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c41e2f9a60'
down_revision = 'b7c4e2a91f30'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows get "initial"; the first sign-out, password or deactivation rotates it.
    for table in ('users', 'clients'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('session_version', sa.String(length=32), nullable=False, server_default='initial')
            )


def downgrade():
    for table in ('users', 'clients'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('session_version')
