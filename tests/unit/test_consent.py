"""Consent to email: each parent's own, at their own address, with its evidence kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.consent import list_consents, record_consent, withdraw_consent
from casework.errors import NotFound, Refused
from casework.imports import import_csv
from tests import builders as b
from tests.fakes import FakeEvidence, FakeUnitOfWork

FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")

NOW = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
ON = date(2025, 3, 7)


@pytest.fixture
async def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork()
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils(b.UPN_1)),
        ("parents", b.parents()),
    ):
        await import_csv(fake, kind, f"{kind}.csv", data, "officer", NOW)
    return fake


async def consent(
    uow: FakeUnitOfWork,
    parent: str,
    email: str,
    evidence: FakeEvidence | None = None,
    method: str = "form",
) -> object:
    return await record_consent(
        uow, evidence or FakeEvidence(), parent, email, method, ON, "Ms Patel", NOW, FORM
    )


async def test_consent_is_recorded_in_normal_form_with_its_evidence_kept(
    uow: FakeUnitOfWork,
) -> None:
    evidence = FakeEvidence()
    record = await record_consent(
        uow,
        evidence,
        "P2",
        " Jo.Taylor@Example.ORG ",
        "form",
        ON,
        "Ms Patel",
        NOW,
        ("form.pdf", b"%PDF-1.4 signed form"),
    )
    assert record.email == "Jo.Taylor@example.org"
    assert record.evidence_sha256 is not None and evidence.verify(record.evidence_sha256)
    assert [e.kind for e in await uow.cases.entries(b.UPN_1)] == ["consent_recorded"]
    assert [e.action for e in await uow.audit.all()][-1] == "consent.recorded"


async def test_an_address_another_parent_holds_is_refused(uow: FakeUnitOfWork) -> None:
    # P1's address is on the parents file: the family address cannot be P2's too.
    with pytest.raises(Refused, match="already held by parent P1"):
        await consent(uow, "P2", "ALEX@example.org")
    await consent(uow, "P2", "jo@example.org")
    with pytest.raises(Refused, match="already held by parent P2"):
        await consent(uow, "P1", "Jo@Example.org")


async def test_an_invalid_address_or_method_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(Refused, match="not a valid email address"):
        await consent(uow, "P1", "alex@@example.org")
    with pytest.raises(Refused, match="--method: 'phone' is not one of"):
        await consent(uow, "P1", "alex@example.org", method="phone")
    with pytest.raises(NotFound):
        await consent(uow, "P9", "p9@example.org")


async def test_a_new_consent_supersedes_the_old_and_withdrawal_ends_it(uow: FakeUnitOfWork) -> None:
    await consent(uow, "P1", "alex@example.org")
    await consent(uow, "P1", "alex.new@example.org")
    await withdraw_consent(uow, "P1", date(2025, 4, 1), "Ms Patel", NOW)
    lines = await list_consents(uow)
    assert [(line.consent.email, line.consent.withdrawn_on) for line in lines] == [
        ("alex@example.org", ON),
        ("alex.new@example.org", date(2025, 4, 1)),
    ]
    with pytest.raises(Refused, match="no consent to email in force"):
        await withdraw_consent(uow, "P1", date(2025, 4, 2), "Ms Patel", NOW)


async def test_consent_without_its_written_evidence_is_refused(uow: FakeUnitOfWork) -> None:
    for copy in (None, ("empty.pdf", b"")):
        with pytest.raises(Refused, match="consent to email must be in writing"):
            await record_consent(
                uow, FakeEvidence(), "P2", "jo@example.org", "form", ON, "Ms Patel", NOW, copy
            )
    assert await list_consents(uow) == []


@pytest.mark.parametrize(
    "disguise",
    [
        "alex+school@example.org",  # plus-addressing
        "ALEX@Example.Org",  # case
    ],
)
async def test_another_parents_address_in_disguise_is_refused_as_shared(
    uow: FakeUnitOfWork, disguise: str
) -> None:
    # P1's address is on the parents file (alex@example.org).
    with pytest.raises(Refused, match="already held by parent P1"):
        await consent(uow, "P2", disguise)


@pytest.mark.parametrize(
    ("held", "disguise"),
    [
        ("jo.taylor@gmail.com", "JoTaylor@gmail.com"),  # Gmail ignores dots
        ("jo.taylor@gmail.com", "jotaylor+school@googlemail.com"),  # googlemail is gmail
        ("jotaylor@googlemail.com", "j.o.taylor@gmail.com"),
    ],
)
async def test_a_gmail_address_with_dots_or_googlemail_is_one_mailbox(
    uow: FakeUnitOfWork, held: str, disguise: str
) -> None:
    await consent(uow, "P2", held)
    with pytest.raises(Refused, match="already held by parent P2"):
        await consent(uow, "P1", disguise)


async def test_an_address_another_parent_withdrew_needs_a_reason(uow: FakeUnitOfWork) -> None:
    await consent(uow, "P2", "family@example.org")
    await withdraw_consent(uow, "P2", date(2025, 3, 8), "Ms Patel", NOW)
    later = date(2025, 3, 10)
    with pytest.raises(
        Refused,
        match="was parent P2's mailbox until they withdrew consent on 2025-03-08: give --reason",
    ):
        await record_consent(
            uow, FakeEvidence(), "P1", "Family+x@example.org", "form", later, "Ms Patel", NOW, FORM
        )
    taken = await record_consent(
        uow,
        FakeEvidence(),
        "P1",
        "family@example.org",
        "form",
        later,
        "Ms Patel",
        NOW,
        FORM,
        reason="Jo moved out; the family mailbox is now Alex's alone (phoned 10 Mar)",
    )
    assert taken.parent_id == "P1"
    audit = await uow.audit.all()
    assert audit[-1].action == "consent.recorded" and "Jo moved out" in audit[-1].details
    assert '"previously_held_by":"P2"' in audit[-1].details
