"""Plain records passed between the use cases and the store (no ORM objects leak inwards)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class SchoolRow:
    urn: str
    name: str
    local_authority: str


@dataclass(frozen=True)
class PupilRow:
    upn: str
    first_name: str
    last_name: str
    date_of_birth: date
    school_urn: str
    year_group: str


@dataclass(frozen=True)
class ParentRow:
    parent_id: str
    upn: str
    name: str
    email: str | None
    relationship: str


@dataclass(frozen=True)
class CalendarRow:
    school_urn: str
    kind: str
    start: date
    end: date


@dataclass(frozen=True)
class MarkRow:
    upn: str
    school_urn: str
    day: date
    session: str
    code: str


@dataclass(frozen=True)
class Change:
    """One stored value that an import changed (for the audit log)."""

    subject: str
    old: dict[str, Any]
    new: dict[str, Any]


@dataclass(frozen=True)
class MarkChanges:
    inserted: int
    corrections: list[Change]


@dataclass(frozen=True)
class PupilCount:
    """A pupil's threshold count on a date, as the store computed it."""

    upn: str
    unauthorised_sessions: int
    window_start: date | None


@dataclass(frozen=True)
class Entry:
    id: int
    upn: str
    on: date
    recorded_at: datetime
    kind: str
    by: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NoticeRecord:
    id: int
    upn: str
    authority: str
    issued_on: date
    issued_by: str
    improvement: str
    max_further_sessions: int
    trigger_sessions: int
    window_start: date
    period_start: date
    period_end: date
    status: str
    breached_on: date | None = None
    ended_on: date | None = None


@dataclass(frozen=True)
class Delivery:
    parent_id: str
    route: str
    state: str


@dataclass(frozen=True)
class Episode:
    upn: str
    first_met_on: date
    unauthorised_sessions: int
    window_start: date
    ended_on: date | None = None


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: str
    hash: str
