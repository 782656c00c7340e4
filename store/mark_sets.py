"""Set-wise helpers over register marks, with no database: the week summary's deltas, every
school's marks combined per session, and each pupil's registers from what the store read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from attendance.calendar import week_monday
from attendance.codes import UNAUTHORISED_CODES, is_school_session
from attendance.registers import SchoolRegister
from attendance.threshold import Mark, Session, conflicts, effective, session_bit
from casework.mark_columns import MarkColumns
from casework.records import MarkConflict, MarkRow, PupilRegisters

WEEK_CODES = ("G", "O", "U", "N")  # the codes the week summary keeps a mask for
assert set(WEEK_CODES) == UNAUTHORISED_CODES


def as_date(value: date | str) -> date:
    """SQLite hands dates back as text from raw SQL; PostgreSQL as dates."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _packed_masks(day: date, session: str, code: str) -> int:
    """One mark's bit in each of the six masks (touched, school, G, O, U, N), packed into one
    integer 14 bits a mask, so a week's masks are set by a single `|` per mark."""
    bit = session_bit(day, session)
    masks = [bit, bit if is_school_session(code) else 0]
    masks += [bit if code == c else 0 for c in WEEK_CODES]
    return sum(m << (14 * i) for i, m in enumerate(masks))


def week_deltas(rows: Sequence[MarkRow]) -> list[tuple[str, date, int, int, int, int, int, int]]:
    """Per (pupil, week): the sessions these marks set, and their new masks. `rows` are the
    marks that stand for each session (`combine`): every school's, combined."""
    marks = MarkColumns.of(rows)
    # A file has few distinct (day, session, code): each one's masks are worked out once.
    of_mark = (marks.day, marks.session, marks.code)
    kinds = {k: (week_monday(k[0]), _packed_masks(*k)) for k in set(zip(*of_mark, strict=True))}
    weeks: dict[tuple[str, date], int] = {}
    for upn, kind in zip(marks.upn, zip(*of_mark, strict=True), strict=True):
        monday, packed = kinds[kind]
        weeks[upn, monday] = weeks.get((upn, monday), 0) | packed
    full = (1 << 14) - 1
    return [
        (upn, monday, *(packed >> (14 * i) & full for i in range(6)))  # type: ignore[misc]
        for (upn, monday), packed in weeks.items()
    ]


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
