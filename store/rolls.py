"""The span each school has marked each pupil over (`pupil_roll`, store/roll_tables.py), kept
by the marks import from its staging table and read by the threshold's first look."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from attendance.registers import Roll
from store.mark_sets import as_date

# The staged marks' span per (pupil, school); open (NULL) where the school is the pupil's
# school of record. Only spans the stored one does not already cover are written, so a daily
# file (the same schools, later days, open spans) writes nothing and locks no row.
_STAGED = """
    SELECT i.upn, i.school_urn, MIN(i.day) AS first_day,
           CASE WHEN MAX(p.school_urn) = i.school_urn THEN NULL ELSE MAX(i.day) END AS last_day
    FROM incoming_mark i JOIN pupil p ON p.upn = i.upn
    GROUP BY i.upn, i.school_urn
"""
_KEEP = """
    INSERT INTO pupil_roll (upn, school_urn, first_day, last_day)
    SELECT g.upn, g.school_urn, g.first_day, g.last_day FROM ({staged}) g
    WHERE NOT EXISTS (
        SELECT 1 FROM pupil_roll r WHERE r.upn = g.upn AND r.school_urn = g.school_urn
        AND r.first_day <= g.first_day AND (r.last_day IS NULL OR r.last_day >= g.last_day))
    ON CONFLICT (upn, school_urn) DO UPDATE SET
        first_day = {least}(pupil_roll.first_day, excluded.first_day),
        last_day = CASE WHEN pupil_roll.last_day IS NULL OR excluded.last_day IS NULL THEN NULL
                        ELSE {greatest}(pupil_roll.last_day, excluded.last_day) END
"""


async def keep_rolls(conn: AsyncConnection, postgres: bool) -> None:
    """Widen `pupil_roll` by the marks in `incoming_mark`. Spans only ever widen: a superset is
    all the first look needs (it decides who is looked at closely, not what is missing)."""
    least, greatest = ("LEAST", "GREATEST") if postgres else ("MIN", "MAX")
    await conn.execute(text(_KEEP.format(staged=_STAGED, least=least, greatest=greatest)))


async def rolls_elsewhere(
    conn: AsyncConnection, postgres: bool, since: date
) -> dict[str, list[Roll]]:
    """Each pupil's spans at schools other than their school of record that run to `since` or
    later (the movers of the period: a few rows in a county's hundred thousand)."""
    rows = await conn.execute(
        text(
            "SELECT r.upn, r.school_urn, r.first_day, r.last_day FROM pupil_roll r "
            "JOIN pupil p ON p.upn = r.upn WHERE r.school_urn <> p.school_urn "
            "AND (r.last_day IS NULL OR r.last_day >= :since)"
        ),
        {"since": since if postgres else since.isoformat()},
    )
    found: dict[str, list[Roll]] = {}
    for upn, school, first, last in rows.all():
        found.setdefault(upn, []).append(
            Roll(school, as_date(first), as_date(last) if last is not None else None)
        )
    return found
