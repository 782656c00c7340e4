"""Registers are legal documents, kept per school: what must hold before a notice or penalty
can rest on them (attendance/threshold.py, `effective` and `conflicts`; attendance/registers.py,
missing registers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from attendance.calendar import SchoolCalendar, week_monday
from attendance.registers import (
    Roll,
    may_miss_registers,
    may_miss_registers_on_roll,
    missing_weeks,
    term_mondays,
    weeks_of,
)
from casework.errors import RegistersDisagree, RegistersMissing
from casework.ports import UnitOfWork
from casework.records import PupilCount

# How many conflicting sessions a refusal lists before saying how many more there are.
_LISTED = 3


async def require_registers_agree(uow: UnitOfWork, upn: str) -> None:
    """Refuse while two schools' registers disagree for any session of the pupil."""
    found = await uow.marks.conflicts([upn])
    if not found:
        return
    listed = "; ".join(c.conflict.describe() for c in found[:_LISTED])
    more = f" (and {len(found) - _LISTED} more)" if len(found) > _LISTED else ""
    raise RegistersDisagree(
        f"the registers of two schools disagree for {upn}: {listed}{more}; one school must "
        "correct its mark (import the corrected register) first"
    )


async def registers_missing(
    uow: UnitOfWork,
    spans: Mapping[str, date],
    on: date,
    calendars: dict[str, SchoolCalendar] | None = None,
) -> dict[str, list[date]]:
    """Inside an open unit of work: for each pupil (upn → the span's first day), the Mondays
    of the weeks from then to `on` whose registers are missing; pupils with none left out."""
    calendars = {} if calendars is None else calendars
    found = {}
    for pupil in await uow.marks.registers(spans, on):
        for register in pupil.registers:
            if register.school not in calendars:
                calendars[register.school] = await uow.registry.calendar(register.school)
        weeks = missing_weeks(pupil.registers, pupil.school_weeks, calendars, spans[pupil.upn], on)
        if weeks:
            found[pupil.upn] = weeks
    return found


async def require_registers_complete(uow: UnitOfWork, upn: str, start: date, on: date) -> None:
    """Refuse while a week of term from `start` to `on` has no marks for the pupil on roll."""
    weeks = (await registers_missing(uow, {upn: start}, on)).get(upn)
    if weeks:
        raise RegistersMissing(
            f"the registers of {upn} are missing for {len(weeks)} week"
            f"{'s' if len(weeks) > 1 else ''} of term since {start} (the pupil was on roll but "
            f"has no marks): import the registers for the weeks of {weeks_of(weeks)} first"
        )


async def registers_missing_in_windows(
    uow: UnitOfWork, counts: Sequence[PupilCount], on: date
) -> dict[str, list[date]]:
    """Missing registers in each pupil's threshold window, set-based for a county: a first look
    from the counts alone (more weeks of term at the schools they were on roll at than school
    weeks in the window), then the store's registers for the few pupils it leaves."""
    starts = {c.upn: c.window_start for c in counts if c.window_start and c.last_week}
    if not starts:
        return {}
    windows = [c for c in counts if c.upn in starts]
    start = min(starts.values())
    on_record = await uow.registry.calendars_on_record()
    empty = SchoolCalendar()  # no calendar on record: no weeks of term
    calendars = {c.school_urn: on_record.get(c.school_urn, empty) for c in windows}
    # Movers: their spans at earlier schools, each school's weeks of term by its own calendar.
    # Where every calendar on record is one (a county's schools mostly share their LA's), the
    # school now has the same weeks of term as any earlier one: the spans are not read.
    elsewhere: dict[str, list[Roll]] = {}
    if len(set(on_record.values()) | set(calendars.values())) > 1:
        elsewhere = await uow.marks.rolls_elsewhere(start)
        calendars |= {
            r.school: on_record.get(r.school, empty) for v in elsewhere.values() for r in v
        }
    # Each distinct calendar's weeks of term are found once.
    weeks_of_term = {cal: term_mondays(cal, start, on) for cal in set(calendars.values())}
    terms = {urn: weeks_of_term[calendar] for urn, calendar in calendars.items()}
    this_monday = week_monday(on)

    def may_miss(c: PupilCount, upto: date) -> bool:
        first = starts[c.upn]
        if c.upn in elsewhere:
            rolls = [Roll(c.school_urn, first), *elsewhere[c.upn]]
            return may_miss_registers_on_roll(terms, rolls, first, upto, c.school_weeks)
        return may_miss_registers(terms[c.school_urn], first, upto, c.school_weeks)

    # Looking back at an earlier date, a school's later marks may follow a week left blank
    # after the window's last school week: count the weeks up to DATE's.
    if await uow.marks.any_after(on):
        spans = {c.upn: starts[c.upn] for c in windows if may_miss(c, this_monday)}
    else:
        spans = {c.upn: starts[c.upn] for c in windows if c.last_week and may_miss(c, c.last_week)}
        # Such a week before DATE is missing only if a mark comes after it (a week of only `Z`,
        # `#` or `Y4`): the few pupils whose weeks of term run on are asked for their last mark.
        unsure = [
            c
            for c in windows
            if c.upn not in spans
            and c.last_week
            and c.last_week < this_monday
            and may_miss(c, this_monday)
        ]
        last = await uow.marks.last_marked([c.upn for c in unsure], on) if unsure else {}
        spans |= {c.upn: starts[c.upn] for c in unsure if may_miss(c, last.get(c.upn, this_monday))}
    return await registers_missing(uow, spans, on, calendars) if spans else {}
