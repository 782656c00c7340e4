"""Scenario set-ups shared by the storage, mail and chat tests."""

from __future__ import annotations

from datetime import date, datetime

from casework.imports import import_csv
from supportfirst.bootstrap import App
from tests import builders as b

ABSENT_WEEK = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]


async def one_family(app: App, now: datetime, marks_from: date | None = None) -> None:
    """Riverside Primary with Sam (UPN_1), two parents and the school year; with `marks_from`,
    registers from then to 14 March 2025 with the first week of March unauthorised (O):
    10 sessions, the national threshold."""
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils(b.UPN_1)),
        ("parents", b.parents()),
        ("calendar", b.calendar()),
    ):
        await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", now)
    if marks_from is not None:
        rows = b.marks(b.UPN_1, marks_from, date(2025, 3, 14), absent=ABSENT_WEEK, code="O")
        await import_csv(app.uow(), "marks", "m.csv", b.csv_bytes(b.MARKS_HEADER, rows), "o", now)


async def hand_over(app: App, upn: str, on: date, now: datetime, how: str = "hand") -> None:
    """Record every printed letter for `upn` not yet delivered as delivered `how` on `on`
    (a notice is served, and its period runs, only once each parent has it)."""
    from casework.printed import record_delivery

    async with app.uow() as uow:
        copies = await uow.mail.printed_for(upn)
    for copy in copies:
        if copy.delivered_on is None:
            await record_delivery(app.uow(), copy.id, how, on, "Ms Patel", now)
