"""Every date in the pack written one way: "3 Mar 2025"."""

from __future__ import annotations

from datetime import date

from attendance.ukdates import uk_dates_in, uk_day


def test_a_day_is_written_the_uk_way_without_a_leading_zero() -> None:
    assert uk_day(date(2025, 3, 3)) == "3 Mar 2025"
    assert uk_day(date(2025, 12, 25)) == "25 Dec 2025"


def test_iso_dates_inside_a_summary_are_rewritten_and_nothing_else() -> None:
    text = "Met the threshold: 10 sessions since 2025-01-06; runs 2025-03-10 to 2025-05-02."
    assert uk_dates_in(text) == (
        "Met the threshold: 10 sessions since 6 Jan 2025; runs 10 Mar 2025 to 2 May 2025."
    )
    assert uk_dates_in("ref 2025-13-40 and 12025-01-01x") == "ref 2025-13-40 and 12025-01-01x"
