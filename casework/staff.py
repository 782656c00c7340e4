"""Who the staff are, what each may do, and where alerts go (`staff …`, `alerts route …`)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from casework.errors import NotFound, Refused
from casework.records import StaffRecord

if TYPE_CHECKING:  # annotations only: `--help` lists this module's names without the ports
    from casework.ports import UnitOfWork

ROLES = ("attendance_officer", "dsl", "senior_attendance_champion", "read_only")
# What each role may do from chat; anything else is refused politely and audited.
# `import` takes registers and files in, `penalty` records penalty notices and their
# outcomes, `admin` adds staff, sets school details, routes alerts and issues sign-in links;
# `view` reads the lists that span a school (threshold, the review's events, the mail read),
# every role's; `review` runs the daily review by hand, which raises every school's alerts
# (casework.scope.reviewing: only for a member who works for every school with pupils on roll).
_CASEWORK = frozenset(
    {"view", "status", "log", "letter", "nti", "consent", "pack", "import", "penalty", "review"}
)
MAY = {
    "attendance_officer": _CASEWORK | {"admin"},
    "senior_attendance_champion": _CASEWORK | {"admin"},
    "dsl": frozenset({"view", "status", "log", "pack"}),
    "read_only": frozenset({"view", "status"}),
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


# How a role reads in a letter's "who to contact" block.
ROLE_TITLES = {
    "attendance_officer": "Attendance Officer",
    "dsl": "Designated Safeguarding Lead",
    "senior_attendance_champion": "Senior Attendance Champion",
    "read_only": "Staff",
}
_STAFF_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{5,}[0-9]")


def check_contact(email: str, phone: str) -> None:
    """Refused naming the option when an email or phone number given cannot be one."""
    if email and not _EMAIL.fullmatch(email):
        raise Refused(f"--email: {email!r} is not an email address")
    if phone and not _PHONE.fullmatch(phone):
        raise Refused(f"--phone: {phone!r} is not a phone number")


def _checked(member: StaffRecord) -> StaffRecord:
    """The member as given, or Refused naming the option that is wrong."""
    if not _STAFF_ID.fullmatch(member.id):
        raise Refused(f"{member.id!r} is not a staff id: letters, digits, . _ - (up to 64)")
    if member.role not in ROLES:
        raise Refused(f"--role: {member.role!r} is not one of {', '.join(ROLES)}")
    slack = member.slack_user_id
    if slack is None and _SLACK_USER.fullmatch(member.id):
        slack = member.id  # an id U…/W… is the Slack user id too (CONTRACT.md)
    if slack is not None and not _SLACK_USER.fullmatch(slack):
        raise Refused(f"--slack-user: {slack!r} is not a Slack user id (U… or W…)")
    check_contact(member.email, member.phone)
    if member.all_schools == bool(member.schools):
        raise Refused("say which schools: --school URN (once per school) or --all-schools")
    name = member.name.strip()
    if not name:
        raise Refused("--name: a member of staff needs a name (letters show it)")
    return replace(member, name=name, slack_user_id=slack)


async def add_staff(
    uow: UnitOfWork, staff_id: str, given: dict[str, Any], by: str, now: datetime
) -> tuple[StaffRecord, list[str]]:
    """`staff add ID …`: a new member of staff, or the `given` fields of one changed (the rest
    stay), with the warnings to show (a school not imported yet). `by` must be a member of
    staff; the very first member adds themselves."""
    if given.get("schools"):
        given = {**given, "all_schools": False}
    elif given.get("all_schools"):
        given = {**given, "schools": ()}
    async with uow:
        old = await uow.chat.staff(staff_id)
        if old is None:
            for option, field in (("--name", "name"), ("--role", "role")):
                if not given.get(field):
                    raise Refused(f"{option} is required for a new member of staff ({staff_id})")
            old = StaffRecord(staff_id, "", "")
        member = _checked(replace(old, **given))
        actor = await _adder(uow, member, by)
        clash = member.slack_user_id and await uow.chat.staff_for_slack(member.slack_user_id)
        if clash and clash.id != member.id:
            raise Refused(f"Slack user {member.slack_user_id} is already {clash.id} ({clash.name})")
        await uow.chat.save_staff(member, now)
        details = staff_details(member)
        await uow.audit.append(actor, "staff.saved", f"staff:{member.id}", details, now)
        known = await uow.registry.school_urns(member.schools)
        await uow.commit()
    return member, [
        f"school {urn} is not imported yet: import the schools file"
        for urn in member.schools
        if urn not in known
    ]


async def _adder(uow: UnitOfWork, member: StaffRecord, by: str) -> str:
    if await uow.chat.all_staff():
        adder = await find_staff(uow, by)
        if "admin" not in MAY.get(adder.role, frozenset()):
            role = adder.role.replace("_", " ")
            raise Refused(f"your role ({role}) does not allow adding or changing staff")
        beyond = [u for u in member.schools if not adder.covers(u)]
        if beyond or (member.all_schools and not adder.all_schools):
            where = ", ".join(beyond) or "every school"
            raise Refused(f"{adder.id} works for none of {where}: only staff there can add staff")
        return adder.id
    if by in (member.id, member.name):
        return member.id
    raise Refused(
        f"there are no staff yet: the first member adds themselves "
        f"(staff add {member.id} … --by {member.id})"
    )


def staff_details(m: StaffRecord) -> dict[str, object]:
    return {
        "staff_id": m.id,
        "name": m.name,
        "role": m.role,
        "email": m.email,
        "phone": m.phone,
        "slack_user_id": m.slack_user_id,
        "schools": list(m.schools),
        "all_schools": m.all_schools,
    }


# The actor of an act done with no member of staff named, by the computer account that ran the
# command (the contract's forms of `import`, `letter send`, `pack` and `consent` take no --by).
ACCOUNT = "account:"


def account_actor(login: str) -> str:
    return f"{ACCOUNT}{login}"


def is_account(actor: str) -> bool:
    return actor.startswith(ACCOUNT)


async def find_staff(uow: UnitOfWork, who: str) -> StaffRecord:
    """The member of staff `who` names (their id, or their name when only one has it), inside
    an open unit of work; NotFound saying how to add them."""
    member = await uow.chat.staff(who.strip())
    if member is not None:
        return member
    named = [m for m in await uow.chat.all_staff() if m.name.casefold() == who.strip().casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(m.id for m in named)
        raise Refused(
            f"--by {who!r}: more than one member of staff has that name; use the id ({ids})"
        )
    raise NotFound(
        f"--by {who!r} is not a member of staff: add them with "
        "`supportfirst staff add ID --name NAME --role ROLE --email E --phone P --school URN "
        "--by YOU`"
    )


async def resolve_staff(uow: UnitOfWork, who: str) -> StaffRecord:
    """find_staff in a unit of work of its own (for entry points, before the use case)."""
    async with uow:
        return await find_staff(uow, who)


async def route_alerts(
    uow: UnitOfWork,
    kind: str,
    destination: str,
    by: str,
    now: datetime,
    remove: bool = False,
    school_urn: str = "",
) -> list[tuple[str, str, str]]:
    """`alerts route KIND DESTINATION [--school URN]`: alerts of that kind (about that school's
    pupils only, with a school) go there too; every route, as (kind, destination, school)."""
    if kind != "*" and kind not in ALERT_KINDS:
        raise Refused(f"{kind!r} is not an alert kind: use * or one of {', '.join(ALERT_KINDS)}")
    if not _DESTINATION.match(destination):
        raise Refused(
            f"{destination!r} is not a destination: console, teams, slack:CHANNEL_ID or "
            "slack-dm:USER_ID"
        )
    async with uow:
        if school_urn and await uow.registry.school(school_urn) is None:
            raise NotFound(f"no school {school_urn}: import the schools file first")
        if remove:
            if not await uow.chat.remove_school_route(kind, destination, school_urn):
                raise NotFound(f"no route from {kind} to {destination}")
        else:
            await uow.chat.add_school_route(kind, destination, school_urn, now)
        details = {
            "kind": kind,
            "destination": destination,
            "removed": remove,
            "school_urn": school_urn,
        }
        await uow.audit.append(by, "alerts.routed", f"route:{kind}", details, now)
        await uow.commit()
        return await uow.chat.school_routes()


async def map_workspace(
    uow: UnitOfWork, team_id: str, urns: tuple[str, ...], by: str, now: datetime
) -> set[str]:
    """`slack workspace TEAM_ID --school URN …`: that workspace works for these schools (its
    users see and act on those pupils only); every school it works for."""
    if not re.fullmatch(r"T[A-Z0-9]+", team_id):
        raise Refused(f"{team_id!r} is not a Slack workspace (team) id (T…)")
    if not urns:
        raise Refused("--school URN: say which schools the workspace works for")
    async with uow:
        missing = sorted(set(urns) - await uow.registry.school_urns(urns))
        if missing:
            raise NotFound(f"no school {', '.join(missing)}: import the schools file first")
        for urn in urns:
            await uow.chat.add_workspace_school(team_id, urn, now)
        details = {"team_id": team_id, "schools": list(urns)}
        await uow.audit.append(by, "slack.workspace_mapped", f"slack:{team_id}", details, now)
        await uow.commit()
        return await uow.chat.workspace_schools(team_id)
