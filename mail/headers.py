"""Reading the headers of incoming mail tolerantly: decoded text, Message-IDs, the sender."""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parseaddr

from mail.wellformed import has_raw_8bit

_MSGID = re.compile(r"<[^<>\s]+>")


def header_text(value: object) -> str | None:
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


def msgids(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(_MSGID.findall(str(value)))


def first_msgid(value: object) -> str | None:
    ids = msgids(value)
    if ids:
        return ids[0]
    s = str(value).strip() if value is not None else ""
    return s or None


def dedupe(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def sender_address(from_raw: Sequence[object] | None) -> str | None:
    if not from_raw:
        return None
    _, addr = parseaddr(str(from_raw[0]))
    addr = addr.strip().lower()
    return addr if "@" in addr and not has_raw_8bit(addr) else None


def report_type(msg: Message) -> str | None:
    if msg.get_content_type() != "multipart/report":
        return None
    rt = msg.get_param("report-type")
    return str(rt).strip().strip('"').lower() if isinstance(rt, str) else None
