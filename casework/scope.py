"""What a member of staff sees of the lists that span schools (the threshold, the daily
review's events, the mail read, a parents file): their schools' pupils only, through the one
guard (casework.access). A member with every school (a trust or LA role) sees it all; so does
the computer account a command runs as without --by, which can read the whole data folder
anyway. A message about no pupil yet, or an alert about none, is everyone's: someone has to
triage it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from casework.access import Act, Caller, admit, refuse
from casework.csvfiles import parse
from casework.errors import ImportRejected
from casework.ports import UnitOfWork
from casework.records import InboundRecord, StaffRecord

VIEW = "view"  # the word of casework.staff.MAY every role has
T = TypeVar("T")


@dataclass(frozen=True)
class Scope:
    """The schools whose pupils are shown: None for every school."""

    schools: frozenset[str] | None = None

    def sees(self, urn: str | None) -> bool:
        return self.schools is None or urn is None or urn in self.schools


EVERY_SCHOOL = Scope()


def scope_of(member: StaffRecord) -> Scope:
    """A member already admitted by the guard: their schools, or every school."""
    return EVERY_SCHOOL if member.all_schools else Scope(frozenset(member.schools))


async def viewing(
    new_uow: Callable[[], UnitOfWork],
    caller: Caller,
    now: datetime,
    school_urn: str | None = None,
    doing: str | None = None,
) -> Scope:
    """The caller's schools (narrowed to `school_urn` when given) once the guard admits them
    to `view`; Forbidden, audited, for someone not on the staff or a school not theirs."""
    act = Act(VIEW, school_urn=school_urn, doing=doing)
    member = (await admit(new_uow, caller, act, now)).member
    return narrowed(scope_of(member), school_urn)


async def reviewing(
    new_uow: Callable[[], UnitOfWork],
    caller: Caller,
    now: datetime,
    school_urn: str | None = None,
) -> Scope:
    """The caller's schools, as `viewing`, once the guard admits them to `review` and they
    work for every school with pupils on the register: the review raises alerts about every
    school's pupils (and marks the day reviewed for all), so a member of one school of several
    must not run it for the others; `serve` runs it each day. A school no pupil is on roll at
    (a previous school a CTF named) has no one to protect. Forbidden, audited, otherwise."""
    act = Act("review", school_urn=school_urn, doing="running the daily review")
    member = (await admit(new_uow, caller, act, now)).member
    if not member.all_schools:
        async with new_uow() as uow:
            others = sorted(await uow.registry.schools_with_pupils() - set(member.schools))
        if others:
            why = (
                f"Sorry, the daily review raises alerts about every school's pupils and school "
                f"{', '.join(others)} is not one of yours: `supportfirst serve` runs it each "
                "day, or a member of staff with every school can run it. Nothing was done."
            )
            raise await refuse(new_uow, caller, member, act, why, now)
    return narrowed(scope_of(member), school_urn)


def narrowed(scope: Scope, school_urn: str | None) -> Scope:
    """`--school URN` asked: that school's only (the guard has admitted the caller to it)."""
    return scope if school_urn is None else Scope(frozenset({school_urn}))


async def seen_pupils(
    uow: UnitOfWork, scope: Scope, items: Sequence[T], upn_of: Callable[[T], str | None]
) -> list[T]:
    """The items about a pupil of the scope's schools (or about no pupil), in their order."""
    if scope.schools is None:
        return list(items)
    async with uow:
        schools = await _schools(uow, (upn_of(i) for i in items))
    return [i for i in items if _seen(scope, schools, upn_of(i))]


async def seen_messages(
    uow: UnitOfWork, scope: Scope, messages: Sequence[InboundRecord]
) -> list[InboundRecord]:
    """The messages filed to a pupil of the scope's schools; a message filed to no pupil, when
    any pupil it may be about (the email of ours it answers, a parent with the sender's
    address) is at one of them, or when it points at no pupil at all."""
    if scope.schools is None:
        return list(messages)
    async with uow:
        shown = []
        for m in messages:
            upns = {m.upn} if m.upn else await _maybe_about(uow, m)
            schools = await _schools(uow, upns)
            if not upns or any(_seen(scope, schools, u) for u in upns):
                shown.append(m)
        return shown


async def message_allowed(
    new_uow: Callable[[], UnitOfWork],
    caller: Caller,
    message: InboundRecord,
    now: datetime,
    action: str = VIEW,
) -> None:
    """Forbidden, audited, when the message is about pupils of none of the caller's schools
    (seen_messages says which are theirs)."""
    member = (await admit(new_uow, caller, Act(action), now)).member
    if await seen_messages(new_uow(), scope_of(member), [message]):
        return
    why = f"Sorry, message {message.id} is not about a pupil of one of your schools."
    act = Act(action, upn=message.upn, text=f"message {message.id}")
    raise await refuse(new_uow, caller, member, act, why + " Nothing was done.", now)


async def _maybe_about(uow: UnitOfWork, message: InboundRecord) -> set[str]:
    upns = set()
    ours = await uow.mail.email_by_id(message.outgoing_id) if message.outgoing_id else None
    if ours is not None:
        upns.add(ours.upn)
    if message.from_address:
        for parent_id in await uow.registry.parents_with_email(message.from_address):
            upns.update(await uow.registry.children_of(parent_id))
    return upns


async def _schools(uow: UnitOfWork, upns: Iterable[str | None]) -> dict[str, str]:
    wanted = {u for u in upns if u}
    return {upn: row.urn for upn, row in (await uow.registry.schools_of(wanted)).items()}


def _seen(scope: Scope, schools: dict[str, str], upn: str | None) -> bool:
    # A pupil no longer on the register has no school: only a member with every school sees it.
    return not upn or (upn in schools and scope.sees(schools[upn])) or scope.schools is None


async def parents_beyond(
    new_uow: Callable[[], UnitOfWork], caller: Caller, name: str, data: bytes, now: datetime
) -> None:
    """A parents file imported by a member of staff: ImportRejected, every row naming a pupil
    of a school not theirs as `FILE:LINE: upn: … is at school N, not one of yours` (nothing
    imported, the refusal audited); a file that cannot be read is left to the import to say."""
    member = (await admit(new_uow, caller, Act("import"), now)).member
    if member.all_schools:
        return
    rows = parse("parents", name, data).rows
    async with new_uow() as uow:
        schools = await _schools(uow, (r.upn for _, r in rows))
    beyond = [(line, r.upn, schools[r.upn]) for line, r in rows if r.upn in schools]
    beyond = [(line, upn, urn) for line, upn, urn in beyond if not member.covers(urn)]
    if beyond:
        act = Act("import", school_urn=beyond[0][2], text=name)
        why = f"{name}: {len(beyond)} rows name pupils of schools not yours: nothing was imported"
        await refuse(new_uow, caller, member, act, why, now)
        raise ImportRejected(
            [
                f"{name}:{line}: upn: {upn} is at school {urn}, not one of yours"
                for line, upn, urn in beyond
            ],
            rows=len(rows),
        )


async def pupil_seen(
    new_uow: Callable[[], UnitOfWork], caller: Caller, upn: str, now: datetime, doing: str
) -> None:
    """Forbidden, audited, when the pupil is at a school not the caller's. A pupil not on the
    register is left to the command to say so, as it says to everyone."""
    member = (await admit(new_uow, caller, Act(VIEW, doing=doing), now)).member
    if member.all_schools:
        return
    async with new_uow() as uow:
        known = await uow.registry.pupil(upn) is not None
    if known:
        await admit(new_uow, caller, Act(VIEW, upn=upn, doing=doing), now)


async def parent_seen(
    new_uow: Callable[[], UnitOfWork], caller: Caller, parent_id: str, now: datetime, doing: str
) -> None:
    """Forbidden, audited, unless the parent has a child at one of the caller's schools (one
    child is enough: they are that pupil's parent). A parent not on file is left to the command."""
    member = (await admit(new_uow, caller, Act(VIEW, doing=doing), now)).member
    if member.all_schools:
        return
    async with new_uow() as uow:
        if await uow.registry.parent(parent_id) is None:
            return
        children = await uow.registry.children_of(parent_id)
        schools = await _schools(uow, children)
    if any(member.covers(urn) for urn in schools.values()):
        return
    why = f"Sorry, parent {parent_id} is not a parent of a pupil at one of your schools"
    act = Act(VIEW, upn=children[0] if children else None, text=f"parent {parent_id}")
    raise await refuse(new_uow, caller, member, act, why + ": nothing was done.", now)


async def seen_families(
    uow: UnitOfWork, scope: Scope, items: Sequence[T], upns_of: Callable[[T], Sequence[str]]
) -> list[T]:
    """The items (a parent's consent) about a pupil of the scope's schools, in their order:
    one of the parent's children is enough. Unlike a message, an item about no pupil on the
    register is shown only to a member with every school (it holds a parent's address)."""
    if scope.schools is None:
        return list(items)
    async with uow:
        schools = await _schools(uow, (u for i in items for u in upns_of(i)))
    return [i for i in items if any(u in schools and scope.sees(schools[u]) for u in upns_of(i))]
