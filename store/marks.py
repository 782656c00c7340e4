"""Register marks, their correction history, and the pupil-week summary the threshold reads.

An import goes through temporary staging tables so that a day of a county's marks (500,000
rows) is a handful of set-based statements, not half a million round trips; on PostgreSQL the
staging tables are loaded with COPY.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, bindparam, insert, text
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from attendance.calendar import week_monday
from attendance.codes import UNAUTHORISED_CODES, is_school_session
from attendance.threshold import FULL_WEEK, Mark, Session, session_bit, sessions_up_to
from casework.records import Change, MarkChanges, MarkRow, PupilCount
from store.tables import Mark as MarkTable
from store.tables import MarkCorrection, UnresolvedNAlert

WEEK_CODES = ("G", "O", "U", "N")  # the codes the week summary keeps a mask for
assert set(WEEK_CODES) == UNAUTHORISED_CODES


_MARKS_LOCK = 0x5F_3A_4B5


def _as_date(value: date | str) -> date:
    """SQLite hands dates back as text from raw SQL; PostgreSQL as dates."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _popcount_sql(expr: str) -> str:
    # Portable: SQLite has no bit_count(); 14 shifts per row are cheap next to the I/O.
    return "(" + " + ".join(f"(({expr} >> {i}) & 1)" for i in range(14)) + ")"


def week_deltas(rows: Iterable[MarkRow]) -> list[tuple[str, date, int, int, int, int, int, int]]:
    """Per (pupil, week): the sessions these rows set, and their new masks."""
    weeks: dict[tuple[str, date], list[int]] = {}
    for r in rows:
        bit = session_bit(r.day, r.session)
        w = weeks.setdefault((r.upn, week_monday(r.day)), [0, 0, 0, 0, 0, 0])
        w[0] |= bit
        if is_school_session(r.code):
            w[1] |= bit
        if r.code in WEEK_CODES:
            w[2 + WEEK_CODES.index(r.code)] |= bit
    return [(upn, monday, *masks) for (upn, monday), masks in weeks.items()]  # type: ignore[misc]


class SqlMarks:
    def __init__(self, session: AsyncSession, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres

    async def _exec(self, sql: str, params: Any = None) -> Any:
        conn = await self.session.connection()
        return await conn.execute(text(sql), params)

    def _day(self, d: date) -> Any:
        return d if self.postgres else d.isoformat()

    async def _load(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        if self.postgres:
            conn = await self.session.connection()
            raw = (await conn.get_raw_connection()).driver_connection
            async with raw.cursor() as cursor:  # type: ignore[union-attr]
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                async with cursor.copy(sql) as copy:
                    for row in rows:
                        await copy.write_row(row)
            return
        placeholders = ", ".join(f":{c}" for c in columns)
        await self._exec(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
            [dict(zip(columns, row, strict=True)) for row in rows],
        )

    async def _staging(self, name: str, columns: str) -> None:
        await self._exec(f"DROP TABLE IF EXISTS {name}")
        await self._exec(f"CREATE TEMPORARY TABLE {name} ({columns})")

    async def upsert(self, rows: Sequence[MarkRow], now: datetime, source: str) -> MarkChanges:
        if not rows:
            return MarkChanges(0, [])
        if self.postgres:
            # One marks import at a time: the week summary's read-modify-write must not race.
            await self._exec(f"SELECT pg_advisory_xact_lock({_MARKS_LOCK})")
        key = "PRIMARY KEY (upn, day, session)"
        await self._staging(
            "incoming_mark",
            f"upn VARCHAR(13), day DATE, session VARCHAR(2), school_urn VARCHAR(16), "
            f"code VARCHAR(2), {key}",
        )
        await self._load(
            "incoming_mark",
            ("upn", "day", "session", "school_urn", "code"),
            [(r.upn, self._day(r.day), r.session, r.school_urn, r.code) for r in rows],
        )
        rows = await self._drop_dual_registration_d(rows)
        inserted = (
            await self._exec(
                "SELECT count(*) FROM incoming_mark i WHERE NOT EXISTS (SELECT 1 FROM mark m "
                "WHERE m.upn = i.upn AND m.day = i.day AND m.session = i.session)"
            )
        ).scalar_one()
        corrected = (
            await self._exec(
                "SELECT i.upn, i.day, i.session, m.code, i.code, m.school_urn, i.school_urn "
                "FROM incoming_mark i JOIN mark m "
                "ON m.upn = i.upn AND m.day = i.day AND m.session = i.session "
                "WHERE m.code <> i.code OR m.school_urn <> i.school_urn"
            )
        ).all()
        await self._exec(
            "INSERT INTO mark (upn, day, session, school_urn, code) "
            "SELECT upn, day, session, school_urn, code FROM incoming_mark WHERE true "
            "ON CONFLICT (upn, day, session) DO UPDATE "
            "SET code = excluded.code, school_urn = excluded.school_urn "
            "WHERE mark.code <> excluded.code OR mark.school_urn <> excluded.school_urn"
        )
        changes = []
        if corrected:
            history = [
                {
                    "upn": c[0],
                    "day": c[1],
                    "session": c[2],
                    "old_code": c[3],
                    "new_code": c[4],
                    "old_school_urn": c[5],
                    "new_school_urn": c[6],
                    "corrected_at": now,
                    "source": source,
                }
                for c in corrected
            ]
            for h in history:
                h["day"] = _as_date(h["day"])
            conn = await self.session.connection()
            await conn.execute(insert(MarkCorrection), history)
            changes = [
                Change(
                    f"mark:{h['upn']}:{h['day']}:{h['session']}",
                    {"code": h["old_code"], "school_urn": h["old_school_urn"]},
                    {"code": h["new_code"], "school_urn": h["new_school_urn"]},
                )
                for h in history
            ]
        await self._update_weeks(rows)
        await self._exec("DROP TABLE incoming_mark")
        return MarkChanges(int(inserted), changes)

    async def _drop_dual_registration_d(self, rows: Sequence[MarkRow]) -> Sequence[MarkRow]:
        """A dual-registered pupil's `D` (attending the other school) never overwrites the mark
        the other school recorded for that session: that mark is the real one."""
        result = await self._exec(
            "SELECT i.upn, i.day, i.session FROM incoming_mark i JOIN mark m "
            "ON m.upn = i.upn AND m.day = i.day AND m.session = i.session "
            "WHERE i.code = 'D' AND m.code <> 'D' AND m.school_urn <> i.school_urn"
        )
        kept = {(r[0], _as_date(r[1]), r[2]) for r in result.all()}
        if not kept:
            return rows
        await self._exec(
            "DELETE FROM incoming_mark WHERE code = 'D' AND EXISTS (SELECT 1 FROM mark m "
            "WHERE m.upn = incoming_mark.upn AND m.day = incoming_mark.day "
            "AND m.session = incoming_mark.session AND m.code <> 'D' "
            "AND m.school_urn <> incoming_mark.school_urn)"
        )
        return [r for r in rows if (r.upn, r.day, r.session) not in kept]

    async def _update_weeks(self, rows: Sequence[MarkRow]) -> None:
        # Each (pupil, day, session) owns one bit, so clearing the touched bits and setting the
        # new ones is exact, whatever was there before: a correction needs no recount.
        await self._staging(
            "incoming_week",
            "upn VARCHAR(13), monday DATE, touched INTEGER, school INTEGER, g INTEGER, "
            "o INTEGER, u INTEGER, n INTEGER, PRIMARY KEY (upn, monday)",
        )
        deltas = [(d[0], self._day(d[1]), *d[2:]) for d in week_deltas(rows)]
        await self._load(
            "incoming_week", ("upn", "monday", "touched", "school", "g", "o", "u", "n"), deltas
        )
        sets = ", ".join(
            f"{c} = (pupil_week.{c} & ~w.touched) | w.{c}" for c in ("school", "g", "o", "u", "n")
        )
        await self._exec(
            f"UPDATE pupil_week SET {sets} FROM incoming_week w "
            "WHERE pupil_week.upn = w.upn AND pupil_week.monday = w.monday"
        )
        await self._exec(
            "INSERT INTO pupil_week (upn, monday, school, g, o, u, n) "
            "SELECT w.upn, w.monday, w.school, w.g, w.o, w.u, w.n FROM incoming_week w "
            "WHERE NOT EXISTS (SELECT 1 FROM pupil_week p "
            "WHERE p.upn = w.upn AND p.monday = w.monday)"
        )
        await self._exec("DROP TABLE incoming_week")

    async def for_pupil(self, upn: str) -> list[Mark]:
        rows = await self.session.exec(select(MarkTable).where(MarkTable.upn == upn))
        return sorted(Mark(m.day, Session(m.session), m.code) for m in rows)

    async def count_codes(self, upn: str, start: date, end: date, codes: frozenset[str]) -> int:
        stmt = (
            select(func.count())
            .select_from(MarkTable)
            .where(MarkTable.upn == upn, MarkTable.day >= start, MarkTable.day <= end)
            .where(col(MarkTable.code).in_(sorted(codes)))
        )
        return int((await self.session.exec(stmt)).one())

    async def unalerted_n(self, on: date) -> list[MarkRow]:
        rows = await self.session.exec(
            select(MarkTable)
            .where(MarkTable.code == "N", MarkTable.day <= on)
            .where(
                ~select(UnresolvedNAlert)
                .where(
                    UnresolvedNAlert.upn == MarkTable.upn,
                    UnresolvedNAlert.day == MarkTable.day,
                    UnresolvedNAlert.session == MarkTable.session,
                )
                .exists()
            )
            .order_by(col(MarkTable.upn), col(MarkTable.day), col(MarkTable.session))
        )
        return [MarkRow(m.upn, m.school_urn, m.day, m.session, m.code) for m in rows]

    async def n_alerted(self, marks: Sequence[MarkRow], on: date) -> None:
        for m in marks:
            self.session.add(
                UnresolvedNAlert(upn=m.upn, day=m.day, session=m.session, alerted_on=on)
            )
        await self.session.flush()

    async def threshold_counts(
        self, on: date, codes_by_authority: dict[str, frozenset[str]], weeks: int
    ) -> list[PupilCount]:
        results: list[PupilCount] = []
        by_codes: dict[frozenset[str], list[str]] = {}
        for authority, codes in codes_by_authority.items():
            by_codes.setdefault(codes, []).append(authority)
        for codes, authorities in by_codes.items():
            results.extend(await self._threshold_for(on, codes, authorities, weeks))
        return sorted(results, key=lambda r: r.upn)

    async def _threshold_for(
        self, on: date, codes: frozenset[str], authorities: list[str], weeks: int
    ) -> list[PupilCount]:
        this_monday = week_monday(on)
        # Most windows end within the last half-year; pupils with fewer school weeks than that
        # (new to roll, long gaps) are looked at again without the bound.
        bound = date.fromordinal(this_monday.toordinal() - 7 * (weeks + 16))
        bounded = await self._window_query(on, codes, authorities, weeks, bound, None)
        short = [r[0] for r in bounded if r[3] < weeks]
        short += await self._without_recent_weeks(on, authorities, bound)
        full = {r[0]: r for r in bounded}
        for i in range(0, len(short), 500):
            upns = short[i : i + 500]
            for r in await self._window_query(on, codes, authorities, weeks, None, upns):
                full[r[0]] = r
        return [PupilCount(r[0], int(r[1]), r[2]) for r in full.values() if r[1] > 0]

    async def _without_recent_weeks(
        self, on: date, authorities: list[str], bound: date
    ) -> list[str]:
        """Pupils with no school session since `bound`: their window, if any, is older."""
        stmt = text(
            "SELECT p.upn FROM pupil p JOIN school s ON s.urn = p.school_urn "
            "WHERE s.local_authority IN :authorities AND NOT EXISTS ("
            "SELECT 1 FROM pupil_week w WHERE w.upn = p.upn AND w.monday >= :bound "
            "AND w.monday <= :this_monday AND (w.school & CASE WHEN w.monday = :this_monday "
            "THEN :upto ELSE :full END) <> 0)"
        ).bindparams(
            bindparam("authorities", expanding=True),
            bindparam("bound", type_=Date),
            bindparam("this_monday", type_=Date),
        )
        params = {
            "authorities": authorities,
            "bound": bound,
            "this_monday": week_monday(on),
            "upto": sessions_up_to(on),
            "full": FULL_WEEK,
        }
        conn = await self.session.connection()
        return [r[0] for r in (await conn.execute(stmt, params)).all()]

    async def _window_query(
        self,
        on: date,
        codes: frozenset[str],
        authorities: list[str],
        weeks: int,
        bound: date | None,
        upns: list[str] | None,
    ) -> list[tuple[str, int, date, int]]:
        counted = " | ".join(f"w.{c.lower()}" for c in sorted(codes))
        filters = ["w.monday <= :this_monday", "s.local_authority IN :authorities"]
        params: dict[str, Any] = {
            "this_monday": week_monday(on),
            "authorities": authorities,
            "upto": sessions_up_to(on),
            "full": FULL_WEEK,
            "weeks": weeks,
        }
        binds = [
            bindparam("this_monday", type_=Date),
            bindparam("authorities", expanding=True),
        ]
        if bound is not None:
            filters.append("w.monday >= :bound")
            params["bound"] = bound
            binds.append(bindparam("bound", type_=Date))
        if upns is not None:
            filters.append("w.upn IN :upns")
            params["upns"] = upns
            binds.append(bindparam("upns", expanding=True))
        sql = f"""
            WITH visible AS (
                SELECT w.upn, w.monday, ({counted}) AS counted, w.school,
                       CASE WHEN w.monday = :this_monday THEN :upto ELSE :full END AS vis
                FROM pupil_week w
                JOIN pupil p ON p.upn = w.upn
                JOIN school s ON s.urn = p.school_urn
                WHERE {" AND ".join(filters)}
            ),
            school_weeks AS (
                SELECT upn, monday, counted & vis AS c,
                       row_number() OVER (PARTITION BY upn ORDER BY monday DESC) AS rn
                FROM visible WHERE (school & vis) <> 0
            )
            SELECT upn, SUM({_popcount_sql("c")}) AS sessions, MIN(monday) AS window_start,
                   COUNT(*) AS school_weeks
            FROM school_weeks WHERE rn <= :weeks GROUP BY upn
            HAVING SUM(c) > 0 OR COUNT(*) < :weeks
        """
        stmt = text(sql).bindparams(*binds).columns(window_start=Date)
        conn = await self.session.connection()
        rows = (await conn.execute(stmt, params)).all()
        return [(r[0], int(r[1]), r[2], int(r[3])) for r in rows]
