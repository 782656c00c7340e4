"""The database tables (SQLModel). Changes go through an Alembic migration in store/migrations."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlalchemy import Text as SAText
from sqlmodel import Field, SQLModel

from attendance.nti_outcome import Finding
from casework import records


def one_of(table: str, column: str, values: type[StrEnum]) -> CheckConstraint:
    """The column holds one of the enum's values (migration 0008 added these)."""
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}")


class School(SQLModel, table=True):
    urn: str = Field(primary_key=True, max_length=16)
    name: str
    local_authority: str


class Pupil(SQLModel, table=True):
    upn: str = Field(primary_key=True, max_length=13)
    first_name: str
    last_name: str
    date_of_birth: date
    school_urn: str = Field(foreign_key="school.urn", index=True)
    year_group: str


class Parent(SQLModel, table=True):
    parent_id: str = Field(primary_key=True, max_length=64)
    name: str
    email: str | None = None
    email_key: str | None = Field(default=None, index=True)  # attendance.consent.address_key
    phone: str | None = None


class PupilParent(SQLModel, table=True):
    __tablename__ = "pupil_parent"
    parent_id: str = Field(foreign_key="parent.parent_id", primary_key=True)
    upn: str = Field(foreign_key="pupil.upn", primary_key=True, index=True)
    relationship: str


class CalendarEntry(SQLModel, table=True):
    __tablename__ = "calendar_entry"
    __table_args__ = (UniqueConstraint("school_urn", "kind", "start", "end"),)
    id: int | None = Field(default=None, primary_key=True)
    school_urn: str = Field(foreign_key="school.urn", index=True)
    kind: str  # term | closure
    start: date
    end: date


class Mark(SQLModel, table=True):
    """One session's register mark, per school that recorded it (registers are per school:
    attendance/threshold.py). The register is a legal document: corrections keep history."""

    __table_args__ = (
        Index("ix_mark_day", "day"),
        # The daily review looks for N marks not yet replaced: few rows among millions.
        Index(
            "ix_mark_unresolved_n",
            "day",
            postgresql_where=text("code = 'N'"),
            sqlite_where=text("code = 'N'"),
        ),
    )
    upn: str = Field(foreign_key="pupil.upn", primary_key=True)
    day: date = Field(primary_key=True)
    session: str = Field(primary_key=True, max_length=2)
    school_urn: str = Field(foreign_key="school.urn", primary_key=True)
    code: str = Field(max_length=2)


class MarkCorrection(SQLModel, table=True):
    __tablename__ = "mark_correction"
    id: int | None = Field(default=None, primary_key=True)
    upn: str = Field(index=True)
    day: date
    session: str
    old_code: str
    new_code: str
    old_school_urn: str
    new_school_urn: str
    corrected_at: datetime
    source: str


class PupilWeek(SQLModel, table=True):
    """A pupil's week as session bit masks (attendance.threshold): the threshold reads these."""

    __tablename__ = "pupil_week"
    upn: str = Field(primary_key=True)
    monday: date = Field(primary_key=True)
    school: int = 0
    g: int = 0
    o: int = 0
    u: int = 0
    n: int = 0


class UnresolvedNAlert(SQLModel, table=True):
    """An `N` mark staff were alerted about, so the daily review raises it once."""

    __tablename__ = "unresolved_n_alert"
    upn: str = Field(primary_key=True)
    day: date = Field(primary_key=True)
    session: str = Field(primary_key=True, max_length=2)
    alerted_on: date


class ImportRun(SQLModel, table=True):
    __tablename__ = "import_run"
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    file_name: str
    sha256: str
    rows: int
    changed: int
    imported_at: datetime


class AuthorityRule(SQLModel, table=True):
    __tablename__ = "authority_rule"
    key: str = Field(primary_key=True)
    name: str
    threshold_codes: str  # comma-separated
    nti_weeks: int
    nti_max_school_days: int | None = None
    n_unresolved_school_days: int = 5


class ThresholdEpisode(SQLModel, table=True):
    """From the first review that found the pupil over the threshold until one that did not."""

    __tablename__ = "threshold_episode"
    id: int | None = Field(default=None, primary_key=True)
    upn: str = Field(foreign_key="pupil.upn", index=True)
    first_met_on: date
    unauthorised_sessions: int
    window_start: date
    ended_on: date | None = None


class ReviewRun(SQLModel, table=True):
    """A day the daily review ran for: serve reviews each day once, however many run."""

    __tablename__ = "review_run"
    reviewed_on: date = Field(primary_key=True)
    finished_at: datetime
    events: int


class CaseEntry(SQLModel, table=True):
    """One line of a pupil's chronology: "if it is not written down, it did not happen"."""

    __tablename__ = "case_entry"
    id: int | None = Field(default=None, primary_key=True)
    upn: str = Field(foreign_key="pupil.upn", index=True)
    occurred_on: date
    recorded_at: datetime
    kind: str
    by: str
    summary: str = Field(sa_column=Column(SAText, nullable=False))
    details: str = Field(default="{}", sa_column=Column(SAText, nullable=False))


class Notice(SQLModel, table=True):
    """A Notice to Improve and its improvement period."""

    __table_args__ = (
        one_of("notice", "status", records.NoticeStatus),
        one_of("notice", "review_outcome", Finding),  # what the review found at its end
    )
    id: int | None = Field(default=None, primary_key=True)
    upn: str = Field(foreign_key="pupil.upn", index=True)
    authority: str
    issued_on: date
    issued_by: str
    improvement: str = Field(sa_column=Column(SAText, nullable=False))
    max_further_sessions: int
    trigger_sessions: int
    window_start: date
    period_start: date
    period_end: date
    status: str
    breached_on: date | None = None
    ended_on: date | None = None
    met_on: date | None = None  # the day the threshold relied on was met (None: issued_on)
    served_start: date | None = None  # the period as served (0012); null until all are served
    served_end: date | None = None
    review_outcome: str | None = None  # improved | not_improved | undecided (CHECK in 0012)
    further_at_end: int | None = None
    decided_by: str | None = None
    decided_on: date | None = None
    decision_reason: str | None = Field(default=None, sa_column=Column(SAText, nullable=True))


class NoticeDelivery(SQLModel, table=True):
    __tablename__ = "notice_delivery"
    __table_args__ = (
        one_of("notice_delivery", "route", records.Route),
        one_of("notice_delivery", "state", records.DeliveryState),
    )
    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    parent_id: str = Field(foreign_key="parent.parent_id")
    route: str
    state: str
    message_id: str | None = None  # the email that serves it, when by email
    deemed_received_on: date | None = None


class PenaltyNotice(SQLModel, table=True):
    __tablename__ = "penalty_notice"
    __table_args__ = (one_of("penalty_notice", "state", records.PenaltyState),)
    id: int | None = Field(default=None, primary_key=True)
    parent_id: str = Field(foreign_key="parent.parent_id", index=True)
    upn: str = Field(foreign_key="pupil.upn")
    kind: str
    issued_on: date
    offence_start: date
    withdrawn: bool = False
    state: str = Field(default=records.PenaltyState.ISSUED)


class OutboxEvent(SQLModel, table=True):
    """Domain events waiting for delivery to chat or mail: written in the same transaction."""

    __tablename__ = "outbox_event"
    seq: int | None = Field(default=None, primary_key=True)  # delivery order
    id: str = Field(unique=True, max_length=36)  # the event id consumers deduplicate on
    kind: str = Field(index=True)
    upn: str | None = None
    occurred_on: date
    payload: str = Field(sa_column=Column(SAText, nullable=False))
    created_at: datetime
    delivered_at: datetime | None = Field(default=None, index=True)


class AuditEntry(SQLModel, table=True):
    """Append-only, hash-chained: each entry's hash covers its content and the previous hash."""

    __tablename__ = "audit_entry"
    seq: int = Field(primary_key=True)
    at: datetime
    actor: str
    action: str
    subject: str
    details: str = Field(sa_column=Column(SAText, nullable=False))
    prev_hash: str
    hash: str
    signature: str | None = None  # Ed25519 over the hash; None for entries before signing


class Consent(SQLModel, table=True):
    """A parent's written consent to school correspondence by email, at one address."""

    id: int | None = Field(default=None, primary_key=True)
    parent_id: str = Field(foreign_key="parent.parent_id", index=True)
    email: str
    address_key: str = Field(index=True)  # casefolded, to find a shared address
    method: str
    given_on: date
    evidence_sha256: str | None = None
    evidence_name: str | None = None
    recorded_by: str
    recorded_at: datetime
    withdrawn_on: date | None = None


class OutgoingMail(SQLModel, table=True):
    """One email to one parent: its exact bytes are in the evidence store under `sha256`.

    state: queued → sending (claimed by one worker until `claimed_until`) → sent | failed;
    a temporary failure goes back to queued with `next_attempt_at` later.
    """

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_due", "state", "next_attempt_at"),
        one_of("outgoing_mail", "state", records.EmailState),
    )
    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True)
    token: str = Field(unique=True, max_length=32)
    upn: str = Field(foreign_key="pupil.upn", index=True)
    parent_id: str = Field(foreign_key="parent.parent_id")
    consent_id: int = Field(foreign_key="consent.id")
    template: str
    notice_id: int | None = Field(default=None, foreign_key="notice.id")
    formal: bool
    recipient: str
    envelope_from: str
    sha256: str
    size: int
    state: str
    attempts: int = 0
    next_attempt_at: datetime
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    queued_at: datetime
    queued_by: str
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    smtp_code: int | None = None
    smtp_text: str | None = None
    queue_id: str | None = None
    failure: str | None = None
    deemed_received_on: date | None = None


class SendAttempt(SQLModel, table=True):
    """Every hand-over to the mail server and what it answered (kept, never updated)."""

    __tablename__ = "send_attempt"
    id: int | None = Field(default=None, primary_key=True)
    mail_id: int = Field(foreign_key="outgoing_mail.id", index=True)
    at: datetime
    worker: str
    outcome: str  # sent | temporary | permanent | uncertain | consent_withdrawn
    smtp_code: int | None = None
    smtp_text: str | None = None


class PrintedLetter(SQLModel, table=True):
    """A letter for post or hand delivery (no consent to email) and its delivery slip."""

    __tablename__ = "printed_letter"
    __table_args__ = (one_of("printed_letter", "delivered_how", records.HowDelivered),)
    id: int | None = Field(default=None, primary_key=True)
    upn: str = Field(foreign_key="pupil.upn", index=True)
    parent_id: str = Field(foreign_key="parent.parent_id")
    template: str
    notice_id: int | None = Field(default=None, foreign_key="notice.id")
    letter_sha256: str
    slip_sha256: str
    media_type: str
    created_at: datetime
    created_by: str
    delivered_how: str | None = None
    delivered_on: date | None = None
    delivered_by: str | None = None
    deemed_received_on: date | None = None


class InboundMail(SQLModel, table=True):
    """Every message read from the inbox, stored raw (evidence) before it was parsed."""

    __tablename__ = "inbound_mail"
    __table_args__ = (one_of("inbound_mail", "triage", records.Triage),)
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(unique=True)  # the same bytes read twice are one message
    size: int
    mailbox: str
    uidvalidity: int | None = Field(default=None, sa_type=BigInteger)  # IMAP's are 32-bit unsigned
    uid: int | None = Field(default=None, sa_type=BigInteger)
    message_id: str | None = None
    from_address: str | None = None
    subject: str | None = None
    mail_class: str
    reason: str | None = None
    upn: str | None = Field(default=None, foreign_key="pupil.upn", index=True)
    outgoing_id: int | None = Field(default=None, foreign_key="outgoing_mail.id")
    quarantined: bool
    received_at: datetime = Field(index=True)  # the flood limits count the last hour's
    # Staff's triage of a quarantined message: attached to a case, or dismissed, and why.
    triage: str | None = None
    triaged_by: str | None = None
    triaged_at: datetime | None = None
    triage_reason: str | None = None
    parent_id: str | None = Field(default=None, foreign_key="parent.parent_id")
    quarantine: str | None = None  # the reason's code: casework.mail_trust.Quarantine
    sender_verified: bool | None = None  # None: read before senders were checked
    authentication: str | None = None  # DKIM, SPF and DMARC results, and who checked them


class MailboxState(SQLModel, table=True):
    """How far each mailbox folder has been read: a restart neither loses nor repeats."""

    __tablename__ = "mailbox_state"
    mailbox: str = Field(primary_key=True)
    uidvalidity: int = Field(sa_type=BigInteger)
    last_uid: int = Field(sa_type=BigInteger)
    updated_at: datetime
