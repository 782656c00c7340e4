"""The quarantine's port: mail that matched no case (or came from an address that is not the
parent's) waits here until staff attach it to a case or dismiss it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from casework.records import InboundRecord, Triage


class Quarantine(Protocol):
    async def waiting(self) -> list[InboundRecord]:
        """Quarantined messages no one has triaged yet, oldest first."""
        ...

    async def triaged_since(self, since: datetime) -> list[InboundRecord]:
        """Messages staff attached or dismissed at or after `since`, latest first."""
        ...

    async def message(self, inbound_id: int) -> InboundRecord | None: ...

    async def settle(
        self,
        inbound_id: int,
        triage: Triage,
        by: str,
        reason: str,
        at: datetime,
        upn: str | None = None,
        parent_id: str | None = None,
    ) -> bool:
        """Record staff's triage in one statement, only if the message still waits (two
        people triaging it at once: one wins); attaching files it to `upn`'s case."""
        ...
