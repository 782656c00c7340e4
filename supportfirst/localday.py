"""The school day in England, whatever the server's own time zone (often UTC): between midnight
and 01:00 in summer, UTC's date is still yesterday's in England."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

ENGLAND = ZoneInfo("Europe/London")


def today_in_england(now: datetime | None = None) -> date:
    """England's date at `now` (an aware instant; the present when not given)."""
    return (now or datetime.now(ENGLAND)).astimezone(ENGLAND).date()
