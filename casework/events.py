"""Domain events. They are written to the durable outbox in the same transaction as the change
that caused them, so an alert can never be lost or sent for a change that was rolled back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Event:
    upn: str
    on: date

    @property
    def kind(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class ThresholdMet(Event):
    unauthorised_sessions: int = 0
    window_start: date | None = None
    route: str = "unauthorised"  # or "term_time_holiday": 10 consecutive G inside the window


@dataclass(frozen=True)
class NtiIssued(Event):
    notice_id: int = 0
    period_end: date | None = None


@dataclass(frozen=True)
class NtiBreached(Event):
    notice_id: int = 0
    further_sessions: int = 0
    allowed: int = 0


@dataclass(frozen=True)
class NtiEnded(Event):
    """The improvement period is over: `outcome` improved, not_improved or undecided (what
    the evidence says; staff decide with `nti close`), with the reasons."""

    notice_id: int = 0
    outcome: str = ""
    further_sessions: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class NtiNotServed(Event):
    """A notice is still not served on every parent 3 school days after issue: its period
    cannot start until it is (once per notice)."""

    notice_id: int = 0
    issued_on: date | None = None
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class NtiReopened(Event):
    """A correction put counted absence inside an ended improvement period: the notice is
    open again and its outcome must be decided afresh."""

    notice_id: int = 0
    further_before: int = 0
    further_sessions: int = 0
    status: str = ""


@dataclass(frozen=True)
class UnresolvedN(Event):
    """An `N` (reason not yet established) still unresolved after the LA's school days."""

    day: date | None = None
    session: str = ""
    school_days: int = 0


@dataclass(frozen=True)
class EmailFailed(Event):
    """A letter could not be emailed (refused by the server, consent withdrawn, or the sender
    stopped mid-transaction): staff must check it and send it another way."""

    message_id: str = ""
    parent_id: str = ""
    template: str = ""
    reason: str = ""


@dataclass(frozen=True)
class NoticeNotServed(Event):
    """A formal notice by email bounced or was refused: it has not been served."""

    notice_id: int | None = None
    message_id: str = ""
    parent_id: str = ""
    template: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ParentReplied(Event):
    message_id: str = ""
    parent_id: str | None = None
    in_reply_to: str | None = None
    subject: str | None = None
    notice_id: int | None = None  # when the reply answers a notice: threaded under its alert
    sender_verified: bool | None = None  # False: nothing proves the parent sent it
    held_back: int = 0  # replies on this case since the last alert that raised none (1 an hour)


@dataclass(frozen=True)
class BounceUnverified(Event):
    """A bounce or delivery report for one of our emails that cannot be authenticated: it
    changed nothing (a notice stays served, or unserved); staff check with the parent or the
    mail provider. One an hour per case; `held_back` counts those since the last alert."""

    notice_id: int | None = None
    message_id: str = ""
    parent_id: str = ""
    template: str = ""
    report: str = ""  # failed, delayed or delivered: what it claims
    reason: str = ""
    from_address: str = ""
    held_back: int = 0


@dataclass(frozen=True)
class TimeLimitNear(Event):
    """The 6-month limit for a prosecution (Magistrates' Courts Act 1980 s127) is near: for a
    notice breached or ended without improvement, from its first further absence (once per
    notice); for an open threshold episode, NTI or not, from the oldest session its window
    relies on (once per episode, `notice_id` 0, `episode_met_on` the day it was met)."""

    notice_id: int = 0
    offence_on: date | None = None
    deadline: date | None = None
    episode_met_on: date | None = None


@dataclass(frozen=True)
class DiskFull(Event):
    """The sender could not write its journal (the disk is full or failing), so it handed
    nothing to the mail server and left every email of the batch queued. `upn` is empty: it is
    about the service, not a pupil. Raised once an hour at most while it lasts."""

    worker: str = ""
    error: str = ""
    left_queued: int = 0


@dataclass(frozen=True)
class ImportFailed(Event):
    """A file from the drop folder was rejected: nothing of it was stored; it waits in
    `failed/` with its error report. `upn` is empty: it is about a file, not a pupil."""

    file: str = ""
    problems: int = 0
    first: str = ""
    report: str = ""


@dataclass(frozen=True)
class MailQuarantined(Event):
    """Messages wait in the quarantine for staff to attach or dismiss (once a day at most, a
    count: the messages themselves are for the inbox page). `upn` is empty: no case yet."""

    waiting: int = 0
    oldest_received_on: date | None = None
