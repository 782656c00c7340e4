"""The reads that count a pupil's threshold-code sessions over a span (a Notice to Improve's
period): for one pupil from `mark`, for many from the week summary."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from attendance.calendar import week_monday
from casework.records import MarkRow
from store.mark_sets import WEEK_CODES, week_sessions
from store.mark_sets import as_date as _as_date
from store.registry import chunks
from store.tables import Mark as MarkTable


class CountedMarks:
    """Part of SqlMarks (store/marks.py)."""

    session: AsyncSession
    postgres: bool

    def _day(self, d: date) -> Any:
        return d if self.postgres else d.isoformat()

    async def count_codes(self, upn: str, start: date, end: date, codes: frozenset[str]) -> int:
        # Counted codes are real marks, which always stand: count each session once, whichever
        # schools recorded it.
        sessions = (
            select(col(MarkTable.day), col(MarkTable.session))
            .where(MarkTable.upn == upn, MarkTable.day >= start, MarkTable.day <= end)
            .where(col(MarkTable.code).in_(sorted(codes)))
            .distinct()
            .subquery()
        )
        stmt = select(func.count()).select_from(sessions)
        return int((await self.session.exec(stmt)).one())

    async def with_codes(
        self, upns: Iterable[str], start: date, end: date, codes: frozenset[str]
    ) -> dict[str, list[MarkRow]]:
        """Every school's marks with these codes in [start, end], by pupil: what count_codes
        counts, read once for many pupils."""
        found: dict[str, list[MarkRow]] = {}
        for chunk in chunks(upns):
            rows = await self.session.exec(
                select(MarkTable)
                .where(col(MarkTable.upn).in_(chunk))
                .where(MarkTable.day >= start, MarkTable.day <= end)
                .where(col(MarkTable.code).in_(sorted(codes)))
            )
            for m in rows:
                found.setdefault(m.upn, []).append(
                    MarkRow(m.upn, m.school_urn, m.day, m.session, m.code)
                )
        return found

    async def sessions_with_codes(
        self, upns: Iterable[str], start: date, end: date, codes: frozenset[str]
    ) -> dict[str, set[tuple[date, str]]]:
        """The sessions in [start, end] with a mark of these codes from any school, by pupil:
        what count_codes counts, read from the week summary (one index-only descent of
        `pupil_week`'s key per pupil) rather than from `mark`, whose day index the planner
        prefers and then filters a county's whole month through."""
        if not codes <= set(WEEK_CODES):  # the summary keeps masks for these codes only
            rows = await self.with_codes(upns, start, end, codes)
            return {u: {(m.day, m.session) for m in marks} for u, marks in rows.items()}
        masks = " | ".join(c.lower() for c in sorted(codes)) or "0"
        stmt = text(
            f"SELECT upn, monday, {masks} AS c FROM pupil_week WHERE upn IN :upns "
            "AND monday >= :first AND monday <= :last"
        ).bindparams(bindparam("upns", expanding=True))
        params = {"first": self._day(week_monday(start)), "last": self._day(end)}
        conn = await self.session.connection()
        found: dict[str, set[tuple[date, str]]] = {}
        for chunk in chunks(upns):
            for upn, monday, mask in await conn.execute(stmt, {**params, "upns": chunk}):
                sessions = [
                    s for s in week_sessions(_as_date(monday), int(mask)) if start <= s[0] <= end
                ]
                if sessions:
                    found.setdefault(upn, set()).update(sessions)
        return found
