"""mark partitioned by month on PostgreSQL (issue 16 point 2)

A day's 500,000 marks otherwise land each in a different leaf of one key over every mark ever
stored (96 M at county scale); partitioned by RANGE (day), one partition per calendar month
(store/mark_partitions.py), a day's inserts touch the current month's small key. The primary
key is unchanged (it contains day), and so are the indexes and foreign keys (each partition
has them). Existing rows are moved month by month, in key order, into partitions without
indexes; the key, the indexes and the foreign keys are then built once per partition (a bulk
build, not 96 M index insertions). SQLite keeps one table: nothing changes there.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

from alembic import op

from store.mark_partitions import months_between, next_month, partition_name, partition_sql

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

COLUMNS = "upn, day, session, school_urn, code"
KEY = "upn, day, session, school_urn"
TABLE = (
    "(upn VARCHAR NOT NULL, day DATE NOT NULL, session VARCHAR(2) NOT NULL, "
    "school_urn VARCHAR NOT NULL, code VARCHAR(2) NOT NULL)"
)


def _keys_and_indexes() -> None:
    """On `mark` as it now is (on a partitioned table, each partition gets its own)."""
    op.execute(f"ALTER TABLE mark ADD CONSTRAINT mark_pkey PRIMARY KEY ({KEY})")
    op.execute("CREATE INDEX ix_mark_day ON mark (day)")
    op.execute("CREATE INDEX ix_mark_unresolved_n ON mark (day) WHERE code = 'N'")
    op.execute(
        "ALTER TABLE mark ADD CONSTRAINT mark_upn_fkey FOREIGN KEY (upn) REFERENCES pupil (upn), "
        "ADD CONSTRAINT mark_school_urn_fkey FOREIGN KEY (school_urn) REFERENCES school (urn)"
    )


def _set_aside(name: str) -> None:
    """Rename `mark` out of the way, without its indexes and keys (their names are reused)."""
    op.execute(f"ALTER TABLE mark RENAME TO {name}")
    op.execute(f"ALTER TABLE {name} DROP CONSTRAINT mark_upn_fkey")
    op.execute(f"ALTER TABLE {name} DROP CONSTRAINT mark_school_urn_fkey")
    op.execute(f"ALTER TABLE {name} DROP CONSTRAINT mark_pkey")
    op.execute("DROP INDEX ix_mark_unresolved_n")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    bind = op.get_bind()
    # Each month is sorted into key order, and the keys are built from a sort: give them room.
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute("SET LOCAL work_mem = '256MB'")
    # The months to make, from the day index while it is there (two descents, not a scan).
    first, last = bind.exec_driver_sql("SELECT MIN(day), MAX(day) FROM mark").one()
    _set_aside("mark_unpartitioned")
    op.execute(f"CREATE TABLE mark {TABLE} PARTITION BY RANGE (day)")
    for month in months_between(first, last) if first is not None else []:
        name = partition_name(month)
        for sql in partition_sql(month):
            op.execute(sql)
        # The old day index finds the month's rows (laid out day by day, as imported).
        op.execute(
            f"INSERT INTO {name} ({COLUMNS}) SELECT {COLUMNS} FROM mark_unpartitioned "
            f"WHERE day >= '{month.isoformat()}' AND day < '{next_month(month).isoformat()}' ORDER BY {KEY}"
        )
    op.execute("DROP TABLE mark_unpartitioned")
    _keys_and_indexes()
    op.execute("ANALYZE mark")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute("ALTER TABLE mark RENAME TO mark_partitioned")
    op.execute(f"CREATE TABLE mark {TABLE}")
    op.execute(f"INSERT INTO mark ({COLUMNS}) SELECT {COLUMNS} FROM mark_partitioned ORDER BY {KEY}")
    op.execute("DROP TABLE mark_partitioned")  # its partitions, indexes and keys with it
    _keys_and_indexes()
    op.execute("ANALYZE mark")
