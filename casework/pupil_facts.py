"""What the daily review needs to know of many pupils at once (their LA's rules, their
school's calendar, their counted marks), read in a few statements rather than a few for every
pupil: a county reviews thousands of notices and episodes each day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from attendance.authorities import AuthorityRules, rules_for
from attendance.calendar import SchoolCalendar
from attendance.prosecution import first_offence
from casework.ports import UnitOfWork
from casework.records import SchoolRow


@dataclass(frozen=True)
class PupilFacts:
    schools: dict[str, SchoolRow]
    calendars: dict[str, SchoolCalendar]
    recorded: dict[str, AuthorityRules]

    def rules(self, upn: str) -> AuthorityRules:
        """As casework.authorities.rules_for_pupil."""
        school = self.schools.get(upn)
        return rules_for(school.local_authority if school else "", self.recorded)

    def calendar(self, upn: str) -> SchoolCalendar:
        school = self.schools.get(upn)
        return self.calendars.get(school.urn, SchoolCalendar()) if school else SchoolCalendar()


async def facts_of(uow: UnitOfWork, upns: Iterable[str]) -> PupilFacts:
    schools = await uow.registry.schools_of(set(upns))
    calendars = await uow.registry.calendars({s.urn for s in schools.values()})
    return PupilFacts(schools, calendars, await uow.registry.recorded_rules())


def counted(sessions: Iterable[tuple[date, str]], start: date, end: date) -> int:
    """As Marks.count_codes over what Marks.sessions_with_codes read: each session once,
    whichever schools recorded it."""
    return sum(start <= day <= end for day, _ in sessions)


async def first_offences(
    uow: UnitOfWork, spans: Iterable[tuple[str, date, date]]
) -> dict[tuple[str, date, date], date | None]:
    """Each (pupil, start, end)'s first day with a session its LA counts (as first_offence
    over the pupil's marks), the marks of all of them read at once over the spans' days."""
    spans = list(spans)
    if not spans:
        return {}
    upns = {upn for upn, _, _ in spans}
    facts = await facts_of(uow, upns)
    marks = await uow.marks.for_pupils(
        upns, min(start for _, start, _ in spans), max(end for _, _, end in spans)
    )
    return {
        (upn, start, end): first_offence(
            marks.get(upn, []), start, end, facts.rules(upn).threshold_codes
        )
        for upn, start, end in spans
    }
