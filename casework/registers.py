"""Registers are legal documents, kept per school: what must hold before a notice or penalty
can rest on them (attendance/threshold.py, `effective` and `conflicts`; attendance/registers.py,
missing registers)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from attendance.calendar import SchoolCalendar
from attendance.registers import missing_weeks, weeks_of
from casework.errors import RegistersDisagree, RegistersMissing
from casework.ports import UnitOfWork

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
