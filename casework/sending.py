"""Sending a letter to each parent of a pupil: by email where that parent's consent is in
force at an address of their own, otherwise a printable letter and a hand-delivery slip.

The exact bytes of every email (and of every printed copy) go into the evidence store before
the record that relies on them, and before any network I/O: the sender only ever transmits
bytes that are already evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from attendance.consent import ConsentRecord, consent_on
from casework.consent import shared_with
from casework.errors import Refused
from casework.letter_facts import leave_dates
from casework.letter_repeats import letter_about, refuse_a_repeat
from casework.letters import PLAIN, Letter, LetterOptions, Renderer, Staff, letter_contact
from casework.parcels import FORMAL as FORMAL
from casework.parcels import Composed as Composed
from casework.parcels import ParentRoute as ParentRoute
from casework.parcels import Printable as Printable
from casework.parcels import Sending, drafts, parcel, record
from casework.ports import Evidence, UnitOfWork
from casework.pupils import known_pupil
from casework.records import Entry, ParentRow, PupilRow


class Postroom(Protocol):
    """Turns a rendered letter into the bytes that are sent or printed (the mail adapter)."""

    def email(
        self,
        letter: Letter,
        from_name: str,
        to_name: str,
        to_address: str,
        now: datetime,
        attachment: Printable | None,
    ) -> Composed: ...

    def printable(self, letter: Letter, name: str, now: datetime) -> Printable: ...


class Printer(Protocol):
    """The postroom's `printable`, run elsewhere (mail/printing.py: a pool of processes)."""

    async def printable(self, letter: Letter, name: str, now: datetime) -> Printable: ...


@dataclass(frozen=True)
class Mailroom:
    """The ports a use case needs to send letters."""

    renderer: Renderer
    postroom: Postroom
    evidence: Evidence
    # Where PDFs are made off the event loop (WeasyPrint holds the GIL); None: in line.
    printer: Printer | None = None


@dataclass(frozen=True)
class LetterSent:
    upn: str
    template: str
    parents: list[ParentRoute]


async def email_consent(
    uow: UnitOfWork, parent: ParentRow, on: date
) -> tuple[ConsentRecord | None, str]:
    """The consent an email to this parent would rely on, or None and why not."""
    consent = consent_on(await uow.consents.for_parent(parent.parent_id), on)
    if consent is None:
        return None, "no consent to email on file"
    holder = await shared_with(uow, parent.parent_id, consent.email, on)
    if holder is not None:
        return None, f"{consent.email} is also held by parent {holder} (a shared address)"
    return consent, f"consent {consent.id} ({consent.method}, {consent.given_on})"


async def queue_for_parents(
    uow: UnitOfWork,
    mailroom: Mailroom,
    template: str,
    pupil: PupilRow,
    parents: Sequence[ParentRow],
    staff: Staff,
    on: date,
    now: datetime,
    options: LetterOptions = PLAIN,
    notice_id: int | None = None,
    about: Mapping[str, object] | None = None,
) -> list[ParentRoute]:
    """Inside an open unit of work: one email or one printed letter and slip per parent.
    `about` is logged with each letter: what it answers (leave dates, a discussion)."""
    school = await uow.registry.school(pupil.school_urn)
    school_name = school.name if school else pupil.school_urn
    sending = Sending(uow, mailroom, template, pupil, staff, on, now, notice_id, school_name)
    consents = [await email_consent(uow, parent, on) for parent in parents]
    drafted = await drafts(sending, parents, consents, options)
    parcels = [await parcel(sending, d) for d in drafted]
    # Every blob durable before any row relies on it.
    mailroom.evidence.put_many([blob for p in parcels for blob in p.blobs()])
    return await record(sending, parcels, about)


async def send_letter(
    uow: UnitOfWork,
    mailroom: Mailroom,
    template: str,
    upn: str,
    by: str,
    on: date,
    now: datetime,
    options: LetterOptions = PLAIN,
    again: bool = False,
    request: tuple[str, bytes] | None = None,
) -> LetterSent:
    """`letter send TEMPLATE UPN`: the letter from staff member `by` (the contact it names) to
    every parent of the pupil, all or nothing.

    The same letter to the same parent twice in a day is refused unless `again` (a second
    copy is a decision, not a double click). A leave response records the request it answers
    (`request`: the parent's written request, name and bytes, kept as evidence)."""
    if template == "hand_delivery_slip":
        raise Refused("the hand-delivery slip goes with a letter sent by post, not on its own")
    about = letter_about(template, options)
    async with uow:
        pupil = await known_pupil(uow, upn)
        staff = await letter_contact(uow, by, pupil.school_urn)
        parents = await uow.registry.parents_of(upn)
        if not parents:
            raise Refused(f"no parents on record for {upn}: import the parents file first")
        entries = await uow.cases.entries(upn)
        if not again:
            refuse_a_repeat(entries, template, about, parents, on)
        notices = await uow.cases.notices(upn) if template in FORMAL else []
        notice_id = notices[-1].id if notices else None
        if template == "leave_request_response":
            await _record_leave_request(
                uow, mailroom, pupil, entries, staff, on, now, options, request
            )
        routes = await queue_for_parents(
            uow,
            mailroom,
            template,
            pupil,
            parents,
            staff,
            on,
            now,
            options,
            notice_id,
            {**about, "again": again} if again else about,
        )
        await uow.commit()
    return LetterSent(upn, template, routes)


async def _record_leave_request(
    uow: UnitOfWork,
    mailroom: Mailroom,
    pupil: PupilRow,
    entries: Sequence[Entry],
    staff: Staff,
    on: date,
    now: datetime,
    options: LetterOptions,
    request: tuple[str, bytes] | None,
) -> None:
    """The request a leave response answers goes into the case once (the LA asks for the
    parent's request beside the school's response)."""
    leave = leave_dates(
        await uow.registry.calendar(pupil.school_urn), options.leave_from, options.leave_to
    )
    start, end = leave.start.isoformat(), leave.end.isoformat()
    details: dict[str, object] = {
        "leave_from": start,
        "leave_to": end,
        "school_days": leave.school_days,
        "sessions": leave.sessions,
        "granted": options.granted,
    }
    if request is not None:
        name, content = request
        details.update(request_file=name, request_sha256=mailroom.evidence.put(content))
    same = [
        e
        for e in entries
        if e.kind == "leave_request"
        and (e.details.get("leave_from"), e.details.get("leave_to")) == (start, end)
        and e.details.get("granted") == options.granted
    ]
    # Answered again: the request is already in the case (unless a new copy of it came).
    if same and (
        request is None or same[-1].details.get("request_sha256") == details.get("request_sha256")
    ):
        return
    answer = "agreed" if options.granted else "not agreed"
    summary = (
        f"Request for term-time leave from {leave.start} to {leave.end} "
        f"({leave.school_days} school days, {leave.sessions} sessions): {answer}."
    )
    entry_id = await uow.cases.add_entry(
        pupil.upn, on, "leave_request", staff.actor, summary, details, now
    )
    await uow.audit.append(
        staff.actor, "case.leave_request", f"pupil:{pupil.upn}", {"entry": entry_id, **details}, now
    )
