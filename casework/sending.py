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
from casework.letters import (
    PLAIN,
    TITLES,
    Letter,
    LetterOptions,
    Renderer,
    Staff,
    letter_contact,
    render_letter,
)
from casework.ports import Evidence, UnitOfWork
from casework.pupils import known_pupil
from casework.records import Entry, ParentRow, PrintedCopy, PupilRow, QueuedEmail

# Notices whose service may be relied on in court: they carry the PDF copy, and a bounce is an
# alert that the notice was not served.
FORMAL = frozenset({"nti", "intend_legal_intervention"})


class Composed(Protocol):
    @property
    def raw(self) -> bytes: ...
    @property
    def sha256(self) -> str: ...
    @property
    def message_id(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def envelope_from(self) -> str: ...
    @property
    def recipient(self) -> str: ...


@dataclass(frozen=True)
class Printable:
    content: bytes
    media_type: str
    filename: str


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


@dataclass(frozen=True)
class Mailroom:
    """The ports a use case needs to send letters."""

    renderer: Renderer
    postroom: Postroom
    evidence: Evidence


@dataclass(frozen=True)
class ParentRoute:
    parent_id: str
    route: str  # email | post
    message_id: str | None
    reason: str  # why this route, as staff read it
    printed_id: int | None = None  # the printed letter and slip, for post or hand delivery


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


@dataclass(frozen=True)
class _Sending:
    """One letter on its way to each parent of a pupil: what is the same for every parent."""

    uow: UnitOfWork
    mailroom: Mailroom
    template: str
    pupil: PupilRow
    staff: Staff
    on: date
    now: datetime
    notice_id: int | None
    school_name: str

    @property
    def title(self) -> str:
        return TITLES.get(self.template, self.template)

    def stem(self, parent: ParentRow) -> str:
        return f"{self.template}-{self.pupil.upn}-{parent.parent_id}"


# A parent's route, the case-log summary of it, and the details logged and audited.
_Routed = tuple[ParentRoute, str, dict[str, object]]


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
    sending = _Sending(uow, mailroom, template, pupil, staff, on, now, notice_id, school_name)
    consents = [await email_consent(uow, parent, on) for parent in parents]
    for parent, (consent, reason) in zip(parents, consents, strict=True):
        if consent is None and parent.address is None:
            # Refused before anything is printed or queued for any parent.
            raise Refused(
                f"parent {parent.parent_id} ({parent.name}) has no postal address on file and "
                f"cannot be emailed ({reason}): a printed {sending.title} could not be posted or "
                "delivered; import the parents file with address_line_1, town and postcode, or "
                "record their written consent to email (consent record)"
            )
    routes = []
    for parent, (consent, reason) in zip(parents, consents, strict=True):
        letter = await render_letter(
            uow, mailroom.renderer, template, pupil, parent, staff, on, options
        )
        if consent is not None:
            route, summary, details = await _by_email(sending, parent, letter, consent, reason)
        else:
            route, summary, details = await _by_post(sending, parent, letter, reason)
        details.update(
            template=template,
            parent_id=parent.parent_id,
            route=route.route,
            message_id=route.message_id,
            notice_id=notice_id,
            **(about or {}),
        )
        await uow.cases.add_entry(pupil.upn, on, "letter_sent", staff.actor, summary, details, now)
        await uow.audit.append(staff.actor, "letter.queued", f"pupil:{pupil.upn}", details, now)
        routes.append(route)
    return routes


async def _by_email(
    s: _Sending, parent: ParentRow, letter: Letter, consent: ConsentRecord, reason: str
) -> _Routed:
    """The email's bytes into evidence, then queued; a formal notice carries its PDF copy."""
    uow, mailroom, pupil, staff, now = s.uow, s.mailroom, s.pupil, s.staff, s.now
    template, notice_id, stem = s.template, s.notice_id, s.stem(parent)
    formal = template in FORMAL
    pdf = mailroom.postroom.printable(letter, f"{stem}.pdf", now) if formal else None
    composed = mailroom.postroom.email(letter, s.school_name, parent.name, consent.email, now, pdf)
    mailroom.evidence.put(composed.raw)
    await uow.mail.queue(
        QueuedEmail(
            composed.message_id,
            composed.token,
            pupil.upn,
            parent.parent_id,
            consent.id,
            template,
            notice_id,
            formal,
            composed.recipient,
            composed.envelope_from,
            composed.sha256,
            len(composed.raw),
            now,
            staff.actor,
        )
    )
    route = ParentRoute(parent.parent_id, "email", composed.message_id, reason)
    summary = f"{s.title} queued for email to {parent.name} at {consent.email}."
    details: dict[str, object] = {
        "sha256": composed.sha256,
        "consent_id": consent.id,
        "recipient": composed.recipient,
    }
    return route, summary, details


async def _by_post(s: _Sending, parent: ParentRow, letter: Letter, reason: str) -> _Routed:
    """The printed letter and its hand-delivery slip, both into evidence before the record."""
    uow, mailroom, pupil, staff, now = s.uow, s.mailroom, s.pupil, s.staff, s.now
    template, notice_id, stem = s.template, s.notice_id, s.stem(parent)
    assert parent.address is not None  # queue_for_parents refused it otherwise
    printed = mailroom.postroom.printable(letter, f"{stem}.pdf", now)
    slip = await render_letter(
        uow,
        mailroom.renderer,
        "hand_delivery_slip",
        pupil,
        parent,
        staff,
        s.on,
        LetterOptions(slip_for=template),
    )
    slip_copy = mailroom.postroom.printable(slip, f"{stem}-slip.pdf", now)
    letter_sha = mailroom.evidence.put(printed.content)
    slip_sha = mailroom.evidence.put(slip_copy.content)
    printed_id = await uow.mail.add_printed(
        PrintedCopy(
            pupil.upn,
            parent.parent_id,
            template,
            notice_id,
            letter_sha,
            slip_sha,
            printed.media_type,
            now,
            staff.actor,
        )
    )
    route = ParentRoute(parent.parent_id, "post", None, reason, printed_id)
    summary = (
        f"{s.title} printed for post or hand delivery to {parent.name} at "
        f"{parent.address.one_line()} ({reason}); "
        "record delivery on the slip."
    )
    details: dict[str, object] = {
        "letter_sha256": letter_sha,
        "slip_sha256": slip_sha,
        "printed_id": printed_id,
        "address": parent.address.one_line(),
    }
    return route, summary, details


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
