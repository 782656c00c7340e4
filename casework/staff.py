"""Who may do what from chat, and where alerts go (`staff …`, `alerts route …`)."""

from __future__ import annotations

import re
from datetime import datetime

from casework.errors import NotFound, Refused
from casework.ports import UnitOfWork
from casework.records import StaffRecord

ROLES = ("attendance_officer", "dsl", "senior_attendance_champion", "read_only")
# What each role may do from chat; anything else is refused politely and audited.
MAY = {
    "attendance_officer": frozenset({"status", "log", "letter", "nti", "consent", "pack"}),
    "senior_attendance_champion": frozenset({"status", "log", "letter", "nti", "consent", "pack"}),
    "dsl": frozenset({"status", "log", "pack"}),
    "read_only": frozenset({"status"}),
}
ALERT_KINDS = (
    "ThresholdMet",
    "NtiIssued",
    "NtiBreached",
    "NtiEnded",
    "NtiNotServed",
    "NtiReopened",
    "NoticeNotServed",
    "EmailFailed",
    "ParentReplied",
    "BounceUnverified",
    "UnresolvedN",
    "TimeLimitNear",
    "DiskFull",
    "ImportFailed",
    "MailQuarantined",
)
_DESTINATION = re.compile(r"^(console|teams|slack:[A-Z0-9]+|slack-dm:[A-Z0-9]+)$")


async def add_staff(
    uow: UnitOfWork, slack_user_id: str, name: str, role: str, by: str, now: datetime
) -> StaffRecord:
    if role not in ROLES:
        raise Refused(f"--role: {role!r} is not one of {', '.join(ROLES)}")
    if not re.fullmatch(r"[UW][A-Z0-9]{2,}", slack_user_id):
        raise Refused(f"{slack_user_id!r} is not a Slack user id (U… or W…)")
    member = StaffRecord(slack_user_id, name.strip() or slack_user_id, role)
    async with uow:
        await uow.chat.save_staff(member, now)
        details = {"slack_user_id": slack_user_id, "name": member.name, "role": role}
        await uow.audit.append(by, "staff.saved", f"staff:{slack_user_id}", details, now)
        await uow.commit()
    return member


async def route_alerts(
    uow: UnitOfWork, kind: str, destination: str, by: str, now: datetime, remove: bool = False
) -> list[tuple[str, str]]:
    if kind != "*" and kind not in ALERT_KINDS:
        raise Refused(f"{kind!r} is not an alert kind: use * or one of {', '.join(ALERT_KINDS)}")
    if not _DESTINATION.match(destination):
        raise Refused(
            f"{destination!r} is not a destination: console, teams, slack:CHANNEL_ID or "
            "slack-dm:USER_ID"
        )
    async with uow:
        if remove:
            if not await uow.chat.remove_route(kind, destination):
                raise NotFound(f"no route from {kind} to {destination}")
        else:
            await uow.chat.add_route(kind, destination, now)
        details = {"kind": kind, "destination": destination, "removed": remove}
        await uow.audit.append(by, "alerts.routed", f"route:{kind}", details, now)
        await uow.commit()
        return await uow.chat.routes()
