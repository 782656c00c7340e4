"""pupil_week: the primary key carries the masks (PostgreSQL)

The county-wide threshold reads each pupil's last school weeks with one index-only descent of
this key (store/thresholds.py); index-only scans need the visibility map kept fresh, hence
the eager autovacuum of a table every import updates. SQLite has no INCLUDE and does not need
it (one school).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE pupil_week DROP CONSTRAINT pupil_week_pkey, "
        "ADD CONSTRAINT pupil_week_pkey PRIMARY KEY (upn, monday) "
        "INCLUDE (school, g, o, u, n)"
    )
    op.execute(
        "ALTER TABLE pupil_week SET (autovacuum_vacuum_scale_factor = 0.01, "
        "autovacuum_vacuum_insert_scale_factor = 0.01)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE pupil_week RESET (autovacuum_vacuum_scale_factor, "
               "autovacuum_vacuum_insert_scale_factor)")
    op.execute(
        "ALTER TABLE pupil_week DROP CONSTRAINT pupil_week_pkey, "
        "ADD CONSTRAINT pupil_week_pkey PRIMARY KEY (upn, monday)"
    )
