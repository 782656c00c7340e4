"""The county-wide threshold query over the pupil-week summary (see attendance/threshold.py).

PostgreSQL reads each pupil's last school weeks with one index-only descent of `pupil_week`'s
primary key (which carries the masks), so the cost grows with pupils, not with history.
SQLite, for one school, ranks the weeks of a bounded span with a window function and looks
again, without the bound, at the few pupils with fewer school weeks in it.
"""

from __future__ import annotations

from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from attendance.calendar import week_monday
from attendance.threshold import FULL_WEEK, sessions_up_to
from casework.records import PupilCount

# Seen from DATE's week: only its sessions up to DATE count, earlier weeks count whole.
_VISIBLE = "CASE WHEN w.monday = :this_monday THEN :upto ELSE :full END"


def _counted(codes: frozenset[str]) -> str:
    # Codes are validated against the unauthorised set, whose masks are the columns g, o, u, n.
    return " | ".join(f"w.{c.lower()}" for c in sorted(codes))


def _popcount(expr: str) -> str:
    # Portable: SQLite has no bit_count(); 14 shifts per row are cheap next to the I/O.
    return "(" + " + ".join(f"(({expr} >> {i}) & 1)" for i in range(14)) + ")"


def _params(on: date, authorities: list[str], weeks: int) -> dict[str, Any]:
    return {
        "this_monday": week_monday(on),
        "authorities": authorities,
        "upto": sessions_up_to(on),
        "full": FULL_WEEK,
        "weeks": weeks,
    }


async def threshold_counts(
    conn: AsyncConnection,
    postgres: bool,
    on: date,
    codes_by_authority: dict[str, frozenset[str]],
    weeks: int,
) -> list[PupilCount]:
    """Every pupil with a threshold-code session in their window on `on`, sorted by UPN."""
    by_codes: dict[frozenset[str], list[str]] = {}
    for authority, codes in codes_by_authority.items():
        by_codes.setdefault(codes, []).append(authority)
    results: list[PupilCount] = []
    for codes, authorities in by_codes.items():
        if postgres:
            results += await _postgres(conn, on, codes, authorities, weeks)
        else:
            results += await _sqlite(conn, on, codes, authorities, weeks)
    return sorted(results, key=itemgetter(0))  # by UPN


async def _postgres(
    conn: AsyncConnection, on: date, codes: frozenset[str], authorities: list[str], weeks: int
) -> list[PupilCount]:
    stmt = (
        text(f"""
        SELECT p.upn, x.sessions, x.window_start, x.weeks, x.last_week, p.school_urn,
               p.date_of_birth
        FROM pupil p
        JOIN school s ON s.urn = p.school_urn
        CROSS JOIN LATERAL (
            SELECT SUM(bit_count(t.c::bit(14)))::int AS sessions, MIN(t.monday) AS window_start,
                   COUNT(*)::int AS weeks, MAX(t.monday) AS last_week
            FROM (
                SELECT w.monday, ({_counted(codes)}) & {_VISIBLE} AS c
                FROM pupil_week w
                WHERE w.upn = p.upn AND w.monday <= :this_monday
                  AND (w.school & {_VISIBLE}) <> 0
                ORDER BY w.monday DESC
                LIMIT :weeks
            ) t
        ) x
        WHERE s.local_authority IN :authorities AND x.sessions > 0
    """)
        .bindparams(bindparam("this_monday", type_=Date), bindparam("authorities", expanding=True))
        .columns(window_start=Date, last_week=Date)
    )
    # PostgreSQL hands back ints and dates in PupilCount's order: each row is one as it is.
    return list(map(PupilCount._make, await conn.execute(stmt, _params(on, authorities, weeks))))


def _count(r: Any) -> PupilCount:
    """(upn, sessions, window start, school weeks, last week, school, date of birth)."""
    return PupilCount(r[0], int(r[1]), _day(r[2]), int(r[3]), _day(r[4]), r[5], _day(r[6]))


def _day(value: Any) -> date | None:
    """SQLite hands dates back as text from raw SQL (through MIN and MAX); PostgreSQL as dates."""
    return date.fromisoformat(value) if isinstance(value, str) else value


async def _sqlite(
    conn: AsyncConnection, on: date, codes: frozenset[str], authorities: list[str], weeks: int
) -> list[PupilCount]:
    this_monday = week_monday(on)
    # Most windows end within the last half-year; pupils with fewer school weeks than that
    # (new to roll, long gaps) are looked at again without the bound.
    bound = date.fromordinal(this_monday.toordinal() - 7 * (weeks + 16))
    bounded = await _window(conn, on, codes, authorities, weeks, bound, None)
    short = [r[0] for r in bounded if r[3] < weeks]
    short += await _without_recent_weeks(conn, on, authorities, weeks, bound)
    found = {r[0]: r for r in bounded}
    for i in range(0, len(short), 500):
        for r in await _window(conn, on, codes, authorities, weeks, None, short[i : i + 500]):
            found[r[0]] = r
    return [_count(r) for r in found.values() if r[1] > 0]


async def _without_recent_weeks(
    conn: AsyncConnection, on: date, authorities: list[str], weeks: int, bound: date
) -> list[str]:
    """Pupils with no school session since `bound`: their window, if any, is older."""
    stmt = text(f"""
        SELECT p.upn FROM pupil p JOIN school s ON s.urn = p.school_urn
        WHERE s.local_authority IN :authorities AND NOT EXISTS (
            SELECT 1 FROM pupil_week w WHERE w.upn = p.upn AND w.monday >= :bound
            AND w.monday <= :this_monday AND (w.school & {_VISIBLE}) <> 0)
    """).bindparams(
        bindparam("authorities", expanding=True),
        bindparam("bound", type_=Date),
        bindparam("this_monday", type_=Date),
    )
    params = {**_params(on, authorities, weeks), "bound": bound}
    return [r[0] for r in (await conn.execute(stmt, params)).all()]


async def _window(
    conn: AsyncConnection,
    on: date,
    codes: frozenset[str],
    authorities: list[str],
    weeks: int,
    bound: date | None,
    upns: list[str] | None,
) -> list[tuple[str, int, date, int, date, str, date]]:
    filters = ["w.monday <= :this_monday", "s.local_authority IN :authorities"]
    params = _params(on, authorities, weeks)
    binds = [bindparam("this_monday", type_=Date), bindparam("authorities", expanding=True)]
    if bound is not None:
        filters.append("w.monday >= :bound")
        params["bound"] = bound
        binds.append(bindparam("bound", type_=Date))
    if upns is not None:
        filters.append("w.upn IN :upns")
        params["upns"] = upns
        binds.append(bindparam("upns", expanding=True))
    stmt = (
        text(f"""
        WITH visible AS (
            SELECT w.upn, w.monday, ({_counted(codes)}) AS counted, w.school,
                   {_VISIBLE} AS vis, p.school_urn, p.date_of_birth AS born
            FROM pupil_week w
            JOIN pupil p ON p.upn = w.upn
            JOIN school s ON s.urn = p.school_urn
            WHERE {" AND ".join(filters)}
        ),
        school_weeks AS (
            SELECT upn, monday, counted & vis AS c, school_urn, born,
                   row_number() OVER (PARTITION BY upn ORDER BY monday DESC) AS rn
            FROM visible WHERE (school & vis) <> 0
        )
        SELECT upn, SUM({_popcount("c")}) AS sessions, MIN(monday) AS window_start,
               COUNT(*) AS school_weeks, MAX(monday) AS last_week, MAX(school_urn) AS school_urn,
               MAX(born) AS born
        FROM school_weeks WHERE rn <= :weeks GROUP BY upn
        HAVING SUM(c) > 0 OR COUNT(*) < :weeks
    """)
        .bindparams(*binds)
        .columns(window_start=Date, last_week=Date)
    )
    rows = (await conn.execute(stmt, params)).all()
    return [(r[0], int(r[1]), r[2], int(r[3]), r[4], r[5], r[6]) for r in rows]
