"""penalties: a penalty notice's later state (paid, withdrawn, unpaid, prosecution considered),
and the day a notice's threshold was met (notice.met_on, null for earlier notices: the issue date)

Existing notices become `issued`, or `withdrawn` where they were marked withdrawn. The values are
written out here, not imported, as in 0008. SQLite: the batch recreates the table for the CHECK,
with foreign keys switched off meanwhile and checked before it commits (0008's way).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01
"""
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None

STATES = ("issued", "paid", "withdrawn", "unpaid", "prosecution_considered")


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
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("met_on", sa.Date(), nullable=True))
    with _foreign_keys_off():
        with op.batch_alter_table("penalty_notice", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("state", sa.String(), nullable=False, server_default="issued")
            )
        op.execute("UPDATE penalty_notice SET state = 'withdrawn' WHERE withdrawn")
        with op.batch_alter_table("penalty_notice", schema=None) as batch_op:
            allowed = ", ".join(f"'{v}'" for v in STATES)
            batch_op.create_check_constraint("ck_penalty_notice_state", f"state IN ({allowed})")


def downgrade() -> None:
    with _foreign_keys_off():
        with op.batch_alter_table("penalty_notice", schema=None) as batch_op:
            batch_op.drop_constraint("ck_penalty_notice_state", type_="check")
            batch_op.drop_column("state")
        with op.batch_alter_table("notice", schema=None) as batch_op:
            batch_op.drop_column("met_on")
