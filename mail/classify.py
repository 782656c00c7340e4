"""Classify incoming mail: reply, auto_reply, bounce, mdn or malformed.

Pure: bytes in, a :class:`Classified` out; no I/O, no clock. :func:`classify` never raises.

The message is parsed once with ``policy=compat32`` (fast and tolerant; PERF-NOTES.md) after
line endings are normalised to ``\\n`` (CRLF and bare-CR mail parse the same as LF mail). The
decision is made from the headers and the report parts first; bodies are only looked at for
bounces without a report part (flufl.bounce) and for the final sanity checks on would-be replies.

Order of precedence (the shared corpus, ``../shared/mail-corpus/README.md``):

1. **malformed, untrustworthy at the top**: no From header at all (headerless fragments, a
   first line that is a continuation, text that is not RFC 822), or a multipart with no boundary
   parameter (nothing inside it can be located, even when it claims to be a DSN).
2. **bounce**: a ``multipart/report; report-type=delivery-status`` (even with broken
   boundaries: the top-level Content-Type is enough), else flufl.bounce finds failed or delayed
   recipients, else a mail-system sender (MAILER-DAEMON, postmaster, mailer-daemon, or a From of
   ``<>``) with a failure subject, or a From of ``<>`` outright. A bounce wins over every
   auto-reply header (MTAs add ``Auto-Submitted: auto-replied`` to DSNs). ``Action: delayed``
   reports are bounces with ``delayed=True`` and no failed recipients.
3. **mdn**: ``multipart/report; report-type=disposition-notification`` (a message that merely
   *requests* a receipt with Disposition-Notification-To is not one).
4. **auto_reply**: ``Auto-Submitted`` other than ``no`` (RFC 3834), ``X-Autoreply`` /
   ``X-Autorespond``, ``Precedence: auto_reply|bulk|junk``, ``X-MS-Exchange-Inbox-Rules-Loop``
   together with an automatic-reply subject, or an automatic-reply subject prefix ("Automatic
   reply:", "Auto reply", "AUTO:", "Out of Office", ...). ``X-Auto-Response-Suppress`` alone
   is not a signal (Outlook sets it on ordinary mail).
5. **malformed, for what would otherwise be a human reply**: a reply is the class whose content
   the caseworker reads and acts on, so it must parse cleanly. It is malformed when: From has no
   usable address; any header (of the message or of any part, nested messages included) carries
   raw 8-bit bytes (no RFC 2047 encoding; RFC 6532 mail is also stored raw and flagged); a header
   field exceeds 16,000 characters; there is no Subject header; To/Cc contain an empty or
   unparseable address; the MIME parser reports a defect (missing start/close boundary, a
   multipart with no parts, a missing header/body separator, ...), except the harmless leading
   whitespace-only line some mail stores prepend; a MIME part has no header at all (so its type
   is a guess); a Content-Type has no subtype; a text part's
   charset is unknown or its bytes do not decode in it; a base64 part does not decode strictly.
6. **reply**: everything else with a usable From.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from email.errors import NoBoundaryInMultipartDefect
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parseaddr
from enum import StrEnum

from flufl.bounce import all_failures

from mail.wellformed import has_raw_8bit, reply_problem

__all__ = ["Classified", "MailClass", "classify"]


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


_MSGID = re.compile(r"<[^<>\s]+>")
_MAIL_SYSTEM = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailer)(@|$)", re.I)
_FAILURE_SUBJECT = re.compile(
    r"undeliver|undelivered|not\s+delivered|could\s+not\s+be\s+delivered|delivery\s+fail"
    r"|failure\s+notice|failure\s+delivery|returned\s+mail|mail\s+delivery\s+failed"
    r"|delivery\s+status\s+notification|delivery\s+notification|mail\s+system\s+error"
    r"|non-?delivery|delivery\s+problem|delivery\s+failure|message\s+status",
    re.I,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:\[\s*)?(?:automatic\s+reply|auto[\s-]?reply|autoreply|auto[\s-]?response"
    r"|autorespons|auto:|out\s+of\s+(?:the\s+)?office|abwesenheitsnotiz|automatische\s+antwort"
    r"|r[ée]ponse\s+automatique|respuesta\s+autom[áa]tica|risposta\s+automatica"
    r"|automatyczna\s+odpowied)"
    r"|\((?:automatic\s+response|auto[\s-]?reply)\)|\bis\s+out\s+of\s+the\s+office\b",
    re.I,
)
_AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}


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
    subject = _text(msg.get("Subject"))
    message_id = _first_msgid(msg.get("Message-ID"))
    in_reply_to = _msgids(msg.get("In-Reply-To"))
    references = _dedupe(in_reply_to + _msgids(msg.get("References")))
    from_address = _from_address(from_raw)
    base = Classified(
        MailClass.malformed,
        "",
        references=references,
        subject=subject,
        from_address=from_address,
        message_id=message_id,
    )

    # 1. Untrustworthy at the top.
    if not from_raw:
        return replace(base, reason="no From header")
    parts = list(msg.walk())
    if any(isinstance(d, NoBoundaryInMultipartDefect) for p in parts for d in p.defects):
        return replace(base, reason="multipart without a boundary")

    # 2. Bounces.
    bounce = _bounce(msg, parts, from_address, str(from_raw[0]), subject)
    if bounce is not None:
        reason, failed, delayed = bounce
        delivered = not failed and not delayed and _dsn_delivered(parts)
        return replace(
            base,
            mail_class=MailClass.bounce,
            reason="delivery report: delivered" if delivered else reason,
            failed_recipients=failed,
            original_message_id=_original_message_id(msg, parts),
            delayed=delayed,
            delivered=delivered,
        )

    # 3. Read receipts.
    if _report_type(msg) == "disposition-notification":
        return replace(
            base,
            mail_class=MailClass.mdn,
            reason="multipart/report; report-type=disposition-notification",
            original_message_id=_mdn_original(parts) or _original_message_id(msg, parts),
        )

    # 4. Automatic replies.
    auto = _auto_reply(msg, subject)
    if auto is not None:
        return replace(
            base,
            mail_class=MailClass.auto_reply,
            reason=auto,
            original_message_id=in_reply_to[0] if in_reply_to else None,
        )

    # 5. Would-be replies must parse cleanly.
    problem = reply_problem(msg, parts, from_address)
    if problem is not None:
        return replace(base, reason=problem)

    # 6. A human reply.
    return replace(
        base,
        mail_class=MailClass.reply,
        reason="In-Reply-To present" if in_reply_to else "no automated or report signal",
        original_message_id=in_reply_to[0] if in_reply_to else None,
    )


# --- headers -------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    """A header value as text, RFC 2047 decoded where possible; None when absent."""
    if value is None:
        return None
    s = str(value)
    try:
        decoded = str(make_header(decode_header(s)))
    except Exception:  # unknown charsets, bad base64: keep the raw text
        decoded = s
    decoded = decoded.encode("utf-8", "replace").decode("utf-8")  # drop lone surrogates
    return " ".join(decoded.split())


def _msgids(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(_MSGID.findall(str(value)))


def _first_msgid(value: object) -> str | None:
    ids = _msgids(value)
    if ids:
        return ids[0]
    s = str(value).strip() if value is not None else ""
    return s or None


def _dedupe(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _from_address(from_raw: Sequence[object] | None) -> str | None:
    if not from_raw:
        return None
    _, addr = parseaddr(str(from_raw[0]))
    addr = addr.strip().lower()
    return addr if "@" in addr and not has_raw_8bit(addr) else None


def _report_type(msg: Message) -> str | None:
    if msg.get_content_type() != "multipart/report":
        return None
    rt = msg.get_param("report-type")
    return str(rt).strip().strip('"').lower() if isinstance(rt, str) else None


# --- bounces -------------------------------------------------------------------------------


def _bounce(
    msg: Message,
    parts: list[Message],
    from_address: str | None,
    from_text: str,
    subject: str | None,
) -> tuple[str, tuple[str, ...], bool] | None:
    """(reason, failed recipients, delayed) when the message is a bounce, else None."""
    # flufl.bounce's detectors cost ~1.4 ms a message: run them only on mail that could be a
    # bounce (bench/README.md; on the shared corpus every bounce still reaches them).
    temporary, permanent = (
        _flufl(msg) if _may_be_bounce(msg, from_address, from_text, subject) else (set(), set())
    )
    if _report_type(msg) == "delivery-status":
        failed, delayed_rcpts = _dsn_recipients(parts)
        failed = tuple(sorted(set(failed) | permanent))
        delayed = not failed and (bool(delayed_rcpts) or bool(temporary))
        return "multipart/report; report-type=delivery-status", failed, delayed
    if permanent:
        return "flufl.bounce found failed recipients", tuple(sorted(permanent)), False
    if temporary:
        return "flufl.bounce found delayed recipients", (), True
    null_sender = parseaddr(from_text)[1].strip() in ("", "<>") and "<>" in from_text
    if null_sender:
        return "From: <> (null sender, a mail system)", (), False
    local = (from_address or parseaddr(from_text)[1] or "").lower()
    if _MAIL_SYSTEM.match(local) and subject and _FAILURE_SUBJECT.search(subject):
        return "mail-system sender with a delivery-failure subject", (), False
    return None


def _may_be_bounce(
    msg: Message, from_address: str | None, from_text: str, subject: str | None
) -> bool:
    local = (from_address or "").lower()
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    return (
        not from_address
        or "<>" in from_text
        or bool(_MAIL_SYSTEM.match(local))
        or bool(subject and _FAILURE_SUBJECT.search(subject))
        or msg.get_content_type() == "multipart/report"
        or (auto not in ("", "no"))
        or msg.get("X-Failed-Recipients") is not None
        or str(msg.get("Return-Path", "")).strip() == "<>"
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
    return _dedupe(tuple(failed)), _dedupe(tuple(delayed))


def _dsn_delivered(parts: list[Message]) -> bool:
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


def _original_message_id(msg: Message, parts: list[Message]) -> str | None:
    """The Message-ID of the returned message, from a message/rfc822 or text/rfc822-headers
    part, else from a Message-ID line quoted in a plain-text bounce body."""
    for part in parts:
        ctype = part.get_content_type()
        if ctype == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)
            if isinstance(inner, Message):
                mid = _msgids(inner.get("Message-ID"))
                if mid:
                    return mid[0]
        elif ctype == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                headers = email.message_from_bytes(payload, policy=email.policy.compat32)
                mid = _msgids(headers.get("Message-ID"))
                if mid:
                    return mid[0]
    own = _msgids(msg.get("Message-ID"))
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


def _mdn_original(parts: list[Message]) -> str | None:
    for part in parts:
        if part.get_content_type() != "message/disposition-notification":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        for block in blocks:
            if isinstance(block, Message):
                mid = _msgids(block.get("Original-Message-ID"))
                if mid:
                    return mid[0]
        if isinstance(payload, str):
            m = re.search(r"(?im)^Original-Message-ID:\s*(<[^<>\s]+>)", payload)
            if m:
                return m.group(1)
    return None


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
    precedence = msg.get("Precedence")
    if precedence is not None and str(precedence).strip().lower() in _AUTO_PRECEDENCE:
        return f"Precedence: {str(precedence).strip().lower()}"
    if subject and _AUTO_SUBJECT.search(subject):
        if msg.get("X-MS-Exchange-Inbox-Rules-Loop") is not None:
            return "X-MS-Exchange-Inbox-Rules-Loop with an automatic-reply subject"
        return "automatic-reply subject"
    return None


# --- sanity of would-be replies -------------------------------------------------------------
