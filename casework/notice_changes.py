"""A notice's changes and chronology entries, kept in order and written together: the daily
review ends, breaches and re-plans a county's notices in a few statements (one per kind of
change, one for the entries), not an UPDATE and a flushed entry for each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from casework.records import Entry, NoticeStatus

if TYPE_CHECKING:
    from casework.ports import UnitOfWork

SYSTEM = "supportfirst"


@dataclass(frozen=True)
class NoticeChange:
    """Fields of one NoticeRecord to set (Cases.change_notices applies a list in order)."""

    notice_id: int
    fields: dict[str, Any]


def served(start: date | None, end: date | None) -> dict[str, Any]:
    """What serving every parent (or a bounce taking service back) sets."""
    return {"served_start": start, "served_end": end}


def breached(on: date) -> dict[str, Any]:
    return {"status": NoticeStatus.BREACHED, "breached_on": on}


def ended(outcome: NoticeStatus, on: date, further: int) -> dict[str, Any]:
    return {
        "status": outcome,
        "ended_on": on,
        "review_outcome": str(outcome),
        "further_at_end": further,
    }


def reopened(status: NoticeStatus) -> dict[str, Any]:
    """A later correction reopens an ended period: its end and any decision are cleared."""
    cleared = ("ended_on", "review_outcome", "further_at_end", "decided_by", "decided_on")
    return {"status": status, **dict.fromkeys((*cleared, "decision_reason"))}


@dataclass
class NoticeWrites:
    """What a use case would write one at a time, kept until `write`."""

    now: datetime
    changes: list[NoticeChange] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    def served(self, notice_id: int, start: date | None, end: date | None) -> None:
        self.changes.append(NoticeChange(notice_id, served(start, end)))

    def breached(self, notice_id: int, on: date) -> None:
        self.changes.append(NoticeChange(notice_id, breached(on)))

    def ended(self, notice_id: int, outcome: NoticeStatus, on: date, further: int) -> None:
        self.changes.append(NoticeChange(notice_id, ended(outcome, on, further)))

    def reopened(self, notice_id: int, status: NoticeStatus) -> None:
        self.changes.append(NoticeChange(notice_id, reopened(status)))

    def entry(self, upn: str, on: date, kind: str, summary: str, details: dict[str, Any]) -> None:
        """As Cases.add_entry by the system, recorded at `now`."""
        self.entries.append(
            Entry(
                id=0,
                upn=upn,
                on=on,
                recorded_at=self.now,
                kind=kind,
                by=SYSTEM,
                summary=summary,
                details=details,
            )
        )

    async def write(self, uow: UnitOfWork) -> None:
        await uow.cases.change_notices(self.changes)
        await uow.cases.add_entries(self.entries)
        self.changes, self.entries = [], []
