"""Group sessions: a service's capacity (more than one client makes it a group) and each group
appointment's participants

Revision ID: f1a8b3c5d7e9
Revises: f3b8d1c6a2e4
Create Date: 2026-12-07 03:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f1a8b3c5d7e9"
down_revision = "f3b8d1c6a2e4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "appointment_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("appointment_id", "client_id", name="uq_participants_appointment_client"),
    )
    with op.batch_alter_table("appointment_participants", schema=None) as batch_op:
        batch_op.create_index("ix_appointment_participants_client_id", ["client_id"], unique=False)


def downgrade():
    with op.batch_alter_table("appointment_participants", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_participants_client_id")
    op.drop_table("appointment_participants")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("capacity")
