"""Proof that each formal notice reached each parent, as the referral pack shows it: for an
email, the receiving server's reply and the day it is deemed received (CPR 6.26); for post, the
day it was posted first class and its deemed receipt (the second working day after); by hand,
who handed it over, when, and the signed slip filed in the pack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from attendance.ukdates import uk_day
from casework.records import (
    Delivery,
    DeliveryState,
    EmailRecord,
    NoticeRecord,
    NoticeStatus,
    ParentRow,
    PrintedCopy,
    Route,
)

UK = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class ServiceLine:
    """One parent's receipt of one notice."""

    notice_id: int
    issued_on: date
    parent: str  # "Alex Taylor (mother)"
    route: str  # "email to alex@example.org", "post", "by hand"
    evidence: str  # what shows it went: the server's reply, the posting, the handover
    received: str  # "deemed received 11 Mar 2025", or "NOT served: …"
    served: bool
    file: str = ""  # the pack file that holds the proof (the .eml or the slip)


def service_lines(
    notices: Sequence[NoticeRecord],
    deliveries: Mapping[int, Sequence[Delivery]],
    parents: Sequence[ParentRow],
    emails: Mapping[str, EmailRecord],
    printed: Sequence[PrintedCopy],
    files: Mapping[str, str],  # a message id or "slip:<printed id>": its path in the pack
) -> tuple[ServiceLine, ...]:
    names = {p.parent_id: f"{p.name} ({p.relationship})" for p in parents}
    lines = []
    for n in notices:
        if n.status is NoticeStatus.WITHDRAWN:
            continue
        for d in deliveries.get(n.id, ()):
            who = names.get(d.parent_id, d.parent_id)
            if d.route is Route.EMAIL:
                line = _by_email(n, d, who, emails.get(d.message_id or ""), files)
            else:
                copy = next(
                    (c for c in printed if c.notice_id == n.id and c.parent_id == d.parent_id),
                    None,
                )
                line = _printed(n, d, who, copy, files)
            lines.append(line)
    return tuple(lines)


def _by_email(
    n: NoticeRecord, d: Delivery, who: str, email: EmailRecord | None, files: Mapping[str, str]
) -> ServiceLine:
    if email is None:
        return ServiceLine(
            n.id, n.issued_on, who, "email", "no email on record", "NOT served", False
        )
    route = f"email to {email.recipient}"
    file = files.get(email.message_id, "")
    if d.state is DeliveryState.SENT and email.sent_at is not None:
        at = email.sent_at.astimezone(UK)
        reply = " ".join(filter(None, [str(email.smtp_code or ""), email.smtp_text or ""]))
        evidence = (
            f"accepted by the receiving mail server on {uk_day(at.date())} at {at:%H:%M} "
            f"{at.tzname()}; its reply: {reply or 'not recorded'}"
        )
        received = d.deemed_received_on or email.deemed_received_on
        text = f"deemed received {uk_day(received)}" if received else "receipt not recorded"
        return ServiceLine(
            n.id, n.issued_on, who, route, evidence, text, received is not None, file
        )
    if d.state is DeliveryState.FAILED or email.state == "failed":
        why = email.failure or "the server refused it"
        evidence = f"not delivered: {why}"
        return ServiceLine(n.id, n.issued_on, who, route, evidence, "NOT served", False, file)
    return ServiceLine(
        n.id, n.issued_on, who, route, "waiting to be sent", "NOT served yet", False, file
    )


def _printed(
    n: NoticeRecord, d: Delivery, who: str, copy: PrintedCopy | None, files: Mapping[str, str]
) -> ServiceLine:
    file = files.get(f"slip:{copy.id}", "") if copy else ""
    if copy is None or copy.delivered_on is None:
        evidence = "printed; no posting or handover recorded"
        return ServiceLine(n.id, n.issued_on, who, "printed", evidence, "NOT served", False, file)
    received = copy.deemed_received_on or d.deemed_received_on
    text = f"deemed received {uk_day(received)}" if received else "receipt not recorded"
    if copy.delivered_how == "post":
        evidence = f"posted first class on {uk_day(copy.delivered_on)} by {copy.delivered_by}"
        return ServiceLine(n.id, n.issued_on, who, "post", evidence, text, True, file)
    evidence = (
        f"handed over on {uk_day(copy.delivered_on)} by {copy.delivered_by}; "
        "the signed slip is the record"
    )
    return ServiceLine(n.id, n.issued_on, who, "by hand", evidence, text, True, file)
