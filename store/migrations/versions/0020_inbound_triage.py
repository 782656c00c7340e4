"""inbound triage: staff attach a quarantined message to a case (saying which parent wrote it,
when they know) or dismiss it, each with who, when and why

Adds inbound_mail.triage (CHECK attached, dismissed), triaged_by, triaged_at, triage_reason and
parent_id (a foreign key to parent). Existing rows stay untriaged (null). SQLite: the batch
recreates the table for the CHECK, with foreign keys switched off meanwhile and checked before
it commits (0008's way).

Revision ID: 0020
Revises: 0012
Create Date: 2026-12-02
"""
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0020'
down_revision = '0012'
branch_labels = None
depends_on = None

COLUMNS = (
    ("triage", sqlmodel.sql.sqltypes.AutoString()),
    ("triaged_by", sqlmodel.sql.sqltypes.AutoString()),
    ("triaged_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    ("triage_reason", sqlmodel.sql.sqltypes.AutoString()),
    ("parent_id", sqlmodel.sql.sqltypes.AutoString()),
)


@contextmanager
def _foreign_keys_off() -> Iterator[None]:
    """As in 0008, copied on purpose: a migration is frozen and imports no other migration."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys = OFF")
    yield
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign keys broken by the table recreation: {broken}")
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys = ON")


def upgrade() -> None:
    with _foreign_keys_off():
        with op.batch_alter_table("inbound_mail", schema=None) as batch_op:
            for name, kind in COLUMNS:
                batch_op.add_column(sa.Column(name, kind, nullable=True))
            batch_op.create_foreign_key(
                "fk_inbound_mail_parent_id_parent", "parent", ["parent_id"], ["parent_id"]
            )
            batch_op.create_check_constraint(
                "ck_inbound_mail_triage", "triage IN ('attached', 'dismissed')"
            )


def downgrade() -> None:
    with _foreign_keys_off():
        with op.batch_alter_table("inbound_mail", schema=None) as batch_op:
            batch_op.drop_constraint("ck_inbound_mail_triage", type_="check")
            batch_op.drop_constraint("fk_inbound_mail_parent_id_parent", type_="foreignkey")
            for name, _ in reversed(COLUMNS):
                batch_op.drop_column(name)
