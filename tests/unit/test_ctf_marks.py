"""A CTF's marks string read as sessions: two characters a day from the start date."""

from __future__ import annotations

from datetime import date

import pytest

from attendance.ctf import CtfError, school_day_ranges, session_marks

MONDAY = date(2024, 9, 2)


def test_two_characters_a_day_am_then_pm_and_no_session_gives_no_mark() -> None:
    got = session_marks(MONDAY, "/\\O/----")
    assert [(s.day, s.session, s.code) for s in got] == [
        (MONDAY, "AM", "/"),
        (MONDAY, "PM", "\\"),
        (date(2024, 9, 3), "AM", "O"),
        (date(2024, 9, 3), "PM", "/"),
    ]


def test_after_august_2024_a_j_is_j1_and_c_and_y_are_kept_and_flagged() -> None:
    j, c, y = session_marks(MONDAY, "JCY-")
    assert (j.code, j.flag) == ("J1", None)
    assert c.code == "C" and c.flag is not None and "C1 or C2" in c.flag
    assert y.code == "Y" and y.flag is not None and "Y1 to Y7" in y.flag


def test_before_august_2024_the_old_letters_are_kept_as_recorded() -> None:
    got = session_marks(date(2024, 7, 1), "HJFY")
    assert [(s.code, s.flag) for s in got] == [("H", None), ("J", None), ("F", None), ("Y", None)]


def test_a_character_that_is_no_code_names_the_day_and_session() -> None:
    with pytest.raises(CtfError, match=r"'9' on 2024-09-02 PM is not a register code"):
        session_marks(MONDAY, "/9")
    with pytest.raises(CtfError, match="two a day"):
        session_marks(MONDAY, "/\\/")


def test_days_in_session_become_terms_bridging_weekends_not_holidays() -> None:
    days = [date(2024, 10, d) for d in (24, 25, 28)] + [date(2024, 11, 4)]
    assert school_day_ranges(days) == [
        (date(2024, 10, 24), date(2024, 10, 28)),
        (date(2024, 11, 4), date(2024, 11, 4)),
    ]
