"""Is a would-be human reply well formed enough to put in front of a caseworker?

The checks of step 5 in mail/classify.py's docstring: raw 8-bit header bytes, monster headers,
missing Subject, unparseable To/Cc, MIME defects, unknown charsets, base64 that does not decode.
Only the sender's own parts are checked: an enclosed original (a forwarded or returned
message/rfc822, text/rfc822-headers) is someone else's mail, and its defects do not make the
sender's words unreadable. A body part with no header lines is text/plain in US-ASCII
(RFC 2046 section 5.1), not a defect.
"""

from __future__ import annotations

import binascii
import codecs
import re
from email.errors import CloseBoundaryNotFoundDefect, FirstHeaderLineIsContinuationDefect
from email.message import Message
from email.utils import getaddresses

MAX_HEADER_CHARS = 16_000


def has_raw_8bit(s: str) -> bool:
    # compat32 keeps undecodable header bytes as surrogate escapes (or as non-ASCII text);
    # both are outside ASCII, which str.isascii() checks in C (a Python loop over every
    # character of every header was a fifth of classify's time).
    return not s.isascii()


_ENCLOSURES = ("message/rfc822", "message/global", "text/rfc822-headers")


def own_parts(msg: Message) -> list[Message]:
    """The message and its MIME parts, not descending into enclosed messages."""
    out = [msg]
    if msg.get_content_type() in _ENCLOSURES:
        return out
    payload = msg.get_payload()
    if isinstance(payload, list):
        for child in payload:
            if isinstance(child, Message):
                out.extend(own_parts(child))
    return out


def _excused(part: Message, defect: object) -> bool:
    if isinstance(defect, FirstHeaderLineIsContinuationDefect):
        # the harmless leading whitespace-only line some mail stores prepend
        return not str(getattr(defect, "line", "x")).strip()
    if isinstance(defect, CloseBoundaryNotFoundDefect):
        # cut short inside an enclosed original that ends the message: the sender's own parts,
        # all before it, are whole
        payload = part.get_payload()
        last = payload[-1] if isinstance(payload, list) and payload else None
        return isinstance(last, Message) and last.get_content_type() in _ENCLOSURES
    return False


def reply_problem(msg: Message, from_address: str | None) -> str | None:
    parts = own_parts(msg)
    if from_address is None:
        return "no usable From address"
    for part in parts:
        for name, value in part.items():
            text = str(value)
            if has_raw_8bit(name) or has_raw_8bit(text):
                return f"raw 8-bit bytes in the {name} header"
            if len(text) > MAX_HEADER_CHARS:
                return f"{name} header of {len(text)} characters"
    if msg.get("Subject") is None:
        return "no Subject header"
    for name in ("To", "Cc"):
        values = msg.get_all(name)
        if values is None:
            continue
        for _, addr in getaddresses([str(v) for v in values]):
            if "@" not in addr:
                return f"unparseable {name} header"
    for part in parts:
        for defect in part.defects:
            if not _excused(part, defect):
                return f"MIME defect: {type(defect).__name__}"
    for part in parts:
        ctype = part.get("Content-Type")
        if ctype is not None and "/" not in str(ctype).split(";", 1)[0]:
            return f"Content-Type without subtype: {str(ctype).split(';', 1)[0].strip()}"
        if part.is_multipart() or part.get_content_type() in _ENCLOSURES:
            continue
        problem = _payload_problem(part)
        if problem is not None:
            return problem
    return None


def _payload_problem(part: Message) -> str | None:
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    if cte == "base64":
        compact = re.sub(r"\s+", "", payload)
        try:
            binascii.a2b_base64(compact.encode("ascii"), strict_mode=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return "corrupt base64 in a MIME part"
    if part.get_content_maintype() != "text" or part.get_filename() is not None:
        return None
    charset = part.get_content_charset() or "us-ascii"
    try:
        codecs.lookup(charset)
    except LookupError:
        return f"unknown charset {charset!r}"
    body = part.get_payload(decode=True)
    if isinstance(body, bytes):
        try:
            body.decode(charset)
        except UnicodeDecodeError:
            return f"body bytes do not decode as {charset}"
    return None
