"""mark: a partial index on the N marks the daily review looks for

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_mark_unresolved_n",
        "mark",
        ["day"],
        postgresql_where=sa.text("code = 'N'"),
        sqlite_where=sa.text("code = 'N'"),
    )


def downgrade() -> None:
    op.drop_index("ix_mark_unresolved_n", table_name="mark")
