"""Dates as a UK reader writes them ("3 Mar 2025"), in English whatever the locale: what the
referral pack shows, so every date in it reads the same way."""

from __future__ import annotations

import re
from datetime import date

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def uk_day(on: date) -> str:
    """A date as "3 Mar 2025": no leading zero, the month in three letters."""
    return f"{on.day} {MONTHS[on.month - 1]} {on.year}"


def uk_dates_in(text: str) -> str:
    """`text` with each ISO date (2025-03-03) written as `uk_day` does; anything that is not a
    real date (2025-13-40) is left as it was."""

    def one(match: re.Match[str]) -> str:
        try:
            return uk_day(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return match[0]

    return _ISO_DAY.sub(one, text)
