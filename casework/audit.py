"""The audit chain: each entry's hash covers its content and the previous entry's hash, so a
changed, inserted or deleted entry breaks every link after it; and each entry is signed
(Ed25519, over that hash) with a key kept outside the database, so re-hashing the chain after an
edit cannot be done by someone who has only the database.

Removing entries from the very end leaves a shorter valid chain. The head is therefore also
written outside the database (the head file: one signed line each day and on each pack, see
`head_line`), and `verify_chain` checks the chain still holds every head written there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from casework.ports import HeadLog, Signer, UnitOfWork, Verifier
from casework.records import AuditRecord, ChainTip

GENESIS = "0" * 64
# What each signature is over starts with its purpose, so that no signature of one kind can be
# passed off as another (an entry's as a head's or a manifest's).
ENTRY_PURPOSE = b"supportfirst audit entry\n"
HEAD_PURPOSE = b"supportfirst audit head\n"


def canonical(details: dict[str, Any]) -> str:
    return json.dumps(
        details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, subject: str, details: str, prev_hash: str
) -> str:
    body = json.dumps(
        [seq, at.isoformat(), actor, action, subject, details, prev_hash],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def entry_message(digest: str) -> bytes:
    """What an entry's signature is over: its hash, which covers its content and the link to the
    entry before it."""
    return ENTRY_PURPOSE + digest.encode()


def sign_entry(signer: Signer | None, digest: str) -> str | None:
    return signer.sign(entry_message(digest)) if signer is not None else None


@dataclass(frozen=True)
class HeadMark:
    """One line of the head file: at `at` the chain had `entries` entries ending in `head`."""

    at: str
    entries: int
    head: str
    signed_from: int | None
    signature: str
    line: int = 0

    def message(self) -> bytes:
        fields = (self.at, str(self.entries), self.head, str(self.signed_from or "-"))
        return HEAD_PURPOSE + "\t".join(fields).encode()

    def text(self) -> str:
        return "\t".join(
            (self.at, str(self.entries), self.head, str(self.signed_from or "-"), self.signature)
        )


def head_mark(tip: ChainTip, signer: Signer, now: datetime) -> HeadMark:
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    unsigned = HeadMark(at, tip.entries, tip.head, tip.signed_from, "")
    return HeadMark(at, tip.entries, tip.head, tip.signed_from, signer.sign(unsigned.message()))


def parse_heads(lines: Sequence[str]) -> tuple[list[HeadMark], list[str]]:
    """The head file's lines, and one problem per line that is not a head line."""
    marks: list[HeadMark] = []
    problems: list[str] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        try:
            at, entries, head, signed_from, signature = parts
            marks.append(
                HeadMark(
                    at,
                    int(entries),
                    head,
                    None if signed_from == "-" else int(signed_from),
                    signature,
                    n,
                )
            )
        except ValueError:
            problems.append(f"head file line {n}: not a head line (date, count, head, signature)")
    return marks, problems


async def record_head(uow: UnitOfWork, signer: Signer, heads: HeadLog, now: datetime) -> HeadMark:
    """Append the chain's head, signed, to the head file (each day's review, and each pack)."""
    async with uow:
        tip = await uow.audit.tip()
    mark = head_mark(tip, signer, now)
    heads.append(mark.text())
    return mark


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()  # what staff should know that is not a failure
    signed_from: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _links(entries: Sequence[AuditRecord]) -> list[str]:
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    for e in entries:
        if e.seq != expected_seq:
            problems.append(f"entry {expected_seq}: missing (next entry is {e.seq})")
        if e.prev_hash != prev:
            problems.append(
                f"entry {e.seq}: does not follow the entry before it (inserted or "
                "an earlier entry was deleted)"
            )
        recomputed = entry_hash(e.seq, e.at, e.actor, e.action, e.subject, e.details, e.prev_hash)
        if recomputed != e.hash:
            problems.append(f"entry {e.seq}: content changed since it was written")
        prev, expected_seq = e.hash, e.seq + 1
    return problems


def _signatures(entries: Sequence[AuditRecord], verifier: Verifier | None) -> list[str]:
    """From the first signed entry on, every entry must carry a signature that verifies."""
    signed = [e for e in entries if e.signature]
    if not signed:
        return []
    if verifier is None:
        return ["entries are signed but there is no public key to check them with (--key)"]
    problems: list[str] = []
    first = signed[0].seq
    for e in entries:
        if e.seq < first:
            continue
        if not e.signature:
            problems.append(
                f"entry {e.seq}: not signed, though every entry from {first} is "
                "(re-written without the key)"
            )
        elif not verifier.verify(entry_message(e.hash), e.signature):
            problems.append(
                f"entry {e.seq}: its signature does not verify with key {verifier.public_key} "
                "(re-hashed without the key, or signed by another key)"
            )
    return problems


def _against_heads(
    entries: Sequence[AuditRecord], marks: Sequence[HeadMark], verifier: Verifier | None
) -> list[str]:
    """Every head once written must still be in the chain, at its place."""
    by_seq = {e.seq: e for e in entries}
    signed_from = next((e.seq for e in entries if e.signature), None)
    problems: list[str] = []
    for m in marks:
        where = f"head file line {m.line} ({m.at})"
        if verifier is not None and not verifier.verify(m.message(), m.signature):
            problems.append(
                f"{where}: its signature does not verify with key {verifier.public_key}"
            )
            continue
        entry = by_seq.get(m.entries)
        if m.entries and entry is None:
            problems.append(
                f"{where}: the chain had {m.entries} entries, it now has {len(entries)} "
                "(entries removed from the end)"
            )
        elif m.entries and entry is not None and entry.hash != m.head:
            problems.append(f"{where}: entry {m.entries} is not the one recorded then (rewritten)")
        if m.signed_from is not None and (signed_from is None or signed_from > m.signed_from):
            problems.append(
                f"{where}: entries were signed from {m.signed_from}, now "
                f"{'none is' if signed_from is None else f'only from {signed_from}'} "
                "(signatures removed)"
            )
    return problems


def verify_chain(
    entries: Sequence[AuditRecord],
    expect_head: str | None = None,
    verifier: Verifier | None = None,
    heads: Sequence[str] = (),
) -> ChainReport:
    marks, problems = parse_heads(heads)
    problems = _links(entries) + _signatures(entries, verifier) + problems
    problems += _against_heads(entries, marks, verifier)
    head = entries[-1].hash if entries else GENESIS
    if (
        expect_head is not None
        and expect_head != head
        and all(e.hash != expect_head for e in entries)
    ):
        problems.append(
            f"the recorded head {expect_head[:12]}… is no longer in the chain "
            "(entries removed from the end)"
        )
    signed_from = next((e.seq for e in entries if e.signature), None)
    notes = []
    if entries and signed_from is None:
        notes.append("no entry is signed: the chain predates signing (it is only hash-chained)")
    elif signed_from is not None and signed_from > 1:
        notes.append(
            f"entries 1 to {signed_from - 1} predate signing (hash-chained only); "
            f"signing starts at entry {signed_from}"
        )
    if not marks:
        notes.append("no head file lines to compare with: a cut tail cannot be detected")
    return ChainReport(len(entries), head, tuple(problems), tuple(notes), signed_from)


async def verify_audit(
    uow: UnitOfWork,
    expect_head: str | None = None,
    verifier: Verifier | None = None,
    heads: Sequence[str] = (),
) -> ChainReport:
    async with uow:
        return verify_chain(await uow.audit.all(), expect_head, verifier, heads)
