"""What an alert says, per event kind: the minimum a channel needs (DESIGN.md principle 6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attendance.threshold import THRESHOLD_WEEKS
from bot.views import AlertView
from casework.records import PendingEvent, PupilRow

TITLES = {
    "ThresholdMet": "Threshold met: the school must now consider action",
    "NtiIssued": "Notice to Improve issued",
    "NtiBreached": "Notice to Improve breached",
    "NtiEnded": "Notice to Improve ended: staff decide",
    "NtiNotServed": "A Notice to Improve is not yet served",
    "NtiReopened": "A Notice to Improve was reopened by a correction",
    "NoticeNotServed": "A formal notice was NOT served",
    "EmailFailed": "A letter could not be emailed",
    "ParentReplied": "A parent replied",
    "BounceUnverified": "A delivery report to check: it cannot be authenticated",
    "UnresolvedN": "An N mark is still unresolved",
    "TimeLimitNear": "A prosecution time limit is near",
    "DiskFull": "Emails are not being sent: the disk is full",
    "ImportFailed": "A register file from the MIS was not imported",
    "MailQuarantined": "Mail waits in the quarantine",
}
URGENT = frozenset(
    {
        "NtiBreached",
        "NoticeNotServed",
        "NtiNotServed",
        "NtiReopened",
        "TimeLimitNear",
        "DiskFull",
        "ImportFailed",
    }
)


def _said(kind: str, p: dict[str, Any]) -> str:
    sentences = {**_case_sentences(p), **_service_sentences(p)}
    return sentences.get(kind, lambda: kind)()


def _case_sentences(p: dict[str, Any]) -> dict[str, Callable[[], str]]:
    """What each alert about a pupil's threshold or notice says."""
    return {
        "ThresholdMet": lambda: (
            f"{p.get('unauthorised_sessions')} unauthorised sessions in the "
            f"{THRESHOLD_WEEKS} school weeks from {p.get('window_start')}."
        ),
        "NtiIssued": lambda: (
            f"Notice {p.get('notice_id')}: the improvement period runs to {p.get('period_end')}."
        ),
        "NtiBreached": lambda: (
            f"Notice {p.get('notice_id')}: {p.get('further_sessions')} further "
            f"sessions where {p.get('allowed')} were allowed."
        ),
        "NtiEnded": lambda: (
            f"Notice {p.get('notice_id')} ended: the evidence says "
            f"{str(p.get('outcome')).replace('_', ' ')}"
            f"{' (' + '; '.join(p.get('reasons') or ()) + ')' if p.get('reasons') else ''}. "
            "Record the decision (nti close)."
        ),
        "NtiNotServed": lambda: (
            f"Notice {p.get('notice_id')}, issued {p.get('issued_on')}, has still not reached "
            f"{len(p.get('parents') or ())} parent(s): its period cannot start until it is "
            "posted or handed over and recorded."
        ),
        "NtiReopened": lambda: (
            f"Notice {p.get('notice_id')}: a register correction puts "
            f"{p.get('further_sessions')} further sessions in its ended period (it ended with "
            f"{p.get('further_before')}): decide its outcome again."
        ),
    }


def _service_sentences(p: dict[str, Any]) -> dict[str, Callable[[], str]]:
    """What each alert about mail, registers and the service itself says."""
    return {
        "NoticeNotServed": lambda: (
            f"The {p.get('template')} email to a parent bounced or was "
            "refused, so it has not been served: serve it another way."
        ),
        "EmailFailed": lambda: (
            f"The {p.get('template')} email to a parent failed: send it another way."
        ),
        "ParentReplied": lambda: (
            "A parent replied to a letter from the school"
            + (
                " (sender not verified: nothing proves the parent sent it)."
                if p.get("sender_verified") is False
                else "."
            )
            + _held_back(p, "reply", "replies")
        ),
        "BounceUnverified": lambda: (
            f"A report says the {p.get('template')} email to a parent "
            + {"delayed": "is delayed", "delivered": "was delivered"}.get(
                str(p.get("report")), "was NOT delivered"
            )
            + ", but it cannot be authenticated, so nothing was changed: check with the parent "
            "or the school's mail provider before relying on it."
            + _held_back(p, "such report", "such reports")
        ),
        "UnresolvedN": lambda: (
            f"The {p.get('session')} session on {p.get('day')} is still N "
            f"after {p.get('school_days')} school days."
        ),
        "TimeLimitNear": lambda: "The time limit for a prosecution is near.",
        "MailQuarantined": lambda: (
            f"{p.get('waiting')} message(s) matched no case (the oldest received "
            f"{p.get('oldest_received_on')}): open the inbox to attach each to its case or "
            "dismiss it."
        ),
        "DiskFull": lambda: (
            f"The sender cannot write its journal ({p.get('error')}), so "
            f"{p.get('left_queued')} emails wait in the queue, none sent: free disk space on the "
            "server; sending resumes by itself."
        ),
        "ImportFailed": lambda: (
            f"{p.get('file')} was refused whole ({p.get('problems')} problem(s), the first: "
            f"{p.get('first')}). It waits in failed/ beside {p.get('report')}: correct the "
            "export and put it in the folder again."
        ),
    }


def _held_back(p: dict[str, Any], one: str, many: str) -> str:
    """Alerts on one case are limited to one an hour: say how many came in between."""
    n = int(p.get("held_back") or 0)
    if not n:
        return ""
    return f" {n} more {one if n == 1 else many} since the last alert (see the case)."


def initials(pupil: PupilRow | None) -> str:
    if pupil is None:
        return "a pupil"
    letters = [n[0].upper() for n in (pupil.first_name, pupil.last_name) if n]
    return f"{'.'.join(letters)}., Year {pupil.year_group}"


def alert_view(event: PendingEvent, pupil: PupilRow | None, case_url: str | None) -> AlertView:
    when = f"On {event.on.isoformat()}"
    facts = [("When", event.on.isoformat())]
    if "notice_id" in event.payload and event.payload["notice_id"] is not None:
        facts.append(("Notice", str(event.payload["notice_id"])))
    return AlertView(
        event.id,
        event.kind,
        TITLES.get(event.kind, event.kind),
        initials(pupil) if event.upn else "The service (no pupil)",
        f"{when}: {_said(event.kind, event.payload)}",
        event.kind in URGENT,
        case_url,
        event.upn,
        tuple(facts),
    )


def thread_key(event: PendingEvent) -> str | None:
    """Alerts about one notice thread under the first one shown (its issue)."""
    notice = event.payload.get("notice_id")
    return f"notice:{notice}" if notice is not None else None
