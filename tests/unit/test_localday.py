"""The school day is England's date, not the server's (UTC) date."""

from datetime import UTC, date, datetime

from supportfirst.localday import ENGLAND, today_in_england


def test_half_past_midnight_in_summer_is_already_the_next_day_in_england() -> None:
    assert today_in_england(datetime(2025, 6, 30, 23, 30, tzinfo=UTC)) == date(2025, 7, 1)


def test_in_winter_england_keeps_utcs_date() -> None:
    assert today_in_england(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == date(2025, 12, 31)


def test_without_an_instant_it_is_the_present() -> None:
    assert today_in_england() == datetime.now(UTC).astimezone(ENGLAND).date()
