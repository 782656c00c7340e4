"""Register marks, their correction history, and the pupil-week summary the threshold reads.

An import goes through temporary staging tables so that a day of a county's marks (500,000
rows) is a handful of set-based statements, not half a million round trips; on PostgreSQL the
staging tables are loaded with COPY.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from attendance.calendar import week_monday
from attendance.registers import Roll
from attendance.threshold import Mark, Session, effective
from casework.mark_columns import MarkColumns
from casework.records import (
    Change,
    MarkChanges,
    MarkConflict,
    MarkRow,
    PupilCount,
    PupilRegisters,
)
from store.counted_marks import CountedMarks
from store.mark_partitions import create_months
from store.mark_registers import read_registers
from store.mark_sets import as_date as _as_date
from store.mark_sets import combine as combine
from store.mark_sets import week_deltas as week_deltas
from store.registry import chunks
from store.rolls import keep_rolls, rolls_elsewhere
from store.tables import Mark as MarkTable
from store.tables import MarkCorrection, UnresolvedNAlert
from store.thresholds import threshold_counts

_MARKS_LOCK = 0x5F_3A_4B5


class SqlMarks(CountedMarks):
    def __init__(self, session: AsyncSession, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres
        self._days: list[Any] = []  # the days of the file being stored

    async def _exec(self, sql: str, params: Any = None) -> Any:
        conn = await self.session.connection()
        return await conn.execute(text(sql), params)

    async def _exec_on_days(self, sql: str, alias: str) -> Any:
        """`sql` with `{days}` replaced: on PostgreSQL, the staged days named, so only their
        months' partitions are read (a join alone is planned over every partition)."""
        if not self.postgres:
            return await self._exec(sql.format(days=""))
        stmt = text(sql.format(days=f" AND {alias}.day IN :days")).bindparams(
            bindparam("days", expanding=True)
        )
        conn = await self.session.connection()
        return await conn.execute(stmt, {"days": self._days})

    async def _load(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        if self.postgres:
            conn = await self.session.connection()
            raw = (await conn.get_raw_connection()).driver_connection
            async with raw.cursor() as cursor:  # type: ignore[union-attr]
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
                async with cursor.copy(sql) as copy:
                    for i in range(0, len(rows), 65536):
                        buffer = io.StringIO()
                        csv.writer(buffer, lineterminator="\n").writerows(rows[i : i + 65536])
                        await copy.write(buffer.getvalue())
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
            return MarkChanges(inserted=0, corrections=[])
        marks = MarkColumns.of(rows)  # an import's file comes as columns already
        await self._stage(marks)
        self._days = sorted(self._day(d) for d in marks.days())
        # The usual daily file brings days nothing is stored for yet: no stored mark to
        # correct or to combine with another school's, so those look-ups can be skipped.
        corrected: list[Any] = []
        stored = await self._any_stored_on(marks.days())
        if stored:
            corrected = await self._corrected()
        # New sessions in key order, so the primary key's leaves are visited in turn.
        inserted = (
            await self._exec(
                "INSERT INTO mark (upn, day, session, school_urn, code) "
                "SELECT upn, day, session, school_urn, code FROM incoming_mark "
                "ORDER BY upn, day, session, school_urn "
                "ON CONFLICT (upn, day, session, school_urn) DO NOTHING"
            )
        ).rowcount
        await keep_rolls(await self.session.connection(), self.postgres)
        changes = await self._correct(corrected, now, source) if corrected else []
        standing: Sequence[MarkRow]
        if stored or not marks.one_per_session:
            standing, found = combine(await self._all_schools_marks())
            await self._record_conflicts(found)
        else:
            # One mark per session and none stored: each stands as it is, none conflicts
            # (combining 500,000 marks one by one to learn that took 3-4 s of a county's day).
            standing, found = marks, []
        await self._update_weeks(standing)
        await self._exec("DROP TABLE incoming_mark")
        return MarkChanges(inserted=int(inserted), corrections=changes, conflicts=found)

    async def _stage(self, marks: MarkColumns) -> None:
        """Load the file's marks into the `incoming_mark` staging table."""
        if self.postgres:
            # One marks import at a time: the week summary's read-modify-write must not race.
            await self._exec(f"SELECT pg_advisory_xact_lock({_MARKS_LOCK})")
            # Whatever months the file's rows fall in (last year's, a CTF's history).
            await create_months(await self.session.connection(), marks.days())
        key = "PRIMARY KEY (upn, day, session, school_urn)"
        await self._staging(
            "incoming_mark",
            f"upn VARCHAR(13), day DATE, session VARCHAR(2), school_urn VARCHAR(16), "
            f"code VARCHAR(2), {key}",
        )
        await self._load(
            "incoming_mark",
            ("upn", "day", "session", "school_urn", "code"),
            list(
                zip(
                    marks.upn,
                    map({d: d.isoformat() for d in marks.days()}.__getitem__, marks.day),
                    marks.session,
                    marks.school_urn,
                    marks.code,
                    strict=True,
                )
            ),
        )

    async def _corrected(self) -> list[Any]:
        """Stored marks the staged ones change (the same school's mark for the session):
        (upn, day, session, old and new code, school)."""
        result = await self._exec_on_days(
            "SELECT i.upn, i.day, i.session, m.code, i.code, m.school_urn "
            "FROM incoming_mark i JOIN mark m ON m.upn = i.upn AND m.day = i.day "
            "AND m.session = i.session AND m.school_urn = i.school_urn "
            "WHERE m.code <> i.code{days}",
            "m",
        )
        return list(result.all())

    async def _all_schools_marks(self) -> list[MarkRow]:
        """Every school's stored mark for the staged sessions (the staged ones now among them)."""
        result = await self._exec_on_days(
            "SELECT m.upn, m.school_urn, m.day, m.session, m.code "
            "FROM (SELECT DISTINCT upn, day, session FROM incoming_mark) i JOIN mark m "
            "ON m.upn = i.upn AND m.day = i.day AND m.session = i.session{days}",
            "m",
        )
        return [MarkRow(r[0], r[1], _as_date(r[2]), r[3], r[4]) for r in result.all()]

    async def _record_conflicts(self, found: list[MarkConflict]) -> None:
        """Keep `mark_conflict` (the sessions in conflict) exact for the staged sessions, so
        that finding a county's conflicts reads that small table, not every mark."""
        await self._exec(
            "DELETE FROM mark_conflict WHERE EXISTS (SELECT 1 FROM incoming_mark i "
            "WHERE i.upn = mark_conflict.upn AND i.day = mark_conflict.day "
            "AND i.session = mark_conflict.session)"
        )
        if found:
            await self._exec(
                "INSERT INTO mark_conflict (upn, day, session) VALUES (:upn, :day, :session)",
                [
                    {"upn": c.upn, "day": self._day(c.conflict.day), "session": c.conflict.session}
                    for c in found
                ],
            )

    async def _correct(self, corrected: list[Any], now: datetime, source: str) -> list[Change]:
        """Apply the corrections, keeping the history the register's legal status needs."""
        await self._exec_on_days(
            "UPDATE mark SET code = i.code FROM incoming_mark i "
            "WHERE mark.upn = i.upn AND mark.day = i.day AND mark.session = i.session "
            "AND mark.school_urn = i.school_urn AND mark.code <> i.code{days}",
            "mark",
        )
        history = [
            {
                "upn": c[0],
                "day": _as_date(c[1]),
                "session": c[2],
                "old_code": c[3],
                "new_code": c[4],
                "old_school_urn": c[5],
                "new_school_urn": c[5],
                "corrected_at": now,
                "source": source,
            }
            for c in corrected
        ]
        conn = await self.session.connection()
        await conn.execute(insert(MarkCorrection), history)
        return [
            Change(
                f"mark:{h['upn']}:{h['day']}:{h['session']}",
                {"code": h["old_code"], "school_urn": h["old_school_urn"]},
                {"code": h["new_code"], "school_urn": h["new_school_urn"]},
            )
            for h in history
        ]

    async def _any_stored_on(self, days: set[date]) -> bool:
        stmt = text("SELECT 1 FROM mark WHERE day IN :days LIMIT 1").bindparams(
            bindparam("days", expanding=True)
        )
        conn = await self.session.connection()
        found = await conn.execute(stmt, {"days": sorted(self._day(d) for d in days)})
        return found.first() is not None

    async def _update_weeks(self, marks: Sequence[MarkRow]) -> None:
        # Each (pupil, day, session) owns one bit, so clearing the touched bits and setting the
        # new ones is exact, whatever was there before: a correction needs no recount.
        await self._staging(
            "incoming_week",
            "upn VARCHAR(13), monday DATE, touched INTEGER, school INTEGER, g INTEGER, "
            "o INTEGER, u INTEGER, n INTEGER, PRIMARY KEY (upn, monday)",
        )
        deltas = [(d[0], self._day(d[1]), *d[2:]) for d in week_deltas(marks)]
        await self._load(
            "incoming_week", ("upn", "monday", "touched", "school", "g", "o", "u", "n"), deltas
        )
        sets = ", ".join(
            f"{c} = (pupil_week.{c} & ~w.touched) | w.{c}" for c in ("school", "g", "o", "u", "n")
        )
        update = (
            f"UPDATE pupil_week SET {sets} FROM incoming_week w "
            "WHERE pupil_week.upn = w.upn AND pupil_week.monday = w.monday"
        )
        insert_new = (
            "INSERT INTO pupil_week (upn, monday, school, g, o, u, n) "
            "SELECT w.upn, w.monday, w.school, w.g, w.o, w.u, w.n FROM incoming_week w "
            "WHERE NOT EXISTS (SELECT 1 FROM {found} p WHERE p.upn = w.upn AND p.monday = w.monday)"
        )
        if self.postgres:
            # One pass: insert the weeks the update did not find, without probing again.
            await self._exec(
                f"WITH found AS ({update} RETURNING pupil_week.upn, pupil_week.monday) "
                + insert_new.format(found="found")
            )
        else:
            await self._exec(update)
            await self._exec(insert_new.format(found="pupil_week"))
        await self._exec("DROP TABLE incoming_week")

    async def for_pupil(self, upn: str) -> list[Mark]:
        """The marks that stand for each session, every school's combined (`effective`)."""
        rows = await self.session.exec(select(MarkTable).where(MarkTable.upn == upn))
        return effective(Mark(m.day, Session(m.session), m.code, m.school_urn) for m in rows)

    async def for_pupils(
        self, upns: Iterable[str], start: date, end: date
    ) -> dict[str, list[Mark]]:
        """As for_pupil, for many pupils at once, the sessions in [start, end] only."""
        raw: dict[str, list[Mark]] = {}
        for chunk in chunks(upns):
            rows = await self.session.exec(
                select(MarkTable)
                .where(col(MarkTable.upn).in_(chunk))
                .where(MarkTable.day >= start, MarkTable.day <= end)
            )
            for m in rows:
                raw.setdefault(m.upn, []).append(
                    Mark(m.day, Session(m.session), m.code, m.school_urn)
                )
        return {upn: effective(marks) for upn, marks in raw.items()}

    async def recorded(self, upn: str) -> list[Mark]:
        """Every school's own mark for each session, as it stands after corrections."""
        stmt = (
            select(MarkTable)
            .where(MarkTable.upn == upn)
            .order_by(col(MarkTable.day), col(MarkTable.session), col(MarkTable.school_urn))
        )
        rows = await self.session.exec(stmt)
        return [Mark(m.day, Session(m.session), m.code, m.school_urn) for m in rows]

    async def conflicts(self, upns: Sequence[str]) -> list[MarkConflict]:
        """The sessions of these pupils two schools recorded different real marks for."""
        if not upns:
            return []
        # Few sessions are in conflict: for many pupils, read them all and keep theirs.
        sql = (
            "SELECT m.upn, m.school_urn, m.day, m.session, m.code FROM mark_conflict c "
            "JOIN mark m ON m.upn = c.upn AND m.day = c.day AND m.session = c.session"
        )
        conn = await self.session.connection()
        if len(upns) > 500:
            rows = (await conn.execute(text(sql))).all()
        else:
            stmt = text(sql + " WHERE c.upn IN :upns").bindparams(bindparam("upns", expanding=True))
            rows = (await conn.execute(stmt, {"upns": list(upns)})).all()
        wanted = set(upns)
        marks = [MarkRow(r[0], r[1], _as_date(r[2]), r[3], r[4]) for r in rows if r[0] in wanted]
        found = combine(marks)[1]
        return sorted(found, key=lambda c: (c.upn, c.conflict))

    async def unalerted_n(self, since: date, on: date) -> list[MarkRow]:
        rows = await self.session.exec(
            select(  # rows, not objects: a county's N marks
                col(MarkTable.upn),
                col(MarkTable.school_urn),
                col(MarkTable.day),
                col(MarkTable.session),
            )
            .where(MarkTable.code == "N", MarkTable.day <= on, MarkTable.day >= since)
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
        # One alert per session, even where two schools both recorded an N.
        first: dict[tuple[str, date, str], MarkRow] = {}
        for upn, urn, day, session in rows:
            first.setdefault((upn, day, session), MarkRow(upn, urn, day, session, "N"))
        return list(first.values())

    async def n_alerted(self, marks: Sequence[MarkRow], on: date) -> None:
        if not marks:
            return
        conn = await self.session.connection()  # one executemany, not an object each
        await conn.execute(
            insert(UnresolvedNAlert),
            [{"upn": m.upn, "day": m.day, "session": m.session, "alerted_on": on} for m in marks],
        )

    async def threshold_counts(
        self, on: date, codes_by_authority: dict[str, frozenset[str]], weeks: int
    ) -> list[PupilCount]:
        conn = await self.session.connection()
        return await threshold_counts(conn, self.postgres, on, codes_by_authority, weeks)

    async def registers(self, spans: Mapping[str, date], on: date) -> list[PupilRegisters]:
        """Each pupil's registers from their span's start to `on` (attendance/registers.py),
        for all the pupils at once (store/mark_registers.py)."""
        conn = await self.session.connection()
        return await read_registers(conn, self.postgres, spans, on)

    async def rolls_elsewhere(self, since: date) -> dict[str, list[Roll]]:
        """Each pupil's spans at schools other than their own running to `since` or later."""
        return await rolls_elsewhere(await self.session.connection(), self.postgres, since)

    async def last_marked(self, upns: Sequence[str], on: date) -> dict[str, date]:
        """Each pupil's last week up to `on`'s with any mark: the week summary has a row for
        every week with a mark, so one descent of its key per pupil."""
        found: dict[str, date] = {}
        for chunk in chunks(upns):
            stmt = text(
                "SELECT upn, MAX(monday) FROM pupil_week WHERE upn IN :upns AND monday <= :monday "
                "GROUP BY upn"
            ).bindparams(bindparam("upns", expanding=True))
            conn = await self.session.connection()
            rows = await conn.execute(stmt, {"upns": chunk, "monday": self._day(week_monday(on))})
            found.update((r[0], _as_date(r[1])) for r in rows)
        return found

    async def any_after(self, on: date) -> bool:
        """Whether any mark is dated after `on` (a look back at an earlier date)."""
        # MAX over ix_mark_day is one index descent; `WHERE day > :on LIMIT 1` may be planned
        # as a scan of the whole table (the later days are at its end).
        last = (await self._exec("SELECT MAX(day) FROM mark")).scalar()
        return last is not None and _as_date(last) > on
