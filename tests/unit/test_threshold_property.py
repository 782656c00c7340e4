"""`evaluate` and `longest_run` held against slow references written from CONTRACT.md's words."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from attendance.codes import CODES
from attendance.threshold import (
    Mark,
    Session,
    ThresholdPolicy,
    conflicts,
    effective,
    evaluate,
    longest_run,
)

DATE = date(2025, 3, 14)
NOT_A_SCHOOL_SESSION = {"#", "Y4", "Z"}
ALL_CODES = sorted(CODES)
COMMON = ["G", "O", "U", "N", "/", "\\"]

codes = st.one_of(st.sampled_from(COMMON), st.sampled_from(COMMON), st.sampled_from(ALL_CODES))
policies = st.sets(st.sampled_from(["G", "O", "U", "N"]), min_size=1).map(
    lambda c: ThresholdPolicy(codes=frozenset(c))
)


@st.composite
def registers(draw: st.DrawFn, weeks_back: int = 45, weeks_ahead: int = 6) -> list[Mark]:
    """Marks in random weeks around DATE (the missing weeks are holidays), one per session."""
    first_monday = DATE - timedelta(days=DATE.weekday(), weeks=weeks_back)
    week_numbers = draw(st.sets(st.integers(0, weeks_back + weeks_ahead), min_size=6, max_size=18))
    marks = []
    for n in sorted(week_numbers):
        closed = draw(st.integers(0, 5)) == 0  # now and then, a week of only closure marks
        for day in draw(st.sets(st.integers(0, 6), min_size=1, max_size=7)):
            for session in draw(
                st.sampled_from([[Session.AM, Session.PM], [Session.AM], [Session.PM]])
            ):
                code = draw(st.sampled_from(sorted(NOT_A_SCHOOL_SESSION)) if closed else codes)
                marks.append(Mark(first_monday + timedelta(weeks=n, days=day), session, code))
    return draw(st.permutations(marks))


def monday_of(day: date) -> date:
    while day.strftime("%A") != "Monday":
        day -= timedelta(days=1)
    return day


def reference(marks: list[Mark], on: date, codes: frozenset[str]) -> tuple[int, date | None, bool]:
    """CONTRACT.md: the last 10 Monday-Sunday weeks up to DATE's week with a school session."""
    seen = [m for m in marks if m.day <= on]
    if not seen:
        return 0, None, False
    mondays = []
    monday = monday_of(min(m.day for m in seen))
    while monday <= on:
        mondays.append(monday)
        monday += timedelta(days=7)

    def in_week(mark: Mark, monday: date) -> bool:
        return monday <= mark.day <= monday + timedelta(days=6)

    school_weeks = [
        w
        for w in mondays
        if any(in_week(m, w) and m.code not in NOT_A_SCHOOL_SESSION for m in seen)
    ]
    window = school_weeks[-10:]
    count = sum(1 for m in seen if m.code in codes and any(in_week(m, w) for w in window))
    return count, (window[0] if window else None), count >= 10


@settings(max_examples=300, deadline=None)
@given(marks=registers(), offset=st.integers(-3, 3), policy=policies)
def test_evaluate_agrees_with_the_contract_reference(marks, offset, policy):
    on = DATE + timedelta(days=offset)
    result = evaluate(marks, on, policy)
    assert (result.unauthorised_sessions, result.window_start, result.met) == reference(
        marks, on, policy.codes
    )
    assert result.window_end == on


def reference_run(marks: list[Mark], code: str) -> int:
    """Longest stretch of `code` in session order, closure and not-on-roll marks left out."""
    order = {Session.AM: 0, Session.PM: 1}
    ordered = sorted(marks, key=lambda m: (m.day, order[m.session]))
    kept = [m.code for m in ordered if m.code not in NOT_A_SCHOOL_SESSION]
    return max((len(list(g)) for c, g in itertools.groupby(kept) if c == code), default=0)


run_codes = st.sampled_from(["G", "G", "G", "G", "#", "Y4", "Z", "/", "O", "I"])


@st.composite
def short_registers(draw: st.DrawFn) -> list[Mark]:
    days = draw(st.sets(st.integers(0, 40), max_size=30))
    marks = [
        Mark(DATE + timedelta(days=d), s, draw(run_codes))
        for d in sorted(days)
        for s in (Session.AM, Session.PM)
    ]
    return draw(st.permutations(marks))


@settings(max_examples=300, deadline=None)
@given(marks=short_registers())
def test_longest_run_agrees_with_a_groupby_reference(marks):
    run = longest_run(marks, "G")
    assert run.length == reference_run(marks, "G")
    if run.length:
        between = [m for m in marks if run.first <= m <= run.last]
        assert [m.code for m in between if m.code not in NOT_A_SCHOOL_SESSION] == ["G"] * run.length


# --- registers kept per school: two schools' marks for the same weeks -------------------------

SILENT_FOR_OTHER_SCHOOLS = {"Z", "D", "#", "Y4"}  # DOMAIN.md: they say nothing of the other school
school_codes = st.one_of(codes, st.sampled_from(["Z", "D", "#"]))


@st.composite
def two_schools(draw: st.DrawFn) -> list[Mark]:
    """Each school's own register (one mark per session each) for overlapping weeks."""
    marks = []
    for school in ("100001", "100002"):
        for m in draw(registers(weeks_back=20, weeks_ahead=2)):
            code = draw(school_codes) if m.code not in NOT_A_SCHOOL_SESSION else m.code
            marks.append(Mark(m.day, m.session, code, school))
    return draw(st.permutations(marks))


def reference_per_school(
    marks: list[Mark], on: date, codes: frozenset[str]
) -> tuple[int, date | None, bool]:
    """Per session: the real marks where any school recorded one, else the others; a week with
    a session that stands as a school session is a school week; a session counts once."""
    by_session: dict[tuple[date, Session], set[str]] = {}
    for m in marks:
        if m.day <= on:
            by_session.setdefault((m.day, m.session), set()).add(m.code)
    standing = {
        k: ({c for c in v if c not in SILENT_FOR_OTHER_SCHOOLS} or v) for k, v in by_session.items()
    }
    weeks = sorted({monday_of(d) for (d, _), v in standing.items() if v - NOT_A_SCHOOL_SESSION})
    window = weeks[-10:]
    count = sum(1 for (d, _), v in standing.items() if v & codes and monday_of(d) in window)
    return count, (window[0] if window else None), count >= 10


@settings(max_examples=300, deadline=None)
@given(marks=two_schools(), offset=st.integers(-3, 3), policy=policies)
def test_evaluate_agrees_with_the_reference_on_two_schools_registers(marks, offset, policy):
    on = DATE + timedelta(days=offset)
    result = evaluate(marks, on, policy)
    assert (result.unauthorised_sessions, result.window_start, result.met) == reference_per_school(
        marks, on, policy.codes
    )


@settings(max_examples=100, deadline=None)
@given(marks=two_schools())
def test_one_schools_z_d_or_hash_never_hides_the_others_real_mark(marks):
    for m in marks:
        others = [
            o for o in marks if (o.day, o.session) == (m.day, m.session) and o.school != m.school
        ]
        if m.code in SILENT_FOR_OTHER_SCHOOLS and any(
            o.code not in SILENT_FOR_OTHER_SCHOOLS for o in others
        ):
            assert all(e.code not in SILENT_FOR_OTHER_SCHOOLS for e in effective([m, *others]))
    found = {(c.day, c.session) for c in conflicts(marks)}
    for m in marks:
        real = {
            o.code for o in marks if (o.day, o.session) == (m.day, m.session)
        } - SILENT_FOR_OTHER_SCHOOLS
        assert ((m.day, m.session) in found) == (len(real) > 1)
