"""Bounces and read receipts: delivery-status reports, flufl.bounce's findings, mail-system
senders, and the Message-ID of the returned message (classify.py's steps 2 and 3)."""

from __future__ import annotations

import binascii
import email
import email.policy
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr

from flufl.bounce import all_failures

from mail.headers import dedupe, msgids, report_type
from mail.ses import ses_notification

# Mail-system senders: RFC 5321 section 4.5.5 (non-delivery notices come from a null reverse
# path), RFC 2142 (postmaster) and the names MTAs use for themselves.
_MAIL_SYSTEM = re.compile(
    r"^(mailer-?daemon|mail-daemon|post_?master|mdaemon|mailer|ndr)(@|$)", re.I
)
_MAIL_SYSTEM_NAME = re.compile(
    r"mailer[\s-]*daemon|mail\s+deliver(?:y|er)\s+(?:sub)?(?:system|service)|\bpost\s*master\b"
    r"|\bndr\b|non-?delivery",
    re.I,
)
_FAILURE_SUBJECT = re.compile(
    r"undeliver|undelivered|not\s+delivered|could\s+not\s+be\s+delivered|delivery\s+fail"
    r"|failure\s+notice|failure\s+delivery|returned\s+mail|mail\s+delivery\s+failed"
    r"|delivery\s+status\s+notification|delivery\s+notification|mail\s+system\s+error"
    r"|non-?delivery|delivery\s+problem|delivery\s+failure|message\s+status"
    r"|mail\s+failure|delivery\s+has\s+failed|\bbounce(?:d)?\b|user\s+unknown"
    r"|delayed\s+mail|delivery\s+(?:delay|warning)|could\s+not\s+send|error\s+sending",
    re.I,
)
# A person answering or passing on a bounce ("Re: Undeliverable: ...") is not a mail system.
_HUMAN_PREFIX = re.compile(r"^\s*(?:re|fwd?|aw|wg|tr|sv|vs|rv|antw)\s*(?:\[\d+\])?\s*:", re.I)
# An SMTP failure reply (RFC 5321 section 4.2: 5yz) or an RFC 3463 permanent status code.
_SMTP_FAILURE = re.compile(
    rb"(?m)(?:^|\s)5[0-5]\d[ -]+(?:5\.\d{1,3}\.\d{1,3}\s+)?[A-Za-z]|\b5\.[1-7]\.\d{1,3}\b"
)
_ENCLOSURES = ("message/rfc822", "message/global", "text/rfc822-headers")


@dataclass(frozen=True)
class Bounce:
    reason: str
    failed: tuple[str, ...] = ()
    delayed: bool = False
    delivered: bool = False
    original_message_id: str | None = None


def bounce_of(
    msg: Message,
    parts: list[Message],
    from_address: str | None,
    from_text: str,
    subject: str | None,
) -> Bounce | None:
    """What makes the message a bounce (or a delivery report), else None."""
    # flufl.bounce's detectors cost ~1.4 ms a message: run them only on mail that could be a
    # bounce (bench/README.md; on the shared corpus every bounce still reaches them).
    temporary, permanent = (
        _flufl(msg) if _may_be_bounce(msg, from_address, from_text, subject) else (set(), set())
    )
    if report_type(msg) == "delivery-status":
        failed, delayed_rcpts = _dsn_recipients(parts)
        failed = tuple(sorted(set(failed) | permanent))
        delayed = not failed and (bool(delayed_rcpts) or bool(temporary))
        return Bounce("multipart/report; report-type=delivery-status", failed, delayed)
    ses = ses_notification(msg)
    if ses is not None and ses.kind != "complaint":
        return Bounce(
            f"Amazon SES {ses.kind} notification",
            ses.failed,
            ses.delayed,
            delivered=bool(ses.delivered) and not ses.failed,
            original_message_id=ses.original_message_id,
        )
    if permanent:
        return Bounce("flufl.bounce found failed recipients", tuple(sorted(permanent)))
    if temporary:
        return Bounce("flufl.bounce found delayed recipients", (), True)
    reason = _bounce_sign(msg, parts, from_address, from_text, subject)
    return Bounce(reason) if reason else None


def _bounce_sign(
    msg: Message,
    parts: list[Message],
    from_address: str | None,
    from_text: str,
    subject: str | None,
) -> str | None:
    """The signs a careful reader takes for a bounce when there is no report to parse."""
    if parseaddr(from_text)[1].strip() in ("", "<>") and "<>" in from_text:
        return "From: <> (null sender, a mail system)"
    null_path = null_return_path(msg)
    local = (from_address or parseaddr(from_text)[1] or "").lower()
    mail_system = bool(_MAIL_SYSTEM.match(local) or _MAIL_SYSTEM_NAME.search(from_text))
    failure = bool(
        subject and _FAILURE_SUBJECT.search(subject) and not _HUMAN_PREFIX.match(subject)
    )
    returned = any(p.get_content_type() in _ENCLOSURES for p in parts[1:])
    if mail_system and failure:
        return "mail-system sender with a delivery-failure subject"
    if null_path and (mail_system or failure):
        return "Return-Path: <> (null reverse path) from a mail system"
    if returned and (mail_system or failure or null_path):
        return "a returned message from a mail system"
    if mail_system and _smtp_failure_text(parts):
        return "mail-system sender quoting an SMTP failure reply"
    return None


def null_return_path(msg: Message) -> bool:
    """The message came from the null reverse path (RFC 5321 section 4.5.5)."""
    value = msg.get("Return-Path")
    return value is not None and str(value).strip().replace(" ", "") == "<>"


def _smtp_failure_text(parts: list[Message]) -> bool:
    for part in parts:
        if part.get_content_type() in _ENCLOSURES:
            return False  # only the mail system's own words, not the returned message
        # A multipart without a boundary is left unparsed: its text is still the mail system's.
        if part.is_multipart() or part.get_content_maintype() not in ("text", "multipart"):
            continue
        body = part.get_payload(decode=True)
        if isinstance(body, bytes) and _SMTP_FAILURE.search(body[:20_000]):
            return True
    return False


def _may_be_bounce(
    msg: Message, from_address: str | None, from_text: str, subject: str | None
) -> bool:
    local = (from_address or "").lower()
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    return (
        not from_address
        or "<>" in from_text
        or bool(_MAIL_SYSTEM.match(local))
        or bool(_MAIL_SYSTEM_NAME.search(from_text))
        or bool(subject and _FAILURE_SUBJECT.search(subject))
        or msg.get_content_type() == "multipart/report"
        or (auto not in ("", "no"))
        or msg.get("X-Failed-Recipients") is not None
        or null_return_path(msg)
    )


def _flufl(msg: Message) -> tuple[set[str], set[str]]:
    if not isinstance(msg.get("From", ""), str):
        # compat32 hands back a Header object for raw 8-bit values, which some detectors
        # cannot read (they call .lower() on it); the header heuristics still apply.
        return set(), set()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            temporary, permanent = all_failures(msg)
    except Exception:  # a detector choking on odd mail is "no finding"
        return set(), set()
    return _addresses(temporary), _addresses(permanent)


def _addresses(items: Iterable[bytes | str]) -> set[str]:
    out: set[str] = set()
    for item in items:
        s = item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        s = s.strip().strip("<>").strip().lower()
        if "@" in s:
            out.add(s)
    return out


def _dsn_recipients(parts: list[Message]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(failed, delayed) recipients from message/delivery-status parts."""
    failed: list[str] = []
    delayed: list[str] = []
    for part in parts:
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks = [b for b in payload if isinstance(b, Message)] if isinstance(payload, list) else []
        # Postfix behind some gateways declares base64 in the per-message block and sends the
        # recipient fields as a header-less base64 block after it.
        if any(
            str(b.get("Content-Transfer-Encoding", "")).lower().strip() == "base64" for b in blocks
        ):
            for block in list(blocks):
                body = block.get_payload()
                if not block.keys() and isinstance(body, str) and body.strip():
                    try:
                        inner = binascii.a2b_base64(re.sub(r"\s+", "", body).encode("ascii"))
                    except (binascii.Error, ValueError, UnicodeEncodeError):
                        continue
                    blocks.append(email.message_from_bytes(inner, policy=email.policy.compat32))
        # An Action misplaced in the per-message block applies to recipients without one.
        default_action = str(blocks[0].get("Action", "")).strip().lower() if blocks else ""
        for block in blocks:
            rcpts = [
                _dsn_address(block.get(name)) for name in ("Final-Recipient", "Original-Recipient")
            ]
            addrs = [a for a in rcpts if a]
            if not addrs:
                continue
            action = str(block.get("Action", default_action)).strip().lower()
            status = str(block.get("Status", "")).strip()
            if action == "delayed" or (not action and status.startswith("4")):
                delayed.extend(addrs)
            elif action in ("failed", "") and not status.startswith("2"):
                failed.extend(addrs)
    return dedupe(tuple(failed)), dedupe(tuple(delayed))


def dsn_delivered(parts: list[Message]) -> bool:
    """A DSN whose recipients were all delivered, relayed or expanded (RFC 3464 success)."""
    actions = []
    for part in parts:
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            for block in payload if isinstance(payload, list) else []:
                if isinstance(block, Message) and block.get("Action"):
                    actions.append(str(block.get("Action")).strip().lower())
    return bool(actions) and all(a in ("delivered", "relayed", "expanded") for a in actions)


def _dsn_address(value: object) -> str | None:
    if value is None:
        return None
    s = str(value)
    if ";" in s:
        s = s.split(";", 1)[1]
    s = s.strip().strip("<>").strip().lower()
    return s if "@" in s else None


def returned_message_id(msg: Message, parts: list[Message]) -> str | None:
    """The Message-ID of the returned message, from a message/rfc822 or text/rfc822-headers
    part, else from a Message-ID line quoted in a plain-text bounce body."""
    for part in parts:
        ctype = part.get_content_type()
        if ctype == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)
            if isinstance(inner, Message):
                mid = msgids(inner.get("Message-ID"))
                if mid:
                    return mid[0]
        elif ctype == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                headers = email.message_from_bytes(payload, policy=email.policy.compat32)
                mid = msgids(headers.get("Message-ID"))
                if mid:
                    return mid[0]
    own = msgids(msg.get("Message-ID"))
    for part in parts:
        if part.get_content_maintype() != "text" or part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        for m in re.finditer(rb"(?im)^\s*Message-ID:\s*(<[^<>\s]+>)", payload[:200_000]):
            quoted = m.group(1).decode("ascii", "replace")
            if quoted not in own:
                return quoted
    return None


def mdn_original(parts: list[Message]) -> str | None:
    for part in parts:
        if part.get_content_type() != "message/disposition-notification":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        for block in blocks:
            if isinstance(block, Message):
                mid = msgids(block.get("Original-Message-ID"))
                if mid:
                    return mid[0]
        if isinstance(payload, str):
            m = re.search(r"(?im)^Original-Message-ID:\s*(<[^<>\s]+>)", payload)
            if m:
                return m.group(1)
    return None
