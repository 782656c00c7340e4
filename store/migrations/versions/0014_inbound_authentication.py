"""inbound authentication: who sent each message read from the inbox, as proven

Adds inbound_mail.quarantine (the reason's code: malformed, unmatched, not_parent,
unauthenticated, rate_limited), sender_verified (true, false, or null for messages read before
senders were checked) and authentication (the DKIM, SPF and DMARC results and who checked
them), and an index on received_at for the flood limits, which count the last hour's messages.
Existing rows keep their values; their quarantine code is left null (their reason text stays).
Plain nullable columns: SQLite adds them without recreating the table.

Revision ID: 0014
Revises: 0020
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0020'
branch_labels = None
depends_on = None

COLUMNS = (
    ("quarantine", sqlmodel.sql.sqltypes.AutoString()),
    ("sender_verified", sa.Boolean()),
    ("authentication", sqlmodel.sql.sqltypes.AutoString()),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("inbound_mail", sa.Column(name, kind, nullable=True))
    op.create_index("ix_inbound_mail_received_at", "inbound_mail", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_mail_received_at", table_name="inbound_mail")
    with op.batch_alter_table("inbound_mail", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
