"""`letter send TEMPLATE --all-met`: a letter to each parent of many pupils (a whole school's),
queued a batch of pupils at a time.

Each batch is one unit of work: every pupil's letters are read and rendered first (a pupil who
is refused is left out with the reason, and nothing of theirs is written), the PDFs are made
off the event loop all at once (the mailroom's printer), every blob of the batch goes into the
evidence store with one durability pass, and only then are the rows written and the batch
committed. So, as for one letter, no row names a blob that is not durable, and a crash leaves
each pupil's letters all queued or none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from casework.errors import NotFound, Refused
from casework.letter_repeats import letter_about, refuse_a_repeat
from casework.letters import PLAIN, LetterOptions, letter_contact
from casework.parcels import FORMAL, AuditItem, Draft, Parcel, Sending, drafts, parcel, record
from casework.ports import UnitOfWork
from casework.pupils import known_pupil
from casework.remembered import remembering
from casework.sending import LetterSent, Mailroom, email_consent

# Letters that answer one family's own request or discussion: not for a whole school at once.
NOT_IN_BULK = frozenset({"hand_delivery_slip", "leave_request_response", "meeting_notes"})
BATCH = 100  # pupils per unit of work and per durability pass


@dataclass
class LettersQueued:
    sent: list[LetterSent] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (upn, why not)


@dataclass(frozen=True)
class _Pupil:
    sending: Sending
    parcels: list[Parcel]


async def send_letters(
    new_uow: Callable[[], UnitOfWork],
    mailroom: Mailroom,
    letters: Sequence[tuple[str, str]],
    by: str,
    on: date,
    now: datetime,
    options: LetterOptions = PLAIN,
    batch: int = BATCH,
) -> LettersQueued:
    """`letter send TEMPLATE UPN` for each (template, UPN) of `letters` (once each), a batch at
    a time; refusals (a repeat today, a parent who can be neither emailed nor posted to, no
    notice for an `nti`) are reported per pupil and do not stop the others."""
    one_family = sorted({t for t, _ in letters} & NOT_IN_BULK)
    if one_family:
        t = one_family[0]
        raise Refused(f"{t} answers one family: send it with `letter send {t} UPN`")
    done = LettersQueued()
    unique = list(dict.fromkeys(letters))
    for i in range(0, len(unique), batch):
        chunk = unique[i : i + batch]
        await _one_batch(new_uow(), mailroom, chunk, by, on, now, options, done)
    return done


async def _one_batch(
    uow: UnitOfWork,
    mailroom: Mailroom,
    letters: Sequence[tuple[str, str]],
    by: str,
    on: date,
    now: datetime,
    options: LetterOptions,
    done: LettersQueued,
) -> None:
    async with uow:
        reading = remembering(uow)  # the same school, staff and rules for every pupil
        made: list[tuple[Sending, asyncio.Future[list[Parcel]]]] = []
        for template, upn in letters:
            try:
                s, ds = await _drafted(reading, mailroom, template, upn, by, on, now, options)
            except (Refused, NotFound) as e:
                done.refused.append((upn, str(e)))
                continue
            # Its PDFs start in the printer's processes now, while the next pupil is read.
            made.append((s, asyncio.gather(*(parcel(s, d) for d in ds))))
        # Written through the unit of work itself: nothing remembered is read after a write.
        pupils = [_Pupil(replace(s, uow=uow), list(await ps)) for s, ps in made]
        mailroom.evidence.put_many([b for p in pupils for pc in p.parcels for b in pc.blobs()])
        audit: list[AuditItem] = []
        for p in pupils:
            about = letter_about(p.sending.template, options)
            routes = await record(p.sending, p.parcels, about, audit)
            done.sent.append(LetterSent(p.sending.pupil.upn, p.sending.template, routes))
        if pupils:
            await uow.audit.append_many(pupils[0].sending.staff.actor, audit, now)
        await uow.commit()


async def _drafted(
    uow: UnitOfWork,
    mailroom: Mailroom,
    template: str,
    upn: str,
    by: str,
    on: date,
    now: datetime,
    options: LetterOptions,
) -> tuple[Sending, list[Draft]]:
    """What `send_letter` reads and checks for one pupil, and their letters rendered."""
    pupil = await known_pupil(uow, upn)
    staff = await letter_contact(uow, by, pupil.school_urn)
    parents = await uow.registry.parents_of(upn)
    if not parents:
        raise Refused(f"no parents on record for {upn}: import the parents file first")
    about = letter_about(template, options)
    refuse_a_repeat(await uow.cases.entries(upn), template, about, parents, on)
    notices = await uow.cases.notices(upn) if template in FORMAL else []
    school = await uow.registry.school(pupil.school_urn)
    school_name = school.name if school else pupil.school_urn
    notice_id = notices[-1].id if notices else None
    sending = Sending(uow, mailroom, template, pupil, staff, on, now, notice_id, school_name)
    consents = [await email_consent(uow, parent, on) for parent in parents]
    return sending, await drafts(sending, parents, consents, options)
