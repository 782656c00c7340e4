"""Who meets the national threshold on a date, and the daily review that raises the alerts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from attendance.age import compulsory_school_age
from attendance.authorities import AuthorityRules, rules_for
from attendance.calendar import SchoolCalendar
from attendance.holiday import ThresholdRoute, route
from attendance.prosecution import (
    may_be_near,
    prosecution_deadline,
    time_limit_near,
)
from attendance.threshold import THRESHOLD_SESSIONS, Conflict
from casework.authorities import rules_for_pupil as rules_for_pupil  # re-exported: its old home
from casework.events import (
    Event,
    ThresholdMet,
    TimeLimitNear,
    UnresolvedN,
)
from casework.notice_review import review_notices, review_time_limits
from casework.ports import UnitOfWork
from casework.pupil_facts import first_offences
from casework.quarantine import review_quarantine
from casework.records import Entry, Episode, PupilCount
from casework.registers import registers_missing_in_windows

SYSTEM = "supportfirst"
# An N is a data-quality alert while it is recent; older ones (a first import of last year's
# registers) would only bury today's alerts.
N_LOOKBACK_DAYS = 60
HOLIDAY = ThresholdRoute.TERM_TIME_HOLIDAY
# A county's first review opens thousands of episodes: their windows' marks are read this many
# pupils at a time.
NEW_EPISODES_AT_ONCE = 2000


class PupilThreshold(NamedTuple):
    """A pupil's threshold on a date: a tuple, as a county's report makes one per pupil (a
    frozen dataclass took 4 us each on the loaded bench machine, this 1 us)."""

    upn: str
    unauthorised_sessions: int
    window_start: date | None
    window_end: date
    met: bool
    # Sessions two schools recorded different real marks for (registers are per school).
    conflicts: tuple[Conflict, ...] = ()
    # Education Act 1996 s8: absence outside compulsory school age meets no threshold.
    compulsory_school_age: bool = True
    # Mondays of weeks of term in the window with no marks for the pupil on roll.
    registers_missing: tuple[date, ...] = ()


async def authority_rules(uow: UnitOfWork) -> dict[str, AuthorityRules]:
    """The rules in force for every LA that has a school on record."""
    recorded = await uow.registry.recorded_rules()
    return {la: rules_for(la, recorded) for la in await uow.registry.authorities_in_use()}


async def _counts(uow: UnitOfWork, on: date) -> list[PupilCount]:
    rules = await authority_rules(uow)
    codes = {la: r.threshold_codes for la, r in rules.items()}
    weeks = {r.policy.weeks for r in rules.values()} or {10}
    return await uow.marks.threshold_counts(on, codes, max(weeks))


async def _judged(
    uow: UnitOfWork, counts: list[PupilCount], on: date
) -> list[tuple[PupilCount, bool]]:
    """Each count with whether the pupil is of compulsory school age on `on` (s8), worked out
    once per distinct birthday; a child who became so inside the window (their first term) is
    recounted from that day: absence before it counts for nothing."""
    ages = {d: compulsory_school_age(d) for d in {c.date_of_birth for c in counts} if d}
    judged = []
    for c in counts:
        age = ages.get(c.date_of_birth) if c.date_of_birth else None
        if age is None:
            judged.append((c, True))
            continue
        first = age.first_day
        if c.window_start is not None and c.window_start < first <= on:
            codes = (await rules_for_pupil(uow, c.upn)).threshold_codes
            counted = await uow.marks.count_codes(c.upn, first, on, codes)
            c = c._replace(unauthorised_sessions=counted)
        judged.append((c, first <= on <= age.last_day))
    return judged


async def threshold_report(uow: UnitOfWork, on: date, include_all: bool) -> list[PupilThreshold]:
    """Pupils meeting the threshold on `on` (with `include_all`, every pupil with a counted
    session in their window), sorted by UPN."""
    async with uow:
        counts = await _counts(uow, on)
        listed = [
            (c, of_age, met)
            for c, of_age in await _judged(uow, counts, on)
            if (met := of_age and c.unauthorised_sessions >= THRESHOLD_SESSIONS) or include_all
        ]
        missing = await registers_missing_in_windows(uow, [c for c, _, _ in listed], on)
        found: dict[str, list[Conflict]] = {}
        for x in await uow.marks.conflicts([c.upn for c, _, _ in listed]):
            found.setdefault(x.upn, []).append(x.conflict)
    # Built once per pupil, with everything in it: a county's list is not copied again.
    return [
        PupilThreshold(
            c.upn,
            c.unauthorised_sessions,
            c.window_start,
            on,
            met,
            tuple(found[c.upn]) if c.upn in found else (),  # conflicts
            of_age,  # compulsory_school_age
            tuple(missing[c.upn]) if c.upn in missing else (),  # registers_missing
        )
        for c, of_age, met in listed
    ]


async def _met(uow: UnitOfWork, on: date) -> dict[str, PupilThreshold]:
    """The pupils over the threshold on `on`, as threshold_report finds them; only the counts
    that could meet it are looked at further (a recount from school age only lowers a count),
    so a county's hundred thousand pupils with an absence cost one query, not a pass each."""
    counts = [c for c in await _counts(uow, on) if c.unauthorised_sessions >= THRESHOLD_SESSIONS]
    return {
        c.upn: PupilThreshold(c.upn, c.unauthorised_sessions, c.window_start, on, True)
        for c, of_age in await _judged(uow, counts, on)
        if of_age and c.unauthorised_sessions >= THRESHOLD_SESSIONS
    }


async def _review_thresholds(
    uow: UnitOfWork, on: date, now: datetime, episodes: dict[str, Episode]
) -> tuple[list[Event], dict[str, Episode]]:
    """The episodes opened and closed on `on`, and the open ones afterwards."""
    events: list[Event] = []
    met = await _met(uow, on)
    new = [r for upn, r in sorted(met.items()) if upn not in episodes and r.window_start]
    for i in range(0, len(new), NEW_EPISODES_AT_ONCE):
        events += await _open_episodes(uow, new[i : i + NEW_EPISODES_AT_ONCE], on, now)
    # Reviews may be re-run for earlier dates; only a later review can end an episode.
    ended = [u for u, e in episodes.items() if u not in met and on > e.first_met_on]
    await uow.cases.close_episodes(ended, on)
    still = {u: e for u, e in episodes.items() if u not in set(ended)}
    for r in new:
        assert r.window_start is not None
        still[r.upn] = Episode(
            upn=r.upn,
            first_met_on=on,
            unauthorised_sessions=r.unauthorised_sessions,
            window_start=r.window_start,
        )
    return events, still


async def _open_episodes(
    uow: UnitOfWork, met: list[PupilThreshold], on: date, now: datetime
) -> list[Event]:
    """A threshold episode and its ThresholdMet for each pupil newly over the threshold."""
    events: list[Event] = []
    entries: list[Entry] = []  # written in one statement after the loop, not a flush each
    windows = await uow.marks.for_pupils(
        [r.upn for r in met], min(r.window_start or on for r in met), on
    )
    for r in met:
        upn = r.upn
        assert r.window_start is not None
        await uow.cases.open_episode(
            Episode(
                upn=upn,
                first_met_on=on,
                unauthorised_sessions=r.unauthorised_sessions,
                window_start=r.window_start,
            )
        )
        how = route(windows.get(upn, []), r.window_start, on)
        event = ThresholdMet(upn, on, r.unauthorised_sessions, r.window_start, str(how))
        summary = (
            f"Met the national threshold: {r.unauthorised_sessions} unauthorised sessions since "
            f"{r.window_start}"
            f"{', a term-time holiday of 10 or more G' if how is HOLIDAY else ''}. "
            "The school must now consider, case by case, what action to take."
        )
        entries.append(
            Entry(
                id=0,
                upn=upn,
                on=on,
                recorded_at=now,
                kind="threshold_met",
                by=SYSTEM,
                summary=summary,
                details=event.payload(),
            )
        )
        events.append(event)
    await uow.cases.add_entries(entries)
    return events


async def _review_unresolved_n(uow: UnitOfWork, on: date) -> list[Event]:
    """`N` must be replaced by a proper code quickly: alert once when it has not been."""
    events: list[Event] = []
    due = []
    recorded = await uow.registry.recorded_rules()
    marks = await uow.marks.unalerted_n(on - timedelta(days=N_LOOKBACK_DAYS), on)
    urns = {m.school_urn for m in marks}
    calendars = await uow.registry.calendars(urns)
    schools = await uow.registry.schools_by_urn(urns)
    limits = {  # urn: the LA's limit
        urn: rules_for(
            schools[urn].local_authority if urn in schools else "", recorded
        ).n_unresolved_school_days
        for urn in urns
    }
    since: dict[tuple[str, date], int] = {}  # (urn, day): school days since, for every N of it
    for mark in marks:
        key = (mark.school_urn, mark.day)
        if key not in since:
            since[key] = _school_days_since(calendars[mark.school_urn], mark.day, on)
        days, limit = since[key], limits[mark.school_urn]
        if days >= limit:
            due.append(mark)
            events.append(UnresolvedN(mark.upn, on, mark.day, mark.session, days))
    await uow.marks.n_alerted(due, on)
    return events


def _school_days_since(calendar: SchoolCalendar, day: date, on: date) -> int:
    """School days after `day` up to `on`; weekdays where no calendar has been imported."""
    if not calendar.terms:
        return sum((day + timedelta(days=i)).weekday() < 5 for i in range(1, (on - day).days + 1))
    return calendar.school_days_between(day + timedelta(days=1), on)


async def _review_episode_time_limits(
    uow: UnitOfWork, on: date, now: datetime, episodes: dict[str, Episode]
) -> list[Event]:
    """Every open threshold episode, NTI or not (a term-time holiday case too): alert once when
    the oldest session its window relies on is six weeks from leaving the six months."""
    events: list[Event] = []
    due = [
        e
        for e in episodes.values()
        if e.first_met_on <= on and may_be_near(e.window_start, e.first_met_on, on)
    ]
    alerted = await uow.cases.entries_of_kinds({e.upn for e in due}, ["time_limit_near"])
    due = [
        e
        for e in sorted(due, key=lambda e: e.upn)
        if not any(
            a.details.get("episode_met_on") == e.first_met_on.isoformat()
            for a in alerted.get(e.upn, [])
        )
    ]
    oldest_of = await first_offences(uow, [(e.upn, e.window_start, e.first_met_on) for e in due])
    for episode in due:
        upn, met_on = episode.upn, episode.first_met_on
        oldest = oldest_of[(upn, episode.window_start, met_on)]
        if oldest is None or not time_limit_near(oldest, on):
            continue
        deadline = prosecution_deadline(oldest)
        event = TimeLimitNear(upn, on, 0, oldest, deadline, met_on)
        await uow.cases.add_entry(
            upn,
            on,
            "time_limit_near",
            SYSTEM,
            f"The threshold met on {met_on} relies on absence from {oldest}: a prosecution for "
            f"it must be laid by {deadline} (Magistrates' Courts Act 1980 s127). Refer to the "
            "local authority now, or record the decision not to.",
            event.payload(),
            now,
        )
        events.append(event)
    return events


async def daily_review(uow: UnitOfWork, on: date, now: datetime) -> list[Event]:
    """Run the review for `on`: new threshold episodes, NTI breaches and ends, unresolved `N`
    marks. Each event is raised once, however often the review is run."""
    events = await _review(uow, on, now, once=False)
    assert events is not None
    return events


async def daily_review_once(uow: UnitOfWork, on: date, now: datetime) -> list[Event] | None:
    """As daily_review, unless a review for `on` has already run, here or in another process
    on the same database: then None. What serve runs each day (at county scale a review is a
    minute of the database's time, and on SQLite it holds the write lock meanwhile)."""
    return await _review(uow, on, now, once=True)


async def _review(uow: UnitOfWork, on: date, now: datetime, once: bool) -> list[Event] | None:
    async with uow:
        await uow.exclusive("daily_review")  # two serve processes: one review at a time
        if once and await uow.cases.reviewed(on):
            return None
        events, episodes = await _review_thresholds(uow, on, now, await uow.cases.open_episodes())
        events += await review_notices(uow, on, now)
        events += await _review_unresolved_n(uow, on)
        events += await review_time_limits(uow, on, now)
        events += await _review_episode_time_limits(uow, on, now, episodes)
        events += await review_quarantine(uow, on, now)
        for event in events:
            await uow.outbox.add(event, now)
        await uow.cases.record_review(on, now, len(events))
        await uow.commit()
    return events
