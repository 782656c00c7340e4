"""Plain records passed between the use cases and the store (no ORM objects leak inwards)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from attendance.penalty import PenaltyState as PenaltyState  # a stored state: store/tables.py
from attendance.postal import PostalAddress
from attendance.registers import SchoolRegister
from attendance.threshold import Conflict
from casework.inbound_records import InboundRecord as InboundRecord
from casework.inbound_records import Triage as Triage
from casework.staff_records import SchoolContact as SchoolContact
from casework.staff_records import StaffRecord as StaffRecord


# The fixed sets of states the store keeps; store/tables.py turns each into a CHECK constraint.
class EmailState(StrEnum):
    """An outgoing email: queued → sending (claimed by one worker) → sent | failed."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Route(StrEnum):
    """How a letter goes to a parent: by email (with consent) or printed."""

    EMAIL = "email"
    POST = "post"


class DeliveryState(StrEnum):
    """How far a notice's delivery to one parent got."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    AWAITING_POST = "awaiting_post"
    POSTED = "posted"
    HAND_DELIVERED = "hand_delivered"


class NoticeStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    BREACHED = "breached"
    IMPROVED = "improved"
    NOT_IMPROVED = "not_improved"
    # The period ended but the evidence cannot say improved (registers missing, an N
    # unresolved, non-engagement logged): staff decide (`nti close`).
    UNDECIDED = "undecided"
    WITHDRAWN = "withdrawn"


# A notice whose improvement period is still being reviewed day by day.
OPEN_NOTICE = frozenset({NoticeStatus.IN_PROGRESS, NoticeStatus.BREACHED})


class HowDelivered(StrEnum):
    """How staff delivered a printed letter."""

    POST = "post"
    HAND = "hand"


# A printed letter's delivery, as the notice's delivery to that parent records it.
DELIVERED = {
    HowDelivered.POST: DeliveryState.POSTED,
    HowDelivered.HAND: DeliveryState.HAND_DELIVERED,
}


class AlertState(StrEnum):
    """`posting` is written before an alert is posted, `posted` after."""

    POSTING = "posting"
    POSTED = "posted"


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
    # The current postal address and phone; None: not on file (or, in an import, not given).
    address: PostalAddress | None = None
    phone: str | None = None


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


@dataclass(frozen=True, kw_only=True)
class MarkChanges:
    inserted: int
    corrections: list[Change]
    # Sessions of this import two schools now record different real marks for.
    conflicts: list[MarkConflict] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class MarkConflict:
    """A pupil's session two schools recorded different real marks for."""

    upn: str
    conflict: Conflict


class PupilCount(NamedTuple):
    """A pupil's threshold count on a date, as the store computed it: a tuple, made straight
    from the query's row (a county's threshold makes one per pupil with an absence)."""

    upn: str
    unauthorised_sessions: int
    window_start: date | None
    # For the first look at missing registers (attendance/registers.py): how many weeks the
    # window holds, the last of them, and the pupil's school now.
    school_weeks: int = 0
    last_week: date | None = None
    school_urn: str = ""
    # For the compulsory school age (attendance/age.py), read in the same query.
    date_of_birth: date | None = None


@dataclass(frozen=True)
class PupilRegisters:
    """One pupil's registers over a span, as attendance/registers.py reads them."""

    upn: str
    school_weeks: frozenset[date]  # Mondays with a school session at any school
    registers: tuple[SchoolRegister, ...]


@dataclass(frozen=True, kw_only=True)
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
    status: NoticeStatus
    breached_on: date | None = None
    ended_on: date | None = None
    # The day the threshold was met that the notice relies on (issue date or up to 10 school
    # weeks before); the window runs from window_start to it. None: the issue date.
    met_on: date | None = None
    # The period as served: it starts the school day after the last parent's deemed receipt
    # (period_start/period_end stay the planned one). None until every parent is served.
    served_start: date | None = None
    served_end: date | None = None
    # What the review found at the period's end (NoticeStatus value), and the further
    # sessions it counted then (a later correction above it reopens the notice).
    review_outcome: str | None = None
    further_at_end: int | None = None
    # Staff's decision: `nti close` or `nti withdraw`.
    decided_by: str | None = None
    decided_on: date | None = None
    decision_reason: str | None = None


@dataclass(frozen=True)
class Delivery:
    parent_id: str
    route: Route
    state: DeliveryState
    message_id: str | None = None
    deemed_received_on: date | None = None


@dataclass(frozen=True, kw_only=True)
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
    signature: str | None = None  # Ed25519 over the hash (casework/audit.py); None before signing


@dataclass(frozen=True)
class ChainTip:
    entries: int
    head: str
    signed_from: int | None  # the first signed entry's seq; None while nothing is signed


@dataclass(frozen=True)
class QueuedEmail:
    """An email ready to send: its bytes are already in the evidence store under `sha256`."""

    message_id: str
    token: str
    upn: str
    parent_id: str
    consent_id: int
    template: str
    notice_id: int | None
    formal: bool
    recipient: str
    envelope_from: str
    sha256: str
    size: int
    queued_at: datetime
    queued_by: str


@dataclass(frozen=True)
class PrintedCopy:
    upn: str
    parent_id: str
    template: str
    notice_id: int | None
    letter_sha256: str
    slip_sha256: str
    media_type: str
    created_at: datetime
    created_by: str
    id: int = 0
    delivered_how: HowDelivered | None = None
    delivered_on: date | None = None
    delivered_by: str | None = None
    deemed_received_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class Claimed:
    """An email one worker has claimed to send, with what was true of its consent just now."""

    id: int
    message_id: str
    upn: str
    parent_id: str
    template: str
    notice_id: int | None
    formal: bool
    recipient: str
    envelope_from: str
    sha256: str
    attempts: int
    consent_in_force: bool


@dataclass(frozen=True)
class SendOutcome:
    """What happened when one claimed email was handed to the server.

    outcome: sent | temporary (4xx, connection) | permanent (5xx) | uncertain (the sender
    stopped mid-transaction) | consent_withdrawn.
    """

    mail_id: int
    outcome: str
    at: datetime
    code: int | None = None
    text: str | None = None
    queue_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Accepted:
    """An email the server accepted, as recorded in bulk at the end of a batch."""

    outcome: SendOutcome
    attempts: int
    deemed_received_on: date


@dataclass(frozen=True, kw_only=True)
class EmailRecord:
    id: int
    message_id: str
    token: str
    upn: str
    parent_id: str
    consent_id: int
    template: str
    notice_id: int | None
    formal: bool
    recipient: str
    envelope_from: str
    sha256: str
    size: int
    state: EmailState
    attempts: int
    queued_at: datetime
    queued_by: str
    sent_at: datetime | None
    failed_at: datetime | None
    smtp_code: int | None
    smtp_text: str | None
    queue_id: str | None
    failure: str | None
    deemed_received_on: date | None
    claimed_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class PendingEvent:
    """An event from the durable outbox that is not yet delivered everywhere it goes."""

    id: str
    kind: str
    upn: str | None
    on: date
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class AlertPostRecord:
    event_id: str
    destination: str
    state: AlertState
    started_at: datetime
    thread_key: str | None = None
    channel: str | None = None
    ts: str | None = None
