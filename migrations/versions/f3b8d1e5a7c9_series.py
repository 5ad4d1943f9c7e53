"""Weekly series: a recurrence rule, and appointments that are its occurrences

`series`: an RFC 5545 rule (RRULE and EXDATE lines), its first occurrence's wall-clock time and the
organization's zone. `appointments.series_id`: the series an appointment belongs to (NULL for a
single appointment).

Revision ID: f3b8d1e5a7c9
Revises: e6a2c9d4f7b1
Create Date: 2026-12-07 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b8d1e5a7c9'
down_revision = 'e6a2c9d4f7b1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('dtstart_local', sa.DateTime(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_series_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series'))
    )
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_appointments_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_appointments_series_id_series'), 'series', ['series_id'], ['id'])


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_series_id_series'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_appointments_series_id'))
        batch_op.drop_column('series_id')

    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_org_id'))

    op.drop_table('series')
