"""The Registry and Marks ports: what an import stores and what the threshold reads."""

from __future__ import annotations

from datetime import date, timedelta

from attendance.authorities import AuthorityRules
from attendance.registers import Roll
from attendance.threshold import Conflict, Mark, Session
from casework.ports import UnitOfWork
from casework.records import (
    CalendarRow,
    Change,
    MarkChanges,
    MarkConflict,
    MarkRow,
    ParentRow,
    PupilCount,
    SchoolRow,
)
from tests.contract.conftest import NOW, OTHER_SCHOOL, OTHER_UPN, SCHOOL, UPN, seed

MONDAY = date(2024, 9, 9)


async def test_an_upsert_returns_only_what_changed(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        changes = await uow.registry.upsert_schools(
            [
                SchoolRow(SCHOOL, "Riverside Primary", "Essex"),
                SchoolRow(OTHER_SCHOOL, "Hillside School", "Norfolk"),
            ]
        )
        parents = await uow.registry.upsert_parents(
            [ParentRow("P2", UPN, "Jo Taylor", "jo@example.org", "father")]
        )
        await uow.commit()
    assert changes == [
        Change(f"school:{OTHER_SCHOOL}", {"name": "Hillside Academy"}, {"name": "Hillside School"})
    ]
    assert parents == [Change("parent:P2", {"email": None}, {"email": "jo@example.org"})]
    async with uow:
        assert await uow.registry.school(OTHER_SCHOOL) == SchoolRow(
            OTHER_SCHOOL, "Hillside School", "Norfolk"
        )


async def test_the_registry_reads_back_what_was_imported(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        assert await uow.registry.school_urns([SCHOOL, "999999"]) == {SCHOOL}
        assert await uow.registry.pupil_upns([OTHER_UPN, "Z1"]) == {OTHER_UPN}
        assert await uow.registry.school("999999") is None
        assert await uow.registry.schools_by_urn([SCHOOL, OTHER_SCHOOL, "999999"]) == {
            urn: await uow.registry.school(urn) for urn in (SCHOOL, OTHER_SCHOOL)
        }
        pupil = await uow.registry.pupil(UPN)
        assert pupil is not None and (pupil.school_urn, pupil.first_name) == (SCHOOL, "Sam")
        assert await uow.registry.pupil("Z1") is None
        assert await uow.registry.parents_of(UPN) == [
            ParentRow("P1", UPN, "Alex Taylor", "Alex@Example.org", "mother"),
            ParentRow("P2", UPN, "Jo Taylor", None, "father"),
        ]
        assert await uow.registry.parent("P3") == ParentRow(
            "P3", "", "Lee Moss", "lee@example.org", ""
        )
        assert await uow.registry.parent("P9") is None
        assert await uow.registry.children_of("P1") == sorted([UPN, OTHER_UPN])
        assert await uow.registry.parents_with_email(" alex@EXAMPLE.org ") == ["P1"]
        await uow.registry.upsert_parents(
            [ParentRow("P0", UPN, "Sam Moss", "ALEX@example.org", "")]
        )
        assert await uow.registry.parents_with_email("alex@example.org") == ["P0", "P1"]
        assert await uow.registry.authorities_in_use() == {"Essex", "Norfolk"}


async def test_calendar_rows_are_added_once_and_make_the_school_calendar(uow: UnitOfWork) -> None:
    await seed(uow)
    term = CalendarRow(SCHOOL, "term", date(2024, 9, 4), date(2024, 10, 25))
    closure = CalendarRow(SCHOOL, "closure", date(2024, 9, 20), date(2024, 9, 20))
    async with uow:
        first = await uow.registry.add_calendar([term, closure])
        again = await uow.registry.add_calendar([term])
        await uow.commit()
    assert [c.subject for c in first] == [f"calendar:{SCHOOL}"] * 2 and again == []
    async with uow:
        calendar = await uow.registry.calendar(SCHOOL)
        other = await uow.registry.calendar(OTHER_SCHOOL)
        on_record = await uow.registry.calendars_on_record()
    assert calendar.is_school_day(date(2024, 9, 19)) and not calendar.is_school_day(
        date(2024, 9, 20)
    )
    assert not other.is_school_day(date(2024, 9, 19))
    assert on_record == {SCHOOL: calendar}  # schools without a calendar are left out


async def test_rules_are_saved_per_authority(uow: UnitOfWork) -> None:
    rules = AuthorityRules("Essex County Council", frozenset({"G", "N", "O", "U"}), 6, None, 5)
    async with uow:
        assert await uow.registry.recorded_rules() == {}
        await uow.registry.save_rules("essex", rules)
        await uow.commit()
    async with uow:
        assert await uow.registry.recorded_rules() == {"essex": rules}


def mark(day: date, session: str, code: str, upn: str = UPN, school: str = SCHOOL) -> MarkRow:
    return MarkRow(upn, school, day, session, code)


async def test_marks_count_new_sessions_and_return_corrections(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        first = await uow.marks.upsert(
            [mark(MONDAY, "AM", "/"), mark(MONDAY, "PM", "N")], NOW, "day1.csv"
        )
        second = await uow.marks.upsert(
            [mark(MONDAY, "PM", "O"), mark(MONDAY + timedelta(days=1), "AM", "O")], NOW, "day2.csv"
        )
        await uow.commit()
    assert (first.inserted, first.corrections) == (2, [])
    assert second.inserted == 1
    assert second.corrections == [
        Change(
            f"mark:{UPN}:{MONDAY}:PM",
            {"code": "N", "school_urn": SCHOOL},
            {"code": "O", "school_urn": SCHOOL},
        )
    ]
    async with uow:
        assert await uow.marks.for_pupil(UPN) == [
            Mark(MONDAY, Session.AM, "/"),
            Mark(MONDAY, Session.PM, "O"),
            Mark(MONDAY + timedelta(days=1), Session.AM, "O"),
        ]
        assert await uow.marks.count_codes(UPN, MONDAY, MONDAY, frozenset({"O", "N"})) == 1
        assert await uow.marks.upsert([], NOW, "empty.csv") == MarkChanges(
            inserted=0, corrections=[]
        )


async def test_a_dual_registered_pupils_d_keeps_the_other_schools_mark(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        await uow.marks.upsert([mark(MONDAY, "AM", "O", school=OTHER_SCHOOL)], NOW, "other.csv")
        changes = await uow.marks.upsert(
            [mark(MONDAY, "AM", "D"), mark(MONDAY, "PM", "D")], NOW, "ours.csv"
        )
        await uow.commit()
    # Each school's mark is its own (registers are per school); the D hides nothing.
    assert (changes.inserted, changes.corrections, changes.conflicts) == (2, [], [])
    async with uow:
        assert await uow.marks.for_pupil(UPN) == [
            Mark(MONDAY, Session.AM, "O"),
            Mark(MONDAY, Session.PM, "D"),
        ]
        counts = await uow.marks.threshold_counts(MONDAY, {"Essex": frozenset("GOU")}, 10)
        assert [(c.upn, c.unauthorised_sessions) for c in counts] == [(UPN, 1)]


async def test_a_new_schools_z_keeps_the_old_schools_absences(uow: UnitOfWork) -> None:
    # The move: the old school recorded 10 O; the new school then sends Z for those weeks.
    await seed(uow)
    days = [MONDAY + timedelta(days=i) for i in range(5)]
    old = [mark(d, s, "O", school=OTHER_SCHOOL) for d in days for s in ("AM", "PM")]
    z = [mark(d, s, "Z") for d in days for s in ("AM", "PM")]
    async with uow:
        await uow.marks.upsert(old, NOW, "old.csv")
        changes = await uow.marks.upsert(z, NOW, "new.csv")
        await uow.commit()
    assert (changes.inserted, changes.corrections, changes.conflicts) == (10, [], [])
    async with uow:
        counts = await uow.marks.threshold_counts(days[-1], {"Essex": frozenset("GOU")}, 10)
        assert [(c.upn, c.unauthorised_sessions) for c in counts] == [(UPN, 10)]
        assert [m.code for m in await uow.marks.for_pupil(UPN)] == ["O"] * 10
        assert await uow.marks.count_codes(UPN, days[0], days[-1], frozenset("GOU")) == 10


async def test_two_schools_real_marks_for_one_session_are_a_conflict(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        await uow.marks.upsert([mark(MONDAY, "AM", "O", school=OTHER_SCHOOL)], NOW, "b.csv")
        changes = await uow.marks.upsert(
            [mark(MONDAY, "AM", "/"), mark(MONDAY, "PM", "/")], NOW, "a.csv"
        )
        await uow.commit()
    both = tuple(sorted([(OTHER_SCHOOL, "O"), (SCHOOL, "/")]))
    expected = [MarkConflict(upn=UPN, conflict=Conflict(MONDAY, "AM", both))]
    assert changes.conflicts == expected
    async with uow:
        assert await uow.marks.conflicts([UPN, OTHER_UPN]) == expected
        # Asked for many pupils at once (the county's threshold list), the answer is the same.
        assert (
            await uow.marks.conflicts([OTHER_UPN, *(f"X{i}" for i in range(600)), UPN]) == expected
        )
        # Both stand until one school corrects its mark: the O still counts, once.
        counts = await uow.marks.threshold_counts(MONDAY, {"Essex": frozenset("GOU")}, 10)
        assert [(c.upn, c.unauthorised_sessions) for c in counts] == [(UPN, 1)]
    async with uow:
        fixed = await uow.marks.upsert(
            [mark(MONDAY, "AM", "D", school=OTHER_SCHOOL)], NOW, "b2.csv"
        )
        await uow.commit()
    assert fixed.conflicts == [] and len(fixed.corrections) == 1
    async with uow:
        assert await uow.marks.conflicts([UPN]) == []
        assert await uow.marks.threshold_counts(MONDAY, {"Essex": frozenset("GOU")}, 10) == []


async def test_unresolved_n_marks_are_raised_once(uow: UnitOfWork) -> None:
    await seed(uow)
    tuesday = MONDAY + timedelta(days=1)
    rows = [mark(MONDAY, "AM", "N"), mark(tuesday, "PM", "N"), mark(tuesday, "AM", "/")]
    async with uow:
        await uow.marks.upsert([*rows, mark(MONDAY, "AM", "N", upn=OTHER_UPN)], NOW, "d.csv")
        await uow.commit()
    async with uow:
        found = await uow.marks.unalerted_n(MONDAY, tuesday)
        other = mark(MONDAY, "AM", "N", upn=OTHER_UPN)
        assert found == sorted([rows[0], rows[1], other], key=lambda m: (m.upn, m.day, m.session))
        assert await uow.marks.unalerted_n(tuesday, tuesday) == [rows[1]]
        await uow.marks.n_alerted(found[:1], tuesday)
        await uow.commit()
    async with uow:
        assert await uow.marks.unalerted_n(MONDAY, tuesday) == found[1:]


async def test_threshold_counts_each_pupil_with_unauthorised_sessions(uow: UnitOfWork) -> None:
    await seed(uow)
    days = [MONDAY + timedelta(days=i) for i in range(5)]
    rows = [mark(d, s, "O") for d in days for s in ("AM", "PM")]
    rows += [mark(MONDAY, "AM", "/", upn=OTHER_UPN, school=OTHER_SCHOOL)]
    async with uow:
        await uow.marks.upsert(rows, NOW, "week.csv")
        await uow.commit()
    codes = {"Essex": frozenset({"G", "N", "O", "U"}), "Norfolk": frozenset({"G", "N", "O", "U"})}
    async with uow:
        counts = await uow.marks.threshold_counts(days[-1], codes, 10)
        only_norfolk = await uow.marks.threshold_counts(days[-1], {"Norfolk": codes["Norfolk"]}, 10)
    assert [(c.upn, c.unauthorised_sessions) for c in counts] == [(UPN, 10)]
    assert isinstance(counts[0], PupilCount) and counts[0].window_start is not None
    # The compulsory school age needs the date of birth: read with the count, not after it.
    assert counts[0].date_of_birth == date(2015, 3, 1)
    assert only_norfolk == []


async def test_each_school_s_span_of_marks_is_kept_for_the_first_look(uow: UnitOfWork) -> None:
    # UPN's school is SCHOOL: OTHER_SCHOOL marked them for a week before, then SCHOOL (its
    # own span runs on: not listed); a later file from OTHER_SCHOOL widens that school's span.
    await seed(uow)
    other = [mark(MONDAY + timedelta(days=i), "AM", "/", school=OTHER_SCHOOL) for i in range(5)]
    later = MONDAY + timedelta(days=7)
    async with uow:
        await uow.marks.upsert(other, NOW, "old.csv")
        await uow.marks.upsert([mark(later, "AM", "/")], NOW, "new.csv")
        await uow.commit()
    async with uow:
        assert await uow.marks.rolls_elsewhere(MONDAY) == {
            UPN: [Roll(OTHER_SCHOOL, MONDAY, MONDAY + timedelta(days=4))]
        }
        # A span that ended before `since` is left out (the mover left before the window).
        assert await uow.marks.rolls_elsewhere(later) == {}
    async with uow:
        await uow.marks.upsert([mark(later, "PM", "/", school=OTHER_SCHOOL)], NOW, "old2.csv")
        await uow.commit()
    async with uow:
        assert await uow.marks.rolls_elsewhere(later) == {UPN: [Roll(OTHER_SCHOOL, MONDAY, later)]}


async def test_the_week_summary_gives_the_sessions_count_codes_counts(uow: UnitOfWork) -> None:
    # Two schools' real marks for one session (O and /), both schools' O for another, an N
    # corrected to G, a week later a U: read from `pupil_week`, each session once, as counted.
    await seed(uow)
    tuesday, next_monday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=7)
    async with uow:
        await uow.marks.upsert(
            [mark(MONDAY, "AM", "O"), mark(MONDAY, "PM", "O"), mark(tuesday, "AM", "N")],
            NOW,
            "ours.csv",
        )
        await uow.marks.upsert(
            [
                mark(MONDAY, "AM", "/", school=OTHER_SCHOOL),
                mark(MONDAY, "PM", "O", school=OTHER_SCHOOL),
            ],
            NOW,
            "other.csv",
        )
        await uow.marks.upsert(
            [mark(tuesday, "AM", "G"), mark(next_monday, "PM", "U"), mark(next_monday, "AM", "/")],
            NOW,
            "later.csv",
        )
        await uow.commit()
    async with uow:
        for codes in (frozenset("GOU"), frozenset("O"), frozenset("GN"), frozenset("GOUN")):
            for start, end in ((MONDAY, next_monday), (tuesday, tuesday), (MONDAY, MONDAY)):
                found = await uow.marks.sessions_with_codes([UPN, OTHER_UPN], start, end, codes)
                counted = await uow.marks.count_codes(UPN, start, end, codes)
                assert len(found.get(UPN, ())) == counted
                assert set(found) <= {UPN}
        every = await uow.marks.sessions_with_codes([UPN], MONDAY, next_monday, frozenset("GOU"))
        assert every == {
            UPN: {(MONDAY, "AM"), (MONDAY, "PM"), (tuesday, "AM"), (next_monday, "PM")}
        }
