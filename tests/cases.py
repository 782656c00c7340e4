"""Scenario set-ups shared by the storage, mail and chat tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from casework.imports import import_csv
from casework.ports import UnitOfWork
from casework.records import StaffRecord
from casework.schools import set_school
from casework.staff import add_staff
from supportfirst.bootstrap import App
from tests import builders as b

ABSENT_WEEK = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]
# The head of attendance at both test schools: added first (by herself), then adds the others.
HEAD = "HEAD"
HEAD_NAME = "Ms Patel"
HEAD_PHONE, HEAD_EMAIL = "01632 960000", "s.patel@riverside.example"


async def enrol(
    new_uow: Callable[[], UnitOfWork],
    staff_id: str = HEAD,
    name: str = HEAD_NAME,
    role: str = "attendance_officer",
    schools: tuple[str, ...] = (b.SCHOOL_A, b.SCHOOL_B),
    slack_user_id: str | None = None,
    now: datetime = datetime(2025, 1, 1, tzinfo=UTC),
    phone: str = "",
    email: str = "",
) -> StaffRecord:
    """A member of staff added as `staff add` adds them (HEAD first when there is no one yet);
    with no schools, every school (a trust-wide role)."""
    async with new_uow() as uow:
        exists = await uow.chat.staff(HEAD) is not None
    if not exists and staff_id != HEAD:
        await enrol(new_uow, now=now)
    given: dict[str, object] = {"name": name, "role": role, "slack_user_id": slack_user_id}
    given |= {"schools": schools} if schools else {"all_schools": True}
    if staff_id == HEAD:
        given |= {"phone": HEAD_PHONE, "email": HEAD_EMAIL}
    given |= {k: v for k, v in (("phone", phone), ("email", email)) if v}
    member, _ = await add_staff(new_uow(), staff_id, given, HEAD, now)
    return member


async def school_contacts(
    new_uow: Callable[[], UnitOfWork],
    urn: str = b.SCHOOL_A,
    now: datetime = datetime(2025, 1, 1, tzinfo=UTC),
) -> None:
    """The school's address, office phone, attendance email and champion (`school set`)."""
    details = {
        "address": "1 River Road, Colchester CO1 2AA",
        "phone": "01206 500100",
        "email": "attendance@riverside.example",
        "champion": "Mr Okafor",
    }
    await set_school(new_uow(), urn, details, HEAD, now)


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
        await import_csv(app.uow(), kind, f"{kind}.csv", data, HEAD, now)
    await enrol(app.uow, now=now)
    await school_contacts(app.uow, now=now)
    if marks_from is not None:
        rows = b.marks(b.UPN_1, marks_from, date(2025, 3, 14), absent=ABSENT_WEEK, code="O")
        await import_csv(app.uow(), "marks", "m.csv", b.csv_bytes(b.MARKS_HEADER, rows), HEAD, now)


async def hand_over(app: App, upn: str, on: date, now: datetime, how: str = "hand") -> None:
    """Record every printed letter for `upn` not yet delivered as delivered `how` on `on`
    (a notice is served, and its period runs, only once each parent has it)."""
    from casework.printed import record_delivery

    async with app.uow() as uow:
        copies = await uow.mail.printed_for(upn)
    for copy in copies:
        if copy.delivered_on is None:
            await record_delivery(app.uow(), copy.id, how, on, HEAD, now)
