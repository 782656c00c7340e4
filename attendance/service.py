"""When a letter sent by email is deemed received (served).

The Civil Procedure Rules (6.26) deem an email sent on a business day before 4.30pm received
that day, otherwise on the next business day; DOMAIN.md gives only the first-class post rule
(attendance/penalty.py), so email follows the CPR. Times are UK local time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
CUT_OFF = time(16, 30)


def _weekday(day: date) -> bool:
    return day.weekday() < 5


def email_deemed_received(
    sent_at: datetime, business_day: Callable[[date], bool] | None = None
) -> date:
    """`sent_at` is aware; `business_day` may also exclude bank holidays (default Mon–Fri)."""
    is_business = business_day or _weekday
    local = sent_at.astimezone(UK)
    day = local.date()
    if is_business(day) and local.time() < CUT_OFF:
        return day
    for _ in range(366):
        day += timedelta(days=1)
        if is_business(day):
            return day
    raise ValueError(f"no business day in the year after {local.date().isoformat()}")
