"""What a message filed to a case writes there: a case-log entry (a reply, an automatic reply,
a read receipt, a delivery report), the alert it may raise, or, for a failed delivery, the email
marked bounced. The entries of a batch are written together in one statement; a bounce, rare
and with more to change (casework/outgoing.py), is applied on its own, after the entries
before it, so the chronology keeps the order the messages came in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casework.events import BounceUnverified, Event, ParentReplied
from casework.inbound_batch import Known
from casework.inbound_rules import Reading, report_believed
from casework.outgoing import mark_bounced
from casework.ports import UnitOfWork
from casework.records import EmailRecord, Entry


def _entry_kind(r: Reading) -> str | None:
    """The case-log entry a message on a case makes (a bounce that failed makes none)."""
    if r.mail_class == "bounce":
        return "email_delayed" if r.delayed else "delivery_confirmed" if r.delivered else None
    return {"reply": "parent_replied", "auto_reply": "auto_reply", "mdn": "read_receipt"}.get(
        r.mail_class
    )


def _report(r: Reading) -> str:
    return "delayed" if r.delayed else "delivered" if r.delivered else "failed"


def _summary(kind: str, email: EmailRecord, r: Reading, verified: bool | None) -> str:
    who = f"{r.from_address}{', sender not verified' if verified is False else ''}"
    return {
        "parent_replied": f"Reply from the parent ({who}): {r.subject or ''}",
        "auto_reply": f"Automatic reply (not engagement) from {r.from_address}",
        "read_receipt": f"Read receipt for {email.template} from {r.from_address}",
        "email_delayed": f"Delivery of {email.template} is delayed: {r.reason}",
        "delivery_confirmed": f"The recipient's server confirmed delivery of {email.template}",
    }[kind].strip()


class CaseFiling:
    """The case-log entries and alerts of one batch, in the order its messages came."""

    def __init__(self, uow: UnitOfWork, known: Known, now: datetime) -> None:
        self.uow, self.known, self.now = uow, known, now
        self.entries: list[Entry] = []
        self.events: list[Event] = []

    def _entry(self, upn: str, kind: str, summary: str, details: dict[str, Any]) -> None:
        self.entries.append(
            Entry(
                id=0,
                upn=upn,
                on=self.now.date(),
                recorded_at=self.now,
                kind=kind,
                by="supportfirst",
                summary=summary,
                details=details,
            )
        )

    async def flush(self) -> None:
        entries, self.entries = self.entries, []
        events, self.events = self.events, []
        await self.uow.cases.add_entries(entries)
        await self.uow.outbox.add_many(events, self.now)

    async def file(
        self, email: EmailRecord, r: Reading, sha256: str, verified: bool | None
    ) -> None:
        """A failed delivery marks the email bounced; anything else is logged on the case. A
        report that is not authenticated changes nothing: staff are asked to check it."""
        if r.mail_class == "bounce" and not report_believed(email, r):
            await self._bounce_unverified(email, r, sha256)
            return
        kind = _entry_kind(r)
        if r.mail_class == "bounce" and not r.delayed and not r.delivered:
            await self.flush()
            # As the store has it now: an earlier bounce of this batch may have changed it.
            current = await self.uow.mail.email_by_id(email.id) or email
            await mark_bounced(self.uow, current, f"bounced: {r.reason}", self.now)
        elif kind is not None:
            await self._logged(kind, email, r, sha256, verified)

    async def _logged(
        self, kind: str, email: EmailRecord, r: Reading, sha256: str, verified: bool | None
    ) -> None:
        details: dict[str, Any] = {
            "message_id": r.message_id,
            "from": r.from_address,
            "subject": r.subject,
            "in_reply_to": email.message_id,
            "parent_id": email.parent_id,
            "sha256": sha256,
        }
        if kind != "delivery_confirmed" and kind != "email_delayed":
            details["sender_verified"] = verified
            details["authentication"] = r.proof.summary() if r.proof.checked_by else None
        summary = _summary(kind, email, r, verified)
        if kind != "parent_replied":
            self._entry(email.upn, kind, summary, details)
            return
        alert, held_back = self.known.alert_due(email.upn, kind, self.now)
        details["alerted"] = alert
        self._entry(email.upn, kind, summary, details)
        if alert:
            event = ParentReplied(
                email.upn,
                self.now.date(),
                r.message_id or "",
                email.parent_id,
                email.message_id,
                r.subject,
                email.notice_id,
                verified,
                held_back,
            )
            self.events.append(event)

    async def _bounce_unverified(self, email: EmailRecord, r: Reading, sha256: str) -> None:
        report = _report(r)
        says = {
            "failed": "says it was NOT delivered",
            "delayed": "says its delivery is delayed",
            "delivered": "says it was delivered",
        }[report]
        summary = (
            f"A report that cannot be authenticated {says} ({email.template} to "
            f"{email.recipient}, from {r.from_address or '(no sender)'}): nothing was changed; "
            "check with the parent or the mail provider before relying on it"
        )
        alert, held_back = self.known.alert_due(email.upn, "bounce_unverified", self.now)
        details = {
            "message_id": r.message_id,
            "from": r.from_address,
            "report": report,
            "reason": r.reason,
            "about": email.message_id,
            "parent_id": email.parent_id,
            "notice_id": email.notice_id,
            "sha256": sha256,
            "authentication": r.proof.summary() if r.proof.checked_by else None,
            "alerted": alert,
        }
        self._entry(email.upn, "bounce_unverified", summary, details)
        if alert:
            event = BounceUnverified(
                email.upn,
                self.now.date(),
                email.notice_id,
                email.message_id,
                email.parent_id,
                email.template,
                report,
                r.reason,
                r.from_address or "",
                held_back,
            )
            self.events.append(event)
