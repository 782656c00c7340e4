"""state checks: every state column holds one of its known values

The values are written out here, not imported from casework/records.py: a migration says
what the schema was at this revision, whatever the enums become later. On SQLite the batch
recreates each table (SQLite cannot add a CHECK to an existing table), keeping its rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

CHECKS = (
    ("notice", "status", ("in_progress", "breached", "improved", "not_improved", "withdrawn")),
    ("notice_delivery", "route", ("email", "post")),
    (
        "notice_delivery",
        "state",
        ("queued", "sent", "failed", "awaiting_post", "posted", "hand_delivered"),
    ),
    ("outgoing_mail", "state", ("queued", "sending", "sent", "failed")),
    ("printed_letter", "delivered_how", ("post", "hand")),
    ("alert_post", "state", ("posting", "posted")),
)


@contextmanager
def _foreign_keys_off() -> Iterator[None]:
    """SQLite: recreating a table drops the old one, which with foreign keys on deletes its
    rows (failing while other tables point at them). So, as SQLite's ALTER TABLE advice says,
    switch them off (outside a transaction, where the pragma works), check them all before
    the recreations commit, and switch them back on."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys = OFF")
    yield
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign keys broken by the table recreations: {broken}")
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys = ON")


def upgrade() -> None:
    with _foreign_keys_off():
        for table in dict.fromkeys(t for t, _, _ in CHECKS):  # one recreation per table
            with op.batch_alter_table(table, schema=None) as batch_op:
                for _, column, values in (c for c in CHECKS if c[0] == table):
                    allowed = ", ".join(f"'{v}'" for v in values)
                    batch_op.create_check_constraint(
                        f"ck_{table}_{column}", f"{column} IN ({allowed})"
                    )


def downgrade() -> None:
    with _foreign_keys_off():
        for table in dict.fromkeys(t for t, _, _ in reversed(CHECKS)):
            with op.batch_alter_table(table, schema=None) as batch_op:
                for _, column, _ in (c for c in CHECKS if c[0] == table):
                    batch_op.drop_constraint(f"ck_{table}_{column}", type_="check")
