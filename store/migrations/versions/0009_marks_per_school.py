"""marks per school: the mark table's key gains school_urn

Registers are kept per school (attendance/threshold.py): one school's `Z`, `D` or `#` no longer
replaces another school's mark for the session, so each school's mark is its own row. Existing
rows already carry the school that recorded them and keep it; the summary in pupil_week was
built from them and stays right. On SQLite the table is copied into a new one (SQLite cannot
change a primary key), keeping its rows; its indexes are made again, the partial one with its
WHERE. A small table, `mark_conflict`, lists the sessions two schools' registers disagree on.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD_KEY = ["upn", "day", "session"]
NEW_KEY = ["upn", "day", "session", "school_urn"]


def _drop_indexes() -> None:
    op.drop_index("ix_mark_unresolved_n", table_name="mark")
    op.drop_index("ix_mark_day", table_name="mark")


def _create_indexes() -> None:
    op.create_index("ix_mark_day", "mark", ["day"])
    op.create_index(
        "ix_mark_unresolved_n",
        "mark",
        ["day"],
        postgresql_where=sa.text("code = 'N'"),
        sqlite_where=sa.text("code = 'N'"),
    )


def _rekey(columns: list[str]) -> None:
    _drop_indexes()
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot change a primary key: copy into a new table (no table points at mark).
        op.execute(
            "CREATE TABLE mark_new (upn VARCHAR NOT NULL, day DATE NOT NULL, "
            "session VARCHAR(2) NOT NULL, school_urn VARCHAR NOT NULL, code VARCHAR(2) NOT NULL, "
            f"CONSTRAINT mark_pkey PRIMARY KEY ({', '.join(columns)}), "
            "FOREIGN KEY(school_urn) REFERENCES school (urn), "
            "FOREIGN KEY(upn) REFERENCES pupil (upn))"
        )
        op.execute(
            "INSERT INTO mark_new (upn, day, session, school_urn, code) "
            "SELECT upn, day, session, school_urn, code FROM mark"
        )
        op.execute("DROP TABLE mark")
        op.execute("ALTER TABLE mark_new RENAME TO mark")
    else:
        op.drop_constraint("mark_pkey", "mark", type_="primary")
        op.create_primary_key("mark_pkey", "mark", columns)
    _create_indexes()


def upgrade() -> None:
    _rekey(NEW_KEY)
    # The sessions two schools recorded different real marks for (store/marks.py keeps it
    # exact on import): empty here, as no session could have two marks before.
    op.create_table(
        "mark_conflict",
        sa.Column("upn", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("upn", "day", "session", name="mark_conflict_pkey"),
    )


def downgrade() -> None:
    op.drop_table("mark_conflict")
    # Going back to one mark per session keeps, for each session, one school's mark: the
    # real one where any school recorded one (the others could not have been stored then).
    op.execute(
        "DELETE FROM mark WHERE code IN ('Z', 'D', '#', 'Y4') AND EXISTS ("
        "SELECT 1 FROM mark m WHERE m.upn = mark.upn AND m.day = mark.day "
        "AND m.session = mark.session AND m.code NOT IN ('Z', 'D', '#', 'Y4'))"
    )
    op.execute(
        "DELETE FROM mark WHERE EXISTS (SELECT 1 FROM mark m WHERE m.upn = mark.upn "
        "AND m.day = mark.day AND m.session = mark.session AND m.school_urn < mark.school_urn)"
    )
    _rekey(OLD_KEY)
