"""Recording and withdrawing a parent's consent to email (CONTRACT.md, `consent …`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email

from attendance.consent import METHODS, ConsentRecord, consent_on
from casework.errors import NotFound, Refused
from casework.ports import Evidence, UnitOfWork
from casework.records import ParentRow


@dataclass(frozen=True)
class ConsentLine:
    parent_id: str
    name: str
    upns: tuple[str, ...]
    consent: ConsentRecord


def valid_address(email: str) -> str:
    """The address in its normal form; Refused when it is not an address (no DNS look-up)."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise Refused(f"{email!r} is not a valid email address: {e}") from None


async def shared_with(uow: UnitOfWork, parent_id: str, email: str, on: date) -> str | None:
    """Another parent who holds this mailbox (attendance.consent.address_key: plus-tags, case and
    Gmail's dots do not make another one): by consent in force, or on the parents file."""
    for other in await uow.consents.with_address(email):
        if other.parent_id != parent_id and other.in_force(on):
            return other.parent_id
    for holder in await uow.registry.parents_with_email(email):
        if holder != parent_id:
            return holder
    return None


async def withdrawn_by_other(
    uow: UnitOfWork, parent_id: str, email: str, on: date
) -> ConsentRecord | None:
    """The latest consent at this mailbox that another parent gave and withdrew."""
    earlier = [
        c
        for c in await uow.consents.with_address(email)
        if c.parent_id != parent_id and not c.in_force(on)
    ]
    return max(earlier, key=lambda c: (c.given_on, c.id)) if earlier else None


# Written consent means written (DOMAIN.md, "Consent in writing"; seed 004): a record without
# the written evidence is not consent.
NO_EVIDENCE = (
    "--evidence: consent to email must be in writing: give the signed form or the parent's email "
    "as a file (consent record … --evidence FILE)"
)


async def _check_address(
    uow: UnitOfWork, parent_id: str, address: str, on: date, reason: str | None
) -> dict[str, object]:
    """Refused when another parent holds this mailbox, or gave it up and no reason is given
    for this parent to take it; the details to log otherwise."""
    holder = await shared_with(uow, parent_id, address, on)
    if holder is not None:
        raise Refused(
            f"{address} is already held by parent {holder} (one mailbox: case, a +tag or "
            "Gmail's dots do not make another): each parent needs their own address, and a "
            "shared family address cannot be used to serve notices"
        )
    before = await withdrawn_by_other(uow, parent_id, address, on)
    if before is None:
        return {}
    if not (reason or "").strip():
        raise Refused(
            f"{address} was parent {before.parent_id}'s mailbox until they withdrew consent on "
            f"{before.withdrawn_on}: give --reason to record why parent {parent_id} may use it"
        )
    return {"reason": (reason or "").strip(), "previously_held_by": before.parent_id}


async def record_consent(
    uow: UnitOfWork,
    evidence: Evidence,
    parent_id: str,
    email: str,
    method: str,
    on: date,
    by: str,
    now: datetime,
    evidence_file: tuple[str, bytes] | None = None,
    reason: str | None = None,
) -> ConsentRecord:
    if method not in METHODS:
        raise Refused(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    if evidence_file is None or not evidence_file[1]:
        raise Refused(NO_EVIDENCE)
    address = valid_address(email)
    async with uow:
        parent = await uow.registry.parent(parent_id)
        if parent is None:
            raise NotFound(f"no parent with id {parent_id}")
        taken = await _check_address(uow, parent_id, address, on, reason)
        # The copy of the consent is kept before the record that relies on it.
        sha = evidence.put(evidence_file[1])
        previous = consent_on(await uow.consents.for_parent(parent_id), on)
        if previous is not None:
            await uow.consents.withdraw(previous.id, on)  # superseded by this one
        record = ConsentRecord(0, parent_id, address, method, on, sha)
        consent_id = await uow.consents.add(record, evidence_file[0], by, now)
        details = {
            "parent_id": parent_id,
            "email": address,
            "method": method,
            "evidence_sha256": sha,
            "evidence_name": evidence_file[0],
            "consent_id": consent_id,
            **taken,
        }
        summary = f"{parent.name} consented to email at {address} ({method})."
        await _note(uow, parent, on, by, now, "consent_recorded", summary, details)
        await uow.commit()
    return ConsentRecord(consent_id, parent_id, address, method, on, sha)


async def withdraw_consent(
    uow: UnitOfWork, parent_id: str, on: date, by: str, now: datetime
) -> ConsentRecord:
    async with uow:
        parent = await uow.registry.parent(parent_id)
        if parent is None:
            raise NotFound(f"no parent with id {parent_id}")
        current = consent_on(await uow.consents.for_parent(parent_id), on)
        if current is None:
            raise Refused(f"parent {parent_id} has no consent to email in force on {on}")
        await uow.consents.withdraw(current.id, on)
        details = {"parent_id": parent_id, "email": current.email, "consent_id": current.id}
        summary = f"{parent.name} withdrew consent to email at {current.email}."
        await _note(uow, parent, on, by, now, "consent_withdrawn", summary, details)
        await uow.commit()
    return current


async def _note(
    uow: UnitOfWork,
    parent: ParentRow,
    on: date,
    by: str,
    now: datetime,
    kind: str,
    text: str,
    details: Mapping[str, object],
) -> None:
    """A consent change goes in each child's chronology and in the audit log."""
    for upn in await uow.registry.children_of(parent.parent_id):
        await uow.cases.add_entry(upn, on, kind, by, text, dict(details), now)
    action = kind.replace("_", ".", 1)  # consent_recorded -> consent.recorded
    await uow.audit.append(by, action, f"parent:{parent.parent_id}", dict(details), now)


async def list_consents(uow: UnitOfWork, upn: str | None = None) -> list[ConsentLine]:
    async with uow:
        lines = []
        for record in await uow.consents.listing(upn):
            parent = await uow.registry.parent(record.parent_id)
            children = await uow.registry.children_of(record.parent_id)
            lines.append(
                ConsentLine(
                    record.parent_id, parent.name if parent else "", tuple(children), record
                )
            )
    return lines
