"""The audit chain: each entry's hash covers its content and the previous entry's hash, so a
changed, inserted or deleted entry breaks every link after it.

Removing entries from the very end leaves a shorter valid chain; `verify_chain` can be given the
head hash recorded earlier (printed by `audit verify`) to catch that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casework.ports import UnitOfWork
from casework.records import AuditRecord

GENESIS = "0" * 64


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


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(entries: Sequence[AuditRecord], expect_head: str | None = None) -> ChainReport:
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
    return ChainReport(len(entries), head, tuple(problems))


async def verify_audit(uow: UnitOfWork, expect_head: str | None = None) -> ChainReport:
    async with uow:
        return verify_chain(await uow.audit.all(), expect_head)
