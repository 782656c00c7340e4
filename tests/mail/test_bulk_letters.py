"""Issue 16: letters queued a batch at a time (casework.bulk_letters) keep the evidence
promise: each batch's blobs are made durable in one pass, before any row names one of them, and
a batch whose blobs cannot be made durable leaves nothing behind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

import pytest

from casework.bulk_letters import send_letters
from casework.ports import UnitOfWork
from casework.records import PrintedCopy, QueuedEmail
from store.evidence import EvidenceStore
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import HEAD, one_family
from tests.mail.test_sending import NOW, ON, consent

LETTERS = [("initial_concern", b.UPN_1), ("meeting_invite", b.UPN_1), ("contract_invite", b.UPN_1)]


@dataclass
class Durable:
    """The real store, remembering which blobs a durability pass has covered."""

    store: EvidenceStore
    durable: set[str] = field(default_factory=set)
    passes: int = 0
    fail: bool = False

    def put(self, data: bytes) -> str:
        sha = self.store.put(data)
        self.durable.add(sha)
        return sha

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        if self.fail:
            raise OSError(28, "No space left on device")
        shas = self.store.put_many(blobs)
        self.passes += 1
        self.durable.update(shas)
        return shas

    def get(self, sha256: str) -> bytes:
        return self.store.get(sha256)

    def verify(self, sha256: str) -> bool:
        return self.store.verify(sha256)


class _CheckedMail:
    def __init__(self, mail: Any, evidence: Durable) -> None:
        self._mail, self._evidence = mail, evidence

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mail, name)

    async def queue(self, email: QueuedEmail) -> int:
        assert email.sha256 in self._evidence.durable, "queued before its blob was durable"
        return int(await self._mail.queue(email))

    async def add_printed(self, copy: PrintedCopy) -> int:
        assert {copy.letter_sha256, copy.slip_sha256} <= self._evidence.durable
        return int(await self._mail.add_printed(copy))


class Checked:
    """A unit of work whose email and printed-copy rows check their blobs are durable."""

    def __init__(self, uow: Any, evidence: Durable) -> None:
        self._uow, self._evidence = uow, evidence

    def __getattr__(self, name: str) -> Any:
        if name == "mail":
            return _CheckedMail(self._uow.mail, self._evidence)
        return getattr(self._uow, name)

    async def __aenter__(self) -> Checked:
        await self._uow.__aenter__()
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._uow.__aexit__(t, e, tb)


def checked(app: App, evidence: Durable) -> Any:
    return lambda: Checked(app.uow(), evidence)


async def test_one_durability_pass_per_batch_and_before_any_row(app: App) -> None:
    await one_family(app, NOW)
    await consent(app)  # P1 by email, P2 (no consent) printed with a slip
    evidence = Durable(app.evidence_store)
    mailroom = replace(app.mailroom(), evidence=evidence)
    done = await send_letters(checked(app, evidence), mailroom, LETTERS, HEAD, ON, NOW, batch=2)
    assert not done.refused and [s.template for s in done.sent] == [t for t, _ in LETTERS]
    assert evidence.passes == 2  # batches of 2 and 1: not one pass per letter
    async with app.uow() as uow:
        emails = await uow.mail.emails_for(b.UPN_1)
        printed = await uow.mail.printed_for(b.UPN_1)
        entries = [e for e in await uow.cases.entries(b.UPN_1) if e.kind == "letter_sent"]
    assert len(emails) == 3 and len(printed) == 3 and len(entries) == 6
    assert all(app.evidence_store.verify(e.sha256) for e in emails)


async def test_a_batch_whose_blobs_cannot_be_made_durable_leaves_nothing(app: App) -> None:
    await one_family(app, NOW)
    await consent(app)
    evidence = Durable(app.evidence_store, fail=True)
    mailroom = replace(app.mailroom(), evidence=evidence)
    with pytest.raises(OSError, match="No space left"):
        await send_letters(checked(app, evidence), mailroom, LETTERS, HEAD, ON, NOW)
    uow: UnitOfWork
    async with app.uow() as uow:
        assert await uow.mail.emails_for(b.UPN_1) == []
        assert await uow.mail.printed_for(b.UPN_1) == []
        assert not [e for e in await uow.cases.entries(b.UPN_1) if e.kind == "letter_sent"]
