"""Staff accounts, cancel reasons, attendance and accent-insensitive client search

- `appointments.cancel_reason` (staff's optional reason), `cancel_email_client` (whether the client was
  emailed about the cancellation), `cancel_reason_in_email` (whether that email carried the reason) and
  `attendance` ("attended" / "no_show", NULL: not marked).
- `clients.search_text`: name, email and phone folded (NFKD, combining marks stripped, casefolded), kept by
  the model; `ix_clients_org_search` on (org_id, search_text) serves the Clients page and the booking
  modal's search. Existing rows are filled here.
- `email_outbox.user_id`: the staff member an invite or password-reset email is for.

Revision ID: f3b8d1c6a2e4
Revises: f3b8d1e5a7c9
Create Date: 2026-12-07 03:00:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b8d1c6a2e4'
down_revision = 'f3b8d1e5a7c9'
branch_labels = None
depends_on = None


def _fold(text):
    # The same folding as conecta.text.fold (kept here: a migration must not change with the code).
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column('cancel_email_client', sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column('cancel_reason_in_email', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('attendance', sa.String(length=10), nullable=True))
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=600), nullable=False, server_default=''))
        batch_op.create_index('ix_clients_org_search', ['org_id', 'search_text'], unique=False)
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_email_outbox_user_id_users', 'users', ['user_id'], ['id'])

    connection = op.get_bind()
    clients = sa.table(
        'clients',
        sa.column('id', sa.Integer),
        sa.column('name', sa.String),
        sa.column('email', sa.String),
        sa.column('phone', sa.String),
        sa.column('search_text', sa.String),
    )
    rows = connection.execute(sa.select(clients.c.id, clients.c.name, clients.c.email, clients.c.phone)).all()
    for row in rows:
        text = " ".join(_fold(part) for part in (row.name, row.email, row.phone) if part)
        connection.execute(clients.update().where(clients.c.id == row.id).values(search_text=text[:600]))


def downgrade():
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_constraint('fk_email_outbox_user_id_users', type_='foreignkey')
        batch_op.drop_column('user_id')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index('ix_clients_org_search')
        batch_op.drop_column('search_text')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('attendance')
        batch_op.drop_column('cancel_reason_in_email')
        batch_op.drop_column('cancel_email_client')
        batch_op.drop_column('cancel_reason')
