"""pupil roll: each school's first and last mark for each pupil

The threshold's first look at missing registers compares a pupil's school weeks with the weeks
of term at every school they were on roll at, each by its own calendar (an academy's own
half-term), over the span that school marked them; reading that span off `mark` for a county
would scan every mark. Filled here from the marks already stored; the marks import keeps it.
`last_day` is NULL where the school is the pupil's school of record (the span runs on).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pupil_roll',
        sa.Column('upn', sa.String(), nullable=False),
        sa.Column('school_urn', sa.String(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['school_urn'], ['school.urn']),
        sa.ForeignKeyConstraint(['upn'], ['pupil.upn']),
        sa.PrimaryKeyConstraint('upn', 'school_urn'),
    )
    op.execute(
        "INSERT INTO pupil_roll (upn, school_urn, first_day, last_day) "
        "SELECT m.upn, m.school_urn, MIN(m.day), "
        "CASE WHEN MAX(p.school_urn) = m.school_urn THEN NULL ELSE MAX(m.day) END "
        "FROM mark m JOIN pupil p ON p.upn = m.upn GROUP BY m.upn, m.school_urn"
    )


def downgrade() -> None:
    op.drop_table('pupil_roll')
