"""The register extract of the referral pack: every session mark of the threshold window(s)
and of each Notice to Improve's improvement period, as each school recorded it, shown as a table
in chronology.pdf and filed as `register.csv` (the LA exhibits the register itself in court)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from attendance.codes import CODES
from attendance.threshold import Mark, ThresholdPolicy, effective, evaluate
from attendance.ukdates import uk_day
from casework.records import Entry, NoticeRecord, NoticeStatus
from casework.spreadsheet import text_cell

REGISTER_CSV = "register.csv"
# The first five as CONTRACT.md fixes them (the marks file's own columns), then the reading.
CSV_HEADER = (
    "upn",
    "school_urn",
    "date",
    "session",
    "code",
    "weekday",
    "meaning",
    "school",
    "stands",
    "counted",
    "covers",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Stretch:
    """A run of days the extract covers: a threshold window or an improvement period."""

    label: str  # "the threshold window met on 14 Nov 2025", "Notice to Improve 1's period"
    start: date
    end: date
    kind: str  # window | period
    notice_id: int | None = None  # the notice whose window or period it is

    def holds(self, on: date) -> bool:
        return self.start <= on <= self.end


@dataclass(frozen=True)
class RegisterRow:
    day: date
    session: str
    code: str
    meaning: str
    school_urn: str
    school: str
    stands: bool  # the mark that stands for the session (another school's Z or D does not)
    counted: bool  # it stands and is one of the codes the threshold counts
    covers: tuple[str, ...]  # the labels of the stretches the day is in


def stretches(
    entries: Sequence[Entry],
    notices: Sequence[NoticeRecord],
    marks: Sequence[Mark],
    policy: ThresholdPolicy,
) -> tuple[Stretch, ...]:
    """Each window the threshold was met in, the window each notice relies on, and each
    notice's period (as served, else as planned); with none, the latest 10-week window."""
    found: list[Stretch] = []
    for e in entries:
        start = e.details.get("window_start") if e.kind == "threshold_met" else None
        if start:
            label = f"the threshold window met on {uk_day(e.on)}"
            found.append(Stretch(label, date.fromisoformat(str(start)), e.on, "window"))
    for n in notices:
        if n.status is NoticeStatus.WITHDRAWN:
            continue
        met = n.met_on or n.issued_on
        label = f"the window Notice to Improve {n.id} relies on"
        found.append(Stretch(label, n.window_start, met, "window", n.id))
        if n.served_start is not None and n.served_end is not None:
            label = f"Notice to Improve {n.id}'s improvement period"
            found.append(Stretch(label, n.served_start, n.served_end, "period", n.id))
        else:
            label = f"Notice to Improve {n.id}'s improvement period as planned (not yet served)"
            found.append(Stretch(label, n.period_start, n.period_end, "period", n.id))
    if not found and marks:
        last = max(m.day for m in marks)
        result = evaluate(marks, last, policy)
        if result.window_start is not None:
            label = f"the 10 school weeks to {uk_day(last)} (the threshold was not met)"
            found.append(Stretch(label, result.window_start, last, "window"))
    unique: dict[tuple[date, date], Stretch] = {}
    for s in found:  # a notice relies on the window already listed: say it once
        unique.setdefault((s.start, s.end), s)
    return tuple(sorted(unique.values(), key=lambda s: (s.start, s.end)))


def register_rows(
    recorded: Iterable[Mark],
    covered: Sequence[Stretch],
    schools: dict[str, str],
    policy: ThresholdPolicy,
) -> tuple[RegisterRow, ...]:
    """Every school's mark for each session inside a stretch, oldest first."""
    marks = list(recorded)
    standing = {(m.day, m.session, m.school) for m in effective(marks)}
    rows = []
    for m in sorted(marks, key=lambda m: (m.day, m.session, m.school)):
        covers = tuple(s.label for s in covered if s.holds(m.day))
        if not covers:
            continue
        stands = (m.day, m.session, m.school) in standing
        code = CODES.get(m.code)
        rows.append(
            RegisterRow(
                m.day,
                str(m.session),
                m.code,
                code.meaning if code else "",
                m.school,
                schools.get(m.school, m.school),
                stands,
                stands and m.code in policy.codes,
                covers,
            )
        )
    return tuple(rows)


def register_csv(upn: str, rows: Sequence[RegisterRow]) -> bytes:
    """The extract as CSV (ISO dates, yes/no): what the LA's own tools read."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(
            (
                upn,
                r.school_urn,
                r.day.isoformat(),
                r.session,
                r.code,
                WEEKDAYS[r.day.weekday()],
                text_cell(r.meaning),
                text_cell(r.school),  # free text: never a formula in the LA's spreadsheet
                "yes" if r.stands else "no",
                "yes" if r.counted else "no",
                text_cell("; ".join(r.covers)),
            )
        )
    return out.getvalue().encode()
