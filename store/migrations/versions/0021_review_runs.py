"""review runs: the days the daily review has run for, so that two `serve` processes on one
database (or a restarted one) review each day once

Revision ID: 0021
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0021'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'review_run',
        sa.Column('reviewed_on', sa.Date(), nullable=False),
        sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('reviewed_on'),
    )


def downgrade() -> None:
    op.drop_table('review_run')
