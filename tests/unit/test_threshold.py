"""The national threshold (DOMAIN.md; CONTRACT.md "The threshold"), as behaviour scenarios."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import pytest

from attendance.codes import CodeError, parse_code, validate_threshold_codes
from attendance.threshold import (
    Mark,
    Session,
    ThresholdPolicy,
    evaluate,
    longest_run,
    term_time_holiday,
)

AM, PM = Session.AM, Session.PM
WITH_N = ThresholdPolicy(codes=frozenset({"G", "O", "U", "N"}))


def weekdays(start: date, end: date) -> list[date]:
    days = (start + timedelta(days=i) for i in range((end - start).days + 1))
    return [d for d in days if d.weekday() < 5]


def register(start: date, end: date, code: str | None = None) -> list[Mark]:
    """AM and PM marks for every weekday in [start, end]; present (`/`, `\\`) unless `code`."""
    return [
        Mark(d, s, code or ("/" if s is AM else "\\"))
        for d in weekdays(start, end)
        for s in Session
    ]


def override(
    marks: Iterable[Mark], code: str, sessions: Iterable[tuple[date, Session]]
) -> list[Mark]:
    """The register with the given (day, session) marks replaced by `code`."""
    chosen = set(sessions)
    return sorted(
        Mark(m.day, m.session, code) if (m.day, m.session) in chosen else m for m in marks
    )


def sessions(start: date, end: date) -> list[tuple[date, Session]]:
    """Every (day, session) on the weekdays of [start, end], in order."""
    return [(d, s) for d in weekdays(start, end) for s in Session]


def spring() -> list[Mark]:
    """Ten full Mon-Fri weeks, 6 Jan to 14 Mar 2025, all present."""
    return register(date(2025, 1, 6), date(2025, 3, 14))


def test_a_pupil_who_moved_school_mid_window_meets_the_threshold_on_marks_from_both_schools():
    by_school = {
        "old school": override(
            register(date(2025, 1, 6), date(2025, 2, 7)),
            "O",
            sessions(date(2025, 1, 6), date(2025, 1, 8))[:5],
        ),
        "new school": override(
            register(date(2025, 2, 10), date(2025, 3, 14)),
            "U",
            sessions(date(2025, 3, 3), date(2025, 3, 5))[:5],
        ),
    }
    result = evaluate([m for marks in by_school.values() for m in marks], date(2025, 3, 14))
    assert (result.unauthorised_sessions, result.window_start, result.met) == (
        10,
        date(2025, 1, 6),
        True,
    )


def test_a_window_reaching_back_over_a_half_term_week_counts_absence_eleven_calendar_weeks_ago():
    # School weeks back from 21 Mar 2025, skipping half-term (17-21 Feb): the 10th is 6 Jan.
    marks = register(date(2025, 1, 6), date(2025, 2, 14)) + register(
        date(2025, 2, 24), date(2025, 3, 21)
    )
    marks = override(marks, "G", sessions(date(2025, 1, 6), date(2025, 1, 10)))
    result = evaluate(marks, date(2025, 3, 21))
    assert result.window_start == date(2025, 1, 6)
    assert (result.unauthorised_sessions, result.met) == (10, True)


def test_a_window_in_october_reaches_over_the_summer_holiday_into_july_of_the_previous_year():
    # 7 autumn weeks (1 Sep - 13 Oct 2025) + the summer term's last 3 weeks (21, 14, 7 Jul).
    marks = register(date(2025, 6, 23), date(2025, 7, 22)) + register(
        date(2025, 9, 1), date(2025, 10, 17)
    )
    marks = override(marks, "G", sessions(date(2025, 7, 7), date(2025, 7, 11)))
    marks = override(
        marks, "O", sessions(date(2025, 6, 30), date(2025, 7, 4))
    )  # outside the window
    result = evaluate(marks, date(2025, 10, 17))
    assert result.window_start == date(2025, 7, 7)
    assert (result.unauthorised_sessions, result.met) == (10, True)


@pytest.mark.parametrize(
    "code",
    ["I", "M", "C", "C1", "C2", "E", "J1", "S", "T", "R", "D", "X", "Q"]
    + [f"Y{i}" for i in range(1, 8)],
)
def test_authorised_and_not_counted_codes_never_count_towards_the_threshold(code):
    marks = override(spring(), code, sessions(date(2025, 3, 3), date(2025, 3, 14)))
    result = evaluate(marks, date(2025, 3, 14), WITH_N)
    assert (result.unauthorised_sessions, result.met) == (0, False)


@pytest.mark.parametrize("closure", ["#", "Y4", "Z"])
def test_a_week_with_only_closure_or_not_on_roll_marks_is_not_a_school_week(closure):
    marks = register(date(2024, 12, 30), date(2025, 3, 14))
    marks = override(marks, closure, sessions(date(2025, 3, 3), date(2025, 3, 7)))
    assert evaluate(marks, date(2025, 3, 14)).window_start == date(2024, 12, 30)


@pytest.mark.parametrize("code", ["D", "I"])
def test_a_closure_week_with_a_single_d_or_i_mark_is_a_school_week(code):
    marks = register(date(2024, 12, 30), date(2025, 3, 14))
    marks = override(marks, "#", sessions(date(2025, 3, 3), date(2025, 3, 7)))
    marks = override(marks, code, [(date(2025, 3, 5), PM)])
    assert evaluate(marks, date(2025, 3, 14)).window_start == date(2025, 1, 6)


def test_nine_unauthorised_sessions_do_not_meet_the_threshold():
    marks = override(spring(), "O", sessions(date(2025, 1, 6), date(2025, 1, 10))[:9])
    result = evaluate(marks, date(2025, 3, 14))
    assert (result.unauthorised_sessions, result.met) == (9, False)


def test_ten_unauthorised_sessions_in_any_mix_of_g_o_u_meet_the_threshold():
    chosen = sessions(date(2025, 1, 6), date(2025, 3, 14))[::10]  # Monday AM of each week
    marks = override(spring(), "G", chosen[:4])
    marks = override(override(marks, "O", chosen[4:7]), "U", chosen[7:10])
    result = evaluate(marks, date(2025, 3, 14))
    assert (result.unauthorised_sessions, result.met) == (10, True)


def test_n_does_not_count_by_default():
    marks = override(spring(), "N", sessions(date(2025, 3, 10), date(2025, 3, 14)))
    result = evaluate(marks, date(2025, 3, 14))
    assert (result.unauthorised_sessions, result.met) == (0, False)


def test_n_counts_when_the_local_authority_policy_includes_it():
    marks = override(spring(), "N", sessions(date(2025, 3, 10), date(2025, 3, 14)))
    result = evaluate(marks, date(2025, 3, 14), WITH_N)
    assert (result.unauthorised_sessions, result.met) == (10, True)


def test_marks_after_date_are_ignored_including_later_sessions_of_the_same_week():
    marks = override(spring(), "U", sessions(date(2025, 3, 3), date(2025, 3, 7))[:9])
    marks = override(marks, "G", sessions(date(2025, 3, 13), date(2025, 3, 14)))  # Thu-Fri
    result = evaluate(marks, date(2025, 3, 12))  # Wednesday
    assert (result.unauthorised_sessions, result.met) == (9, False)
    assert result.window_end == date(2025, 3, 12)


def test_a_week_whose_only_school_sessions_are_after_date_is_not_yet_a_school_week():
    marks = register(date(2024, 12, 30), date(2025, 3, 14))
    marks = override(marks, "#", sessions(date(2025, 3, 10), date(2025, 3, 10)))  # Monday closed
    assert evaluate(marks, date(2025, 3, 10)).window_start == date(2024, 12, 30)
    assert evaluate(marks, date(2025, 3, 11)).window_start == date(2025, 1, 6)


def test_window_starts_on_the_monday_of_the_tenth_school_week_back_and_ends_on_date():
    marks = register(date(2024, 12, 2), date(2024, 12, 20)) + register(
        date(2025, 1, 6), date(2025, 3, 14)
    )
    result = evaluate(marks, date(2025, 3, 12))
    assert (result.window_start, result.window_end) == (date(2025, 1, 6), date(2025, 3, 12))
    # On Sunday 2 Mar: 8 weeks from 24 Feb back to 6 Jan, then (over Christmas) 16 and 9 Dec.
    result = evaluate(marks, date(2025, 3, 2))
    assert (result.window_start, result.window_end) == (date(2024, 12, 9), date(2025, 3, 2))


def test_a_pupil_with_no_school_sessions_has_no_window():
    result = evaluate(register(date(2025, 3, 3), date(2025, 3, 7), "Z"), date(2025, 3, 14))
    assert (result.unauthorised_sessions, result.window_start, result.met) == (0, None, False)


def test_ten_consecutive_g_across_a_weekend_are_a_term_time_holiday():
    marks = override(spring(), "G", sessions(date(2025, 3, 5), date(2025, 3, 11)))  # Wed-Tue
    run = term_time_holiday(marks)
    assert run is not None and run.length == 10
    assert (run.first, run.last) == (
        Mark(date(2025, 3, 5), AM, "G"),
        Mark(date(2025, 3, 11), PM, "G"),
    )


def test_a_closure_day_inside_a_g_run_neither_breaks_nor_extends_it():
    marks = override(spring(), "G", sessions(date(2025, 3, 5), date(2025, 3, 12)))
    marks = override(marks, "#", sessions(date(2025, 3, 7), date(2025, 3, 7)))  # Friday INSET
    assert longest_run(marks).length == 10
    assert term_time_holiday(marks) is not None


def test_a_present_mark_breaks_a_g_run():
    marks = override(spring(), "G", sessions(date(2025, 3, 5), date(2025, 3, 12)))
    marks = override(marks, "/", [(date(2025, 3, 7), AM)])
    assert longest_run(marks).length == 7  # Fri PM to Wed PM
    assert term_time_holiday(marks) is None


def test_longest_run_of_a_register_without_the_code_is_empty():
    run = longest_run(spring(), "G")
    assert (run.length, run.first, run.last) == (0, None, None)


def test_a_policy_counting_authorised_illness_is_rejected():
    with pytest.raises(CodeError, match="I"):
        ThresholdPolicy(codes=frozenset({"G", "I"}))
    with pytest.raises(CodeError):
        validate_threshold_codes(frozenset({"I"}))
    with pytest.raises(CodeError):
        validate_threshold_codes(frozenset())


def test_a_policy_of_unauthorised_codes_is_accepted():
    assert validate_threshold_codes(frozenset({"G", "O", "U", "N"})) == {"G", "O", "U", "N"}


@pytest.mark.parametrize("text", ["H", "J", "F", "Y", "h", "A", "Y8", "C3", ""])
def test_parse_code_rejects_retired_and_unknown_codes(text):
    with pytest.raises(CodeError):
        parse_code(text)


@pytest.mark.parametrize(
    ("text", "retired_hint"), [("H", "C"), ("J", "J1"), ("F", "C"), ("Y", "Y1")]
)
def test_parse_code_says_what_to_use_instead_of_a_retired_code(text, retired_hint):
    with pytest.raises(CodeError, match=f"use {retired_hint}"):
        parse_code(text)


@pytest.mark.parametrize(
    ("text", "code"), [("/", "/"), ("\\", "\\"), ("g", "G"), (" y1 ", "Y1"), ("#", "#")]
)
def test_parse_code_accepts_present_marks_and_lowercase(text, code):
    assert parse_code(text).code == code
