"""Classify incoming mail: reply, auto_reply, bounce, mdn or malformed.

Pure: bytes in, a :class:`Classified` out; no I/O, no clock. :func:`classify` never raises.

The message is parsed once with ``policy=compat32`` (fast and tolerant; PERF-NOTES.md) after
line endings are normalised to ``\\n`` (CRLF and bare-CR mail parse the same as LF mail). The
decision is made from the headers and the report parts first; bodies are only looked at for
bounces without a report part (flufl.bounce) and for the final sanity checks on would-be replies.

Order of precedence (the shared corpus, ``../shared/mail-corpus/README.md``):

1. **malformed, untrustworthy at the top**: no From header at all (headerless fragments, a
   first line that is a continuation, text that is not RFC 822), or a top-level multipart with
   no boundary parameter (nothing inside it can be located, even when it claims to be a DSN).
2. **bounce**: a ``multipart/report; report-type=delivery-status`` (even with broken
   boundaries: the top-level Content-Type is enough), else an Amazon SES bounce or delivery
   notification sent through SNS (mail/ses.py), else flufl.bounce finds failed or delayed
   recipients, else the signs a careful reader takes (mail/bounces.py ``_bounce_sign``): a From
   of ``<>``; a mail-system sender (MAILER-DAEMON, postmaster, post_master, MDaemon, ...) or
   display name ("Mail Delivery System", "Mailer Daemon", NDR) with a failure subject ("Mail
   failure", "Undeliverable", "bounce notification", "User unknown", ... but not "Re:"/"Fwd:"
   ones); ``Return-Path: <>`` (RFC 5321 section 4.5.5) with either; a returned original
   (message/rfc822, text/rfc822-headers) with any of those; a mail-system sender whose own text
   quotes an SMTP 5yz reply or a 5.x.x status. A bounce wins over every auto-reply header (MTAs
   add ``Auto-Submitted: auto-replied`` to DSNs). ``Action: delayed`` reports and SES transient
   bounces are bounces with ``delayed=True`` and no failed recipients.
3. **mdn**: ``multipart/report; report-type=disposition-notification`` (a message that merely
   *requests* a receipt with Disposition-Notification-To is not one).
4. **auto_reply**: ``Auto-Submitted`` other than ``no`` (RFC 3834), ``X-Autoreply`` /
   ``X-Autorespond``, ``Precedence: auto_reply``, ``Precedence: bulk|junk`` from the null
   reverse path (mailing lists stamp bulk on people's posts, and send them from a list address),
   an SES complaint notification, ``X-MS-Exchange-Inbox-Rules-Loop`` together with an
   automatic-reply subject, or an automatic-reply subject prefix ("Automatic reply:", "Auto
   reply", "AUTO:", "Out of Office", ...). ``X-Auto-Response-Suppress`` alone is not a signal
   (Outlook sets it on ordinary mail).
5. **malformed, for what would otherwise be a human reply**: a reply is the class whose content
   the caseworker reads and acts on, so the sender's own words must parse cleanly. Only the
   sender's own parts are checked (mail/wellformed.py): an enclosed original (a forwarded
   message/rfc822) is someone else's mail, and its defects do not count. It is malformed when:
   From has no usable address; any header of the message or of its own parts carries raw 8-bit
   bytes (no RFC 2047 encoding; RFC 6532 mail is also stored raw and flagged); a header field
   exceeds 16,000 characters; there is no Subject header; To/Cc contain an empty or
   unparseable address; the MIME parser reports a defect in its own parts (missing start/close
   boundary, a multipart with no parts, a missing header/body separator, ...), except the
   harmless leading whitespace-only line some mail stores prepend and a close boundary lost
   because an enclosed original that ends the message is cut short; a Content-Type has no
   subtype; a text part's charset is unknown or its bytes do not decode in it; a base64 part
   does not decode strictly. A body part with no header lines is text/plain (RFC 2046
   section 5.1), not a defect.
6. **reply**: everything else with a usable From.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email.errors import NoBoundaryInMultipartDefect
from email.message import Message
from enum import StrEnum

from mail import boundaries
from mail.bounces import (
    bounce_of,
    dsn_delivered,
    mdn_original,
    null_return_path,
    returned_message_id,
)
from mail.headers import dedupe, first_msgid, header_text, msgids, report_type, sender_address
from mail.ses import ses_notification
from mail.wellformed import reply_problem

# Every message read is parsed here: its MIME boundaries matched without a pattern compiled for
# each (a fifth of reading a reply; mail/boundaries.py).
boundaries.install()

__all__ = ["RECIPIENT_HEADERS", "Classified", "MailClass", "classify"]


class MailClass(StrEnum):
    reply = "reply"
    auto_reply = "auto_reply"
    bounce = "bounce"
    mdn = "mdn"
    malformed = "malformed"


@dataclass(frozen=True)
class Classified:
    mail_class: MailClass
    reason: str
    failed_recipients: tuple[str, ...] = ()
    original_message_id: str | None = None
    references: tuple[str, ...] = ()
    subject: str | None = None
    from_address: str | None = None
    message_id: str | None = None
    delayed: bool = False
    delivered: bool = False  # a delivery report (DSN) that says the message arrived
    # The envelope-recipient headers' values, for mail/reading.py's tokens (None: not read).
    recipients: tuple[str, ...] | None = field(default=None, compare=False, repr=False)


_AUTO_SUBJECT = re.compile(
    r"^\s*(?:\[\s*)?(?:automatic\s+reply|auto[\s-]?reply|autoreply|auto[\s-]?response"
    r"|autorespons|auto:|out\s+of\s+(?:the\s+)?office|abwesenheitsnotiz|automatische\s+antwort"
    r"|r[ée]ponse\s+automatique|respuesta\s+autom[áa]tica|risposta\s+automatica"
    r"|automatyczna\s+odpowied)"
    r"|\((?:automatic\s+response|auto[\s-]?reply)\)|\bis\s+out\s+of\s+the\s+office\b",
    re.I,
)
_BULK_PRECEDENCE = {"bulk", "junk"}


def classify(raw: bytes) -> Classified:
    """Classify one message given as its raw bytes. Never raises."""
    try:
        return _classify(raw)
    except Exception as exc:  # whatever the bytes, an answer
        return Classified(MailClass.malformed, f"could not be parsed: {type(exc).__name__}")


def _classify(raw: bytes) -> Classified:
    if not isinstance(raw, bytes | bytearray | memoryview):
        return Classified(MailClass.malformed, "not bytes")
    data = bytes(raw)
    if not data.strip():
        return Classified(MailClass.malformed, "empty message")
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    from_raw = msg.get_all("From")
    in_reply_to = msgids(msg.get("In-Reply-To"))
    base = _headers(msg, from_raw, in_reply_to)

    # 1. Untrustworthy at the top.
    if not from_raw:
        return replace(base, reason="no From header")
    if any(isinstance(d, NoBoundaryInMultipartDefect) for d in msg.defects):
        return replace(base, reason="multipart without a boundary")
    parts = list(msg.walk())
    # 2-6, in order of precedence: the first that applies.
    return (
        _as_bounce(msg, parts, base, str(from_raw[0]))
        or _as_mdn(msg, parts, base)
        or _as_auto_reply(msg, base, in_reply_to)
        or _as_reply(msg, parts, base, in_reply_to)
    )


def _headers(
    msg: Message, from_raw: Sequence[object] | None, in_reply_to: tuple[str, ...]
) -> Classified:
    """What every class reports, as `malformed` with no reason yet."""
    return Classified(
        MailClass.malformed,
        "",
        references=dedupe(in_reply_to + msgids(msg.get("References"))),
        subject=header_text(msg.get("Subject")),
        from_address=sender_address(from_raw),
        message_id=first_msgid(msg.get("Message-ID")),
        recipients=_recipients(msg),
    )


RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")


def _recipients(msg: Message) -> tuple[str, ...] | None:
    try:
        return tuple(str(v) for name in RECIPIENT_HEADERS for v in msg.get_all(name) or [])
    except Exception:  # a header too broken to read: the reader parses the headers itself
        return None


def _as_bounce(
    msg: Message, parts: list[Message], base: Classified, from_text: str
) -> Classified | None:
    bounce = bounce_of(msg, parts, base.from_address, from_text, base.subject)
    if bounce is None:
        return None
    delivered = bounce.delivered or (
        not bounce.failed and not bounce.delayed and dsn_delivered(parts)
    )
    return replace(
        base,
        mail_class=MailClass.bounce,
        reason="delivery report: delivered" if delivered else bounce.reason,
        failed_recipients=bounce.failed,
        original_message_id=bounce.original_message_id or returned_message_id(msg, parts),
        delayed=bounce.delayed,
        delivered=delivered,
    )


def _as_mdn(msg: Message, parts: list[Message], base: Classified) -> Classified | None:
    if report_type(msg) != "disposition-notification":
        return None
    return replace(
        base,
        mail_class=MailClass.mdn,
        reason="multipart/report; report-type=disposition-notification",
        original_message_id=mdn_original(parts) or returned_message_id(msg, parts),
    )


def _as_auto_reply(
    msg: Message, base: Classified, in_reply_to: tuple[str, ...]
) -> Classified | None:
    auto = _auto_reply(msg, base.subject)
    if auto is None:
        return None
    return replace(
        base,
        mail_class=MailClass.auto_reply,
        reason=auto,
        original_message_id=in_reply_to[0] if in_reply_to else None,
    )


def _as_reply(
    msg: Message, parts: list[Message], base: Classified, in_reply_to: tuple[str, ...]
) -> Classified:
    # Would-be replies must parse cleanly (5); what does is a human reply (6).
    problem = reply_problem(msg, base.from_address)
    if problem is not None:
        return replace(base, reason=problem)
    return replace(
        base,
        mail_class=MailClass.reply,
        reason="In-Reply-To present" if in_reply_to else "no automated or report signal",
        original_message_id=in_reply_to[0] if in_reply_to else None,
    )


# --- automatic replies ----------------------------------------------------------------------


def _auto_reply(msg: Message, subject: str | None) -> str | None:
    auto_submitted = msg.get("Auto-Submitted")
    if auto_submitted is not None:
        value = str(auto_submitted).split(";", 1)[0].strip().lower()
        if value and value != "no":
            return f"Auto-Submitted: {value}"
    for name in ("X-Autoreply", "X-Autorespond"):
        vendor = msg.get(name)
        if vendor is not None and str(vendor).strip().lower() not in ("no", "false", "0"):
            return f"{name}: {str(vendor).strip()}"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence == "auto_reply":
        return "Precedence: auto_reply"
    # bulk and junk are what mailing lists stamp on people's posts too: taken as an automatic
    # reply only when it also came from the null reverse path, as RFC 3834 section 3.3 asks
    # of responders and no list sends its members' mail
    if precedence in _BULK_PRECEDENCE and null_return_path(msg):
        return f"Precedence: {precedence} from Return-Path: <>"
    ses = ses_notification(msg)
    if ses is not None and ses.kind == "complaint":
        return "Amazon SES complaint notification"
    if subject and _AUTO_SUBJECT.search(subject):
        if msg.get("X-MS-Exchange-Inbox-Rules-Loop") is not None:
            return "X-MS-Exchange-Inbox-Rules-Loop with an automatic-reply subject"
        return "automatic-reply subject"
    return None
