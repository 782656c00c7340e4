"""The one guard every act and every view goes through, whatever the surface (the command line,
Slack's commands, buttons and forms, the case pages): who is asking, whether their role allows
the act, whether the pupil is one of their schools' (and, from Slack, one of that workspace's),
and whether the alert or notice the act names exists and is about that pupil. Each refusal is
audited (`access.refused`) before it is raised; nothing is done in the name of no one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casework.errors import NotFound, Refused
from casework.ports import UnitOfWork
from casework.records import PupilRow, StaffRecord
from casework.staff import MAY, find_staff

SURFACES = ("cli", "slack", "web")
NOT_STAFF = (
    "Sorry, you are not set up as staff in supportfirst yet: ask your Senior "
    "Attendance Champion to add you."
)


class Forbidden(Refused):
    """The guard said no; the message is for the person who asked (and is in the audit)."""


class NoSuchPupil(Forbidden):
    """The act names a pupil not on the register (a page answers 404)."""


class _Unknown(Refused):
    pass


# How each surface's refusals are named in the audit log.
REFUSED = {"cli": "cli.refused", "slack": "chat.refused", "web": "web.refused"}


@dataclass(frozen=True)
class Caller:
    """Who is asking: `by` is a staff id or name (cli, web) or a Slack user id (slack);
    `team_id` is the Slack workspace the request came from."""

    by: str
    surface: str = "cli"
    team_id: str | None = None


@dataclass(frozen=True)
class Act:
    """What they ask to do: a word of casework.staff.MAY, about a pupil, an alert (the event
    behind it) or a notice; `doing` words it for a refusal ("recording decisions")."""

    action: str
    upn: str | None = None
    event_id: str | None = None
    notice_id: int | None = None
    printed_id: int | None = None
    school_urn: str | None = None
    doing: str | None = None
    text: str = ""


@dataclass(frozen=True)
class Admitted:
    member: StaffRecord
    pupil: PupilRow | None


async def admit(
    new_uow: Callable[[], UnitOfWork], caller: Caller, act: Act, now: datetime
) -> Admitted:
    """The member of staff (and the pupil) when `act` is allowed, else Forbidden, audited."""
    async with new_uow() as uow:
        member, pupil = None, None
        try:
            member = await _member(uow, caller)
            pupil = await _check(uow, caller, member, act)
        except Refused as e:
            await _audit_refusal(uow, caller, member, act, str(e), now)
            await uow.commit()
            raise (NoSuchPupil if isinstance(e, _Unknown) else Forbidden)(str(e)) from None
    assert member is not None  # _check refuses no one
    return Admitted(member, pupil)


async def refuse(
    new_uow: Callable[[], UnitOfWork],
    caller: Caller,
    member: StaffRecord,
    act: Act,
    why: str,
    now: datetime,
) -> Forbidden:
    """A refusal decided after the guard admitted the caller (rows of a file beyond their
    schools, a message about another school's pupil): audited like the guard's own, returned
    for the caller to raise."""
    async with new_uow() as uow:
        await _audit_refusal(uow, caller, member, act, why, now)
        await uow.commit()
    return Forbidden(why)


async def _member(uow: UnitOfWork, caller: Caller) -> StaffRecord | None:
    if caller.surface == "slack":
        return await uow.chat.staff_for_slack(caller.by)
    try:
        return await find_staff(uow, caller.by)
    except NotFound:  # refused (and audited) by _check as not staff
        return None


async def _check(
    uow: UnitOfWork, caller: Caller, member: StaffRecord | None, act: Act
) -> PupilRow | None:
    if member is None:
        raise Refused(NOT_STAFF if caller.surface != "cli" else _not_staff_cli(caller.by))
    if act.action not in MAY.get(member.role, frozenset()):
        raise Refused(
            f"Sorry, your role ({member.role.replace('_', ' ')}) does not allow "
            f"{act.doing or f'`{act.action}`'}: ask an attendance officer or the Senior "
            "Attendance Champion."
        )
    upn = act.upn
    if act.notice_id is not None:
        upn = await _notice_pupil(uow, act.notice_id, upn)
    if act.event_id is not None:
        upn = await _event_pupil(uow, act.event_id, upn)
    if act.printed_id is not None:
        copy = await uow.mail.printed(act.printed_id)
        if copy is None:
            raise Refused(f"Sorry, there is no printed letter {act.printed_id}: nothing was done.")
        upn = copy.upn
    if act.school_urn is not None:
        await _school_allowed(uow, caller, member, act.school_urn)
    if upn is None:
        return None
    pupil = await uow.registry.pupil(upn)
    if pupil is None:
        raise _Unknown(f"Sorry, there is no pupil {upn} on the register.")
    await _school_allowed(uow, caller, member, pupil.school_urn, f"pupil {upn}")
    return pupil


def _not_staff_cli(who: str) -> str:
    return (
        f"--by {who!r} is not a member of staff: add them with `supportfirst staff add ID "
        "--name NAME --role ROLE --email E --phone P --school URN --by YOU`"
    )


async def _school_allowed(
    uow: UnitOfWork, caller: Caller, member: StaffRecord, urn: str, what: str = ""
) -> None:
    what = what or f"school {urn}"
    if not member.covers(urn):
        raise Refused(f"Sorry, {what} is not at one of your schools: nothing was done.")
    if caller.surface == "slack" and caller.team_id:
        schools = await uow.chat.workspace_schools(caller.team_id)
        if schools and urn not in schools:
            raise Refused(f"Sorry, {what} is not at a school of this Slack workspace.")


async def _notice_pupil(uow: UnitOfWork, notice_id: int, upn: str | None) -> str:
    notice = await uow.cases.notice(notice_id)
    if notice is None:
        raise Refused(f"Sorry, there is no Notice to Improve {notice_id}: nothing was done.")
    if upn is not None and notice.upn != upn:
        raise Refused(f"Sorry, Notice to Improve {notice_id} is not about {upn}: nothing was done.")
    return notice.upn


async def _event_pupil(uow: UnitOfWork, event_id: str, upn: str | None) -> str:
    # Every alert a button, form or page can name was raised as an event about one pupil.
    event = await uow.outbox.event(event_id)
    if event is None:
        raise Refused(f"Sorry, there is no alert {event_id!r}: nothing was done.")
    if not event.upn or (upn is not None and event.upn != upn):
        raise Refused(
            f"Sorry, alert {event_id!r} is not about {upn or 'a pupil'}: nothing was done."
        )
    return event.upn


async def _audit_refusal(
    uow: UnitOfWork,
    caller: Caller,
    member: StaffRecord | None,
    act: Act,
    why: str,
    now: datetime,
) -> None:
    who = member.id if member else f"unknown {caller.surface} user {caller.by}"
    details: dict[str, Any] = {
        "surface": caller.surface,
        "caller": caller.by,
        "team_id": caller.team_id,
        "action": act.action,
        "upn": act.upn,
        "event_id": act.event_id,
        "notice_id": act.notice_id,
        "school_urn": act.school_urn,
        "text": act.text[:200],
        "reason": why,
    }
    if caller.surface == "slack":
        subject, details["user_id"] = f"chat:{caller.by}", caller.by
    else:
        subject = f"pupil:{act.upn}" if act.upn else f"{caller.surface}:{caller.by}"
    action = REFUSED.get(caller.surface, "access.refused")
    await uow.audit.append(who, action, subject, details, now)
