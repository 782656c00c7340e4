"""Set-wise helpers over register marks, with no database: the week summary's deltas, every
school's marks combined per session, and each pupil's registers from what the store read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from attendance.calendar import week_monday
from attendance.codes import UNAUTHORISED_CODES, is_school_session
from attendance.registers import SchoolRegister
from attendance.threshold import Mark, Session, conflicts, effective, session_bit
from casework.records import MarkConflict, MarkRow, PupilRegisters

WEEK_CODES = ("G", "O", "U", "N")  # the codes the week summary keeps a mask for
assert set(WEEK_CODES) == UNAUTHORISED_CODES


def as_date(value: date | str) -> date:
    """SQLite hands dates back as text from raw SQL; PostgreSQL as dates."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def week_deltas(rows: Iterable[MarkRow]) -> list[tuple[str, date, int, int, int, int, int, int]]:
    """Per (pupil, week): the sessions these rows set, and their new masks. `rows` are the
    marks that stand for each session (`combine`): every school's, combined."""
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


def week_sessions(monday: date, mask: int) -> list[tuple[date, str]]:
    """The (day, session) each set bit of a week's mask stands for (session_bit's inverse)."""
    return [
        (monday + timedelta(days=i // 2), "PM" if i % 2 else "AM")
        for i in range(14)
        if mask >> i & 1
    ]


def combine(rows: Iterable[MarkRow]) -> tuple[list[MarkRow], list[MarkConflict]]:
    """Every school's marks for some sessions, combined per session exactly as the threshold
    engine does (attendance.threshold.effective), and the sessions in conflict."""
    by_pupil: dict[str, list[Mark]] = {}
    for r in rows:
        by_pupil.setdefault(r.upn, []).append(Mark(r.day, Session(r.session), r.code, r.school_urn))
    standing: list[MarkRow] = []
    found: list[MarkConflict] = []
    for upn, marks in by_pupil.items():
        standing += [MarkRow(upn, m.school, m.day, m.session, m.code) for m in effective(marks)]
        found += [MarkConflict(upn=upn, conflict=c) for c in conflicts(marks)]
    return standing, found


def pupil_registers(
    spans: Mapping[str, date],
    marked: Mapping[tuple[str, str], set[date]],
    weeks: Mapping[str, set[date]],
    before: set[tuple[str, str]],
    after: set[tuple[str, str]],
) -> list[PupilRegisters]:
    """Per pupil: the weeks with a school session, and per school the weeks it marked and
    whether it has marks before the span or after the day looked at."""
    schools: dict[str, list[SchoolRegister]] = {u: [] for u in spans}
    for key in sorted(marked.keys() | before | after):
        schools[key[0]].append(
            SchoolRegister(
                key[1],
                frozenset(marked.get(key, ())),
                key in before,
                key in after,
            )
        )
    return [PupilRegisters(u, frozenset(weeks[u]), tuple(schools[u])) for u in sorted(spans)]
