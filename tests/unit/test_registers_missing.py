"""Missing registers are not "no absence" (issue 11 point 2; attendance/registers.py)."""

from __future__ import annotations

from datetime import date

from attendance.calendar import SchoolCalendar
from attendance.registers import (
    Roll,
    SchoolRegister,
    may_miss_registers,
    may_miss_registers_on_roll,
    missing_weeks,
    term_mondays,
    weeks_of,
)

# Autumn term 2025 with half-term 27-31 October.
AUTUMN = SchoolCalendar.of(
    [(date(2025, 9, 3), date(2025, 10, 24)), (date(2025, 11, 3), date(2025, 12, 19))]
)
CALENDARS = {"100001": AUTUMN, "100002": AUTUMN}
OCT = [date(2025, 9, 29), date(2025, 10, 6), date(2025, 10, 13), date(2025, 10, 20)]
NOV = [date(2025, 11, 3), date(2025, 11, 10)]


def mondays(*weeks: date) -> frozenset[date]:
    return frozenset(weeks)


def test_a_week_of_term_with_no_marks_between_two_marked_weeks_is_missing() -> None:
    marked = mondays(OCT[0], OCT[1], *NOV)
    register = SchoolRegister("100001", marked)
    missing = missing_weeks([register], marked, CALENDARS, OCT[0], date(2025, 11, 14))
    assert missing == [OCT[2], OCT[3]]  # half-term (27 October) is no week of term


def test_weeks_before_the_first_mark_or_after_the_last_are_not_missing() -> None:
    marked = mondays(OCT[2])
    register = SchoolRegister("100001", marked)
    assert missing_weeks([register], marked, CALENDARS, OCT[0], date(2025, 11, 14)) == []
    # Marked before the span and after it: on roll throughout.
    on_roll = SchoolRegister("100001", marked, before=True, after=True)
    found = missing_weeks([on_roll], marked, CALENDARS, OCT[0], date(2025, 11, 14))
    assert found == [OCT[0], OCT[1], OCT[3], *NOV]


def test_the_new_schools_z_does_not_cover_the_old_schools_missing_week() -> None:
    # Old school 100001 marked weeks 0, 1 and 3; the new school recorded Z for every week
    # before the move: week 2 still had no school session anywhere.
    old = SchoolRegister("100001", mondays(OCT[0], OCT[1], OCT[3]))
    new = SchoolRegister("100002", mondays(*OCT, *NOV))
    school_weeks = mondays(OCT[0], OCT[1], OCT[3], *NOV)
    assert missing_weeks([old, new], school_weeks, CALENDARS, OCT[0], NOV[1]) == [OCT[2]]


def test_a_week_with_real_marks_from_another_school_is_not_missing() -> None:
    old = SchoolRegister("100001", mondays(OCT[0], OCT[3]))
    new = SchoolRegister("100002", mondays(OCT[1], OCT[2]))
    weeks = mondays(*OCT)
    assert missing_weeks([old, new], weeks, CALENDARS, OCT[0], OCT[3]) == []


def test_the_first_look_compares_weeks_of_term_with_school_weeks() -> None:
    terms = term_mondays(AUTUMN, OCT[0], date(2025, 11, 12))
    assert terms == [*OCT, *NOV]  # the week of 12 November counts: it had school days by then
    assert not may_miss_registers(terms, OCT[0], NOV[1], 6)
    assert may_miss_registers(terms, OCT[0], NOV[1], 5)


def test_the_first_look_reads_each_school_s_weeks_of_term_over_its_span() -> None:
    # 100002, an academy, takes its half-term a week early (20 October) and is in term on 27
    # October. The pupil was at 100001 to 24 October, then at 100002: six school weeks.
    academy = SchoolCalendar.of(
        [(date(2025, 9, 3), date(2025, 10, 17)), (date(2025, 10, 27), date(2025, 12, 19))]
    )
    end = date(2025, 11, 14)
    terms = {
        "100001": term_mondays(AUTUMN, OCT[0], end),
        "100002": term_mondays(academy, OCT[0], end),
    }
    week_27 = date(2025, 10, 27)
    moved = [Roll("100002", week_27), Roll("100001", OCT[0], date(2025, 10, 24))]
    # Term weeks on roll: 29 Sep .. 20 Oct at the old school, 27 Oct .. 10 Nov at the new: 7.
    assert may_miss_registers_on_roll(terms, moved, OCT[0], NOV[1], 6)
    assert not may_miss_registers_on_roll(terms, moved, OCT[0], NOV[1], 7)
    # The new school's weeks alone are six: a blank 20 October at the old one would be missed.
    assert not may_miss_registers(terms["100002"], OCT[0], NOV[1], 6)
    # A span still running (no last day) counts on to `upto`.
    assert may_miss_registers_on_roll(terms, [Roll("100001", OCT[0])], OCT[0], NOV[1], 5)


def test_weeks_are_named_as_a_person_would() -> None:
    assert weeks_of([OCT[2], OCT[3]]) == "13 Oct, 20 Oct"
    assert weeks_of([date(2025, 12, 15), date(2026, 1, 5)]) == "15 Dec 2025, 5 Jan 2026"
