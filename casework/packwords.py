"""The pack's words for what happened: each kind of entry named, how it happened and what came
of it, with no server codes, option names or commands (a magistrate reads it)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from attendance.ukdates import uk_dates_in, uk_day
from casework.packfiles import leave_request_path
from casework.records import EmailRecord, Entry

WHAT = {
    "support_offered": "Support offered",
    "contact": "Contact",
    "meeting": "Meeting",
    "engagement": "Engagement",
    "stage_changed": "Stage changed",
    "contract": "Attendance contract",
    "referral": "Referral to another agency",
    "service": "Service",
    "view": "View recorded",
    "decision": "Decision",
    "siblings": "Siblings",
    "circumstances": "Circumstances",
    "note": "Note",
    "nti_issued": "Notice to Improve issued",
    "nti_breached": "Notice to Improve breached",
    "nti_ended": "Notice to Improve ended",
    "nti_period": "Notice to Improve served: period",
    "nti_not_served": "Notice to Improve not yet served",
    "nti_reopened": "Notice to Improve reopened",
    "nti_closed": "Notice to Improve closed",
    "nti_withdrawn": "Notice to Improve withdrawn",
    "threshold_met": "Threshold met",
    "letter_sent": "Letter sent",
    "leave_request": "Request for term-time leave",
    "letter_delivered": "Letter delivered",
    "parent_replied": "Parent replied",
    "mail_attached": "Email attached from the quarantine",
    "mail_dismissed": "Email dismissed from the quarantine",
    "address_checked": "Address checked",
    "auto_reply": "Automatic reply",
    "read_receipt": "Read receipt",
    "delivery_confirmed": "Delivery confirmed",
    "email_delayed": "Email delayed",
    "email_failed": "Email failed",
    "notice_not_served": "Notice NOT served",
    "bounce_unverified": "Delivery report not authenticated (nothing changed)",
    "consent_recorded": "Consent recorded",
    "consent_withdrawn": "Consent withdrawn",
    "alert_acknowledged": "Alert acknowledged",
    "time_limit_near": "Prosecution time limit near",
}


UK = ZoneInfo("Europe/London")


def _how(e: Entry, emails: dict[str, EmailRecord]) -> tuple[str, str]:
    """How an entry happened and what came of it, in words (no server codes, no options)."""
    d = e.details
    if e.kind == "letter_sent":
        if d.get("route") == "email":
            email = emails.get(str(d.get("message_id")))
            if email is None:
                return f"email to {d.get('recipient')}", ""
            if email.state == "sent" and email.sent_at is not None:
                at = email.sent_at.astimezone(UK)
                received = email.deemed_received_on
                outcome = (
                    f"accepted by the parent's mail server on {uk_day(at.date())} at "
                    f"{at:%H:%M}" + (f"; deemed received {uk_day(received)}" if received else "")
                )
            elif email.state == "failed":
                outcome = "NOT delivered: the receiving mail server refused it"
            else:
                outcome = "not yet sent"
            return f"email to {email.recipient} (with their written consent)", outcome
        return "printed, to post or hand over", "see the delivery slip"
    if e.kind == "letter_delivered":
        how = {"post": "posted first class", "hand": "by hand"}.get(str(d.get("delivered_how")))
        return how or "", ""
    if e.kind == "leave_request":
        filed = leave_request_path(e)
        if filed is None:
            return "no written request kept", ""
        return f"the parent's written request {d.get('request_file')}, filed as {filed}", ""
    if e.kind == "meeting":
        ways = [str(w).replace("_", " ") for w in d.get("ways_offered", [])]
        return "offered " + ", ".join(ways), ""
    if e.kind == "engagement":
        return "", "engaged" if d.get("engaged") else "not engaged"
    if e.kind in (
        "parent_replied",
        "auto_reply",
        "delivery_confirmed",
        "mail_attached",
        "bounce_unverified",
    ):
        return f"email from {d.get('from') or '-'}", _sender(d)
    if e.kind == "decision":
        return str(d.get("about", "")).replace("_", " "), str(d.get("reason", ""))
    return "", str(d.get("reason", "") or "")


# The CLI commands some stored summaries name for staff: the pack says what was done instead.
_COMMANDS = re.compile(
    r" ?\((?:nti close|nti withdraw|letter delivered|parent address-checked|consent record)\)"
)


def plain(text: str) -> str:
    """A stored summary as the pack prints it: UK dates, no command names."""
    return uk_dates_in(_COMMANDS.sub("", text))


def _sender(d: Mapping[str, object]) -> str:
    """What was proven about who sent it (casework/mail_trust.py); nothing for entries made
    before senders were checked."""
    if d.get("sender_verified") is True:
        return "sender verified (DKIM/SPF/DMARC)"
    if d.get("sender_verified") is False or "authentication" in d:
        return "sender NOT verified: nothing proves who sent it"
    return ""


def entry_words(e: Entry, emails: dict[str, EmailRecord]) -> tuple[str, str, str]:
    how, outcome = _how(e, emails)
    return plain(how), plain(e.summary), plain(outcome)
