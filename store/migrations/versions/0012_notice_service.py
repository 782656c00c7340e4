"""notice service and outcomes: the improvement period as served (it runs only once every
parent has the notice), what the review found at its end, and staff's decision

Adds notice.served_start/served_end (null until every parent is served: existing notices are
re-planned by the next daily review from their deliveries), review_outcome (CHECK improved,
not_improved, undecided), further_at_end, decided_by/decided_on/decision_reason, and the
status `undecided`. Existing rows keep their values. The values are written out here, not
imported, as in 0008. SQLite: the batch recreates the table for the CHECKs, with foreign keys
switched off meanwhile and checked before it commits (0008's way).

Revision ID: 0012
Revises: 0015
Create Date: 2026-12-02
"""
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0015'
branch_labels = None
depends_on = None

OLD_STATUSES = ("in_progress", "breached", "improved", "not_improved", "withdrawn")
STATUSES = ("in_progress", "breached", "improved", "not_improved", "undecided", "withdrawn")
OUTCOMES = ("improved", "not_improved", "undecided")
COLUMNS = (
    ("served_start", sa.Date()),
    ("served_end", sa.Date()),
    ("review_outcome", sa.String()),
    ("further_at_end", sa.Integer()),
    ("decided_by", sa.String()),
    ("decided_on", sa.Date()),
    ("decision_reason", sa.Text()),
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


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
        with op.batch_alter_table("notice", schema=None) as batch_op:
            for name, kind in COLUMNS:
                batch_op.add_column(sa.Column(name, kind, nullable=True))
            batch_op.drop_constraint("ck_notice_status", type_="check")
            batch_op.create_check_constraint("ck_notice_status", _in("status", STATUSES))
            batch_op.create_check_constraint(
                "ck_notice_review_outcome", _in("review_outcome", OUTCOMES)
            )


def downgrade() -> None:
    # An undecided notice had no status before 0012: open again, so the review of that
    # revision decides it by its own rule (the count) rather than this one guessing.
    op.execute("UPDATE notice SET status = 'in_progress' WHERE status = 'undecided'")
    with _foreign_keys_off():
        with op.batch_alter_table("notice", schema=None) as batch_op:
            batch_op.drop_constraint("ck_notice_review_outcome", type_="check")
            batch_op.drop_constraint("ck_notice_status", type_="check")
            batch_op.create_check_constraint("ck_notice_status", _in("status", OLD_STATUSES))
            for name, _ in reversed(COLUMNS):
                batch_op.drop_column(name)
