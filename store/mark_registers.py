"""Each pupil's registers over a span, read set-wise for many pupils at once (the close look of
attendance/registers.py, for the pupils the threshold's first look leaves).

The spans go into a temporary table; three statements then read, for all the pupils at once,
the weeks each school marked them in the span (and whether any mark in the week was a school
session), and which schools marked them before the span or after the day looked at. The weeks
are grouped by the database, so a pupil's span comes back as a few rows per school, not one per
session.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from attendance.codes import NO_SCHOOL_SESSION
from casework.records import PupilRegisters
from store.mark_sets import as_date, pupil_registers

# The Monday of a mark's week (weeks run Monday to Sunday).
_MONDAY = {
    True: "CAST(date_trunc('week', m.day) AS DATE)",
    False: "date(m.day, 'weekday 0', '-6 days')",
}
_SCHOOL_SESSION = "CASE WHEN m.code IN ({}) THEN 0 ELSE 1 END".format(
    ", ".join(f"'{c}'" for c in sorted(NO_SCHOOL_SESSION))
)


async def read_registers(
    conn: AsyncConnection, postgres: bool, spans: Mapping[str, date], on: date
) -> list[PupilRegisters]:
    """Each pupil's registers from their span's start (upn → first day) to `on`."""
    if not spans:
        return []
    await conn.execute(text("DROP TABLE IF EXISTS register_span"))
    await conn.execute(
        text("CREATE TEMPORARY TABLE register_span (upn VARCHAR(13) PRIMARY KEY, start DATE)")
    )
    await conn.execute(
        text("INSERT INTO register_span (upn, start) VALUES (:upn, :start)"),
        [{"upn": u, "start": _day(postgres, d)} for u, d in spans.items()],
    )
    if postgres:
        # Without statistics the planner takes the new table for a thousand rows and hashes
        # it against a scan of all of `mark` (5 s at 20,000 pupils); with them it descends
        # `mark`'s key once per pupil.
        await conn.execute(text("ANALYZE register_span"))
    day = {"on": _day(postgres, on)}
    inside = await conn.execute(
        text(
            f"SELECT m.upn, m.school_urn, {_MONDAY[postgres]} AS monday, "
            f"MAX({_SCHOOL_SESSION}) FROM register_span s "
            "JOIN mark m ON m.upn = s.upn AND m.day >= s.start AND m.day <= :on "
            "GROUP BY m.upn, m.school_urn, monday"
        ),
        day,
    )
    weeks: dict[str, set[date]] = {u: set() for u in spans}
    marked: dict[tuple[str, str], set[date]] = {}
    for upn, school, monday, school_session in inside.all():
        marked.setdefault((upn, school), set()).add(as_date(monday))
        if school_session:
            weeks[upn].add(as_date(monday))
    outside = [
        await _schools_marking(conn, where, day) for where in ("m.day < s.start", "m.day > :on")
    ]
    await conn.execute(text("DROP TABLE register_span"))
    return pupil_registers(spans, marked, weeks, outside[0], outside[1])


async def _schools_marking(
    conn: AsyncConnection, where: str, params: dict[str, Any]
) -> set[tuple[str, str]]:
    """(pupil, school) where the school marked the pupil outside the span (`where`)."""
    rows = await conn.execute(
        text(
            "SELECT DISTINCT m.upn, m.school_urn FROM register_span s JOIN mark m "
            f"ON m.upn = s.upn AND {where}"
        ),
        params,
    )
    return {(r[0], r[1]) for r in rows}


def _day(postgres: bool, d: date) -> Any:
    return d if postgres else d.isoformat()
