"""One letter to each parent of a pupil, in three steps a batch of pupils can share:

1. `drafts`: read and render (every refusal is found here, before anything is made or written);
2. `parcel`: the bytes, an email or a printed copy and its slip; the PDFs come from the
   mailroom's printer (a process pool, off the event loop) when it has one;
3. `record`: the rows, once the caller has put every parcel's blobs into evidence durably.

`casework.sending.queue_for_parents` runs them for one pupil, `casework.bulk_letters` for a
batch of pupils with one durability pass for all their blobs.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from attendance.consent import ConsentRecord
from casework.errors import Refused
from casework.letters import TITLES, Letter, LetterOptions, Staff, render_letter
from casework.ports import UnitOfWork
from casework.records import ParentRow, PrintedCopy, PupilRow, QueuedEmail

if TYPE_CHECKING:
    from casework.sending import Mailroom

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


@dataclass(frozen=True)
class ParentRoute:
    parent_id: str
    route: str  # email | post
    message_id: str | None
    reason: str  # why this route, as staff read it
    printed_id: int | None = None  # the printed letter and slip, for post or hand delivery


@dataclass(frozen=True)
class Sending:
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


@dataclass(frozen=True)
class Draft:
    """One parent's letter rendered; `slip` is the hand-delivery slip when it goes by post."""

    parent: ParentRow
    letter: Letter
    consent: ConsentRecord | None
    reason: str
    slip: Letter | None = None


@dataclass(frozen=True)
class Parcel:
    draft: Draft
    composed: Composed | None = None  # by email
    printed: Printable | None = None  # by post: the letter and its slip
    slip: Printable | None = None

    def blobs(self) -> list[bytes]:
        if self.composed is not None:
            return [self.composed.raw]
        assert self.printed is not None and self.slip is not None
        return [self.printed.content, self.slip.content]


async def drafts(
    s: Sending,
    parents: Sequence[ParentRow],
    consents: Sequence[tuple[ConsentRecord | None, str]],
    options: LetterOptions,
) -> list[Draft]:
    for parent, (consent, reason) in zip(parents, consents, strict=True):
        if consent is None and parent.address is None:
            # Refused before anything is printed or queued for any parent.
            raise Refused(
                f"parent {parent.parent_id} ({parent.name}) has no postal address on file and "
                f"cannot be emailed ({reason}): a printed {s.title} could not be posted or "
                "delivered; import the parents file with address_line_1, town and postcode, or "
                "record their written consent to email (consent record)"
            )
    out = []
    renderer = s.mailroom.renderer
    for parent, (consent, reason) in zip(parents, consents, strict=True):
        letter = await render_letter(
            s.uow, renderer, s.template, s.pupil, parent, s.staff, s.on, options
        )
        slip = None
        if consent is None:
            slip_options = LetterOptions(slip_for=s.template)
            slip = await render_letter(
                s.uow, renderer, "hand_delivery_slip", s.pupil, parent, s.staff, s.on, slip_options
            )
        out.append(Draft(parent, letter, consent, reason, slip))
    return out


async def _print(s: Sending, letter: Letter, name: str) -> Printable:
    printer = s.mailroom.printer
    if printer is None:
        return s.mailroom.postroom.printable(letter, name, s.now)
    return await printer.printable(letter, name, s.now)


async def parcel(s: Sending, d: Draft) -> Parcel:
    """The bytes of one parent's letter; a formal notice by email carries its PDF copy."""
    stem = s.stem(d.parent)
    if d.consent is None:
        assert d.slip is not None
        printed, slip = await asyncio.gather(
            _print(s, d.letter, f"{stem}.pdf"), _print(s, d.slip, f"{stem}-slip.pdf")
        )
        return Parcel(d, printed=printed, slip=slip)
    pdf = await _print(s, d.letter, f"{stem}.pdf") if s.template in FORMAL else None
    composed = s.mailroom.postroom.email(
        d.letter, s.school_name, d.parent.name, d.consent.email, s.now, pdf
    )
    return Parcel(d, composed=composed)


# An audit entry not yet appended: action, subject, details (Audit.append_many).
AuditItem = tuple[str, str, dict[str, Any]]


async def record(
    s: Sending,
    parcels: Sequence[Parcel],
    about: Mapping[str, object] | None,
    audit: list[AuditItem] | None = None,
) -> list[ParentRoute]:
    """The rows for parcels whose blobs are already durable evidence: the email queued or the
    printed copy kept, a case-log entry and an audit entry per parent (left in `audit`, when
    given, for the caller to append with the rest of its batch)."""
    routes = []
    for p in parcels:
        if p.composed is not None:
            route, summary, details = await _queued(s, p.draft, p.composed)
        else:
            route, summary, details = await _printed(s, p)
        parent = p.draft.parent
        details.update(
            template=s.template,
            parent_id=parent.parent_id,
            route=route.route,
            message_id=route.message_id,
            notice_id=s.notice_id,
            **(about or {}),
        )
        upn, actor = s.pupil.upn, s.staff.actor
        await s.uow.cases.add_entry(upn, s.on, "letter_sent", actor, summary, details, s.now)
        if audit is None:
            await s.uow.audit.append(actor, "letter.queued", f"pupil:{upn}", details, s.now)
        else:
            audit.append(("letter.queued", f"pupil:{upn}", details))
        routes.append(route)
    return routes


# A parent's route, the case-log summary of it, and the details logged and audited.
_Routed = tuple[ParentRoute, str, dict[str, object]]


async def _queued(s: Sending, d: Draft, composed: Composed) -> _Routed:
    assert d.consent is not None
    parent, consent = d.parent, d.consent
    await s.uow.mail.queue(
        QueuedEmail(
            composed.message_id,
            composed.token,
            s.pupil.upn,
            parent.parent_id,
            consent.id,
            s.template,
            s.notice_id,
            s.template in FORMAL,
            composed.recipient,
            composed.envelope_from,
            composed.sha256,
            len(composed.raw),
            s.now,
            s.staff.actor,
        )
    )
    route = ParentRoute(parent.parent_id, "email", composed.message_id, d.reason)
    summary = f"{s.title} queued for email to {parent.name} at {consent.email}."
    details: dict[str, object] = {
        "sha256": composed.sha256,
        "consent_id": consent.id,
        "recipient": composed.recipient,
    }
    return route, summary, details


async def _printed(s: Sending, p: Parcel) -> _Routed:
    parent = p.draft.parent
    assert parent.address is not None and p.printed is not None and p.slip is not None
    letter_sha = hashlib.sha256(p.printed.content).hexdigest()
    slip_sha = hashlib.sha256(p.slip.content).hexdigest()
    printed_id = await s.uow.mail.add_printed(
        PrintedCopy(
            s.pupil.upn,
            parent.parent_id,
            s.template,
            s.notice_id,
            letter_sha,
            slip_sha,
            p.printed.media_type,
            s.now,
            s.staff.actor,
        )
    )
    route = ParentRoute(parent.parent_id, "post", None, p.draft.reason, printed_id)
    summary = (
        f"{s.title} printed for post or hand delivery to {parent.name} at "
        f"{parent.address.one_line()} ({p.draft.reason}); "
        "record delivery on the slip."
    )
    details: dict[str, object] = {
        "letter_sha256": letter_sha,
        "slip_sha256": slip_sha,
        "printed_id": printed_id,
        "address": parent.address.one_line(),
    }
    return route, summary, details
