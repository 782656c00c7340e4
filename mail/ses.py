"""Amazon SES notifications delivered by email through Amazon SNS: a text/plain body that is the
JSON of an SES notification (``"notificationType": "Bounce" | "Delivery" | "Complaint"``, or the
newer ``"eventType"``), either bare or wrapped in an SNS envelope (``"Type": "Notification"``
with the SES JSON as the string ``"Message"``).

Formats: AWS SES Developer Guide, "Amazon SNS notification contents for Amazon SES" (bounce,
complaint and delivery objects; ``bounceType`` Permanent, Transient or Undetermined).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import Message

from mail.headers import msgids

__all__ = ["SesNotification", "ses_notification"]

_MAX_JSON = 1_000_000  # SNS messages are at most 256 KB; anything larger is not one


@dataclass(frozen=True)
class SesNotification:
    kind: str  # "bounce", "delivery" or "complaint"
    failed: tuple[str, ...]  # permanently bounced recipients
    delayed: bool  # a transient (soft) bounce: SES gave up for now, the address may work later
    delivered: tuple[str, ...]
    original_message_id: str | None


def ses_notification(msg: Message) -> SesNotification | None:
    """The SES notification this message carries, else None."""
    if msg.is_multipart() or msg.get_content_maintype() != "text":
        return None
    body = msg.get_payload(decode=True)
    if not isinstance(body, bytes) or len(body) > _MAX_JSON or not body.lstrip().startswith(b"{"):
        return None
    doc = _json(body)
    envelope = doc.get("Message") if doc is not None and doc.get("Type") == "Notification" else None
    if isinstance(envelope, str):
        doc = _json(envelope.encode("utf-8", "replace"))
    if doc is None:
        return None
    kind = str(doc.get("notificationType") or doc.get("eventType") or "").lower()
    if kind not in ("bounce", "delivery", "complaint"):
        return None
    return _notification(kind, doc)


def _notification(kind: str, doc: dict[str, object]) -> SesNotification:
    bounce = _dict(doc.get("bounce"))
    bounced = _addresses(bounce.get("bouncedRecipients"), "emailAddress")
    transient = str(bounce.get("bounceType", "")).lower() == "transient"
    delivery = _dict(doc.get("delivery"))
    delivered = tuple(
        a.strip().lower() for a in _list(delivery.get("recipients")) if isinstance(a, str)
    )
    return SesNotification(
        kind=kind,
        failed=() if transient else bounced,
        delayed=kind == "bounce" and transient,
        delivered=delivered if kind == "delivery" else (),
        original_message_id=_original_message_id(_dict(doc.get("mail"))),
    )


def _original_message_id(mail: dict[str, object]) -> str | None:
    # The SES "messageId" is SES's own; the message's Message-ID header is in commonHeaders
    # (or in the headers list when the notification includes the original headers).
    common = _dict(mail.get("commonHeaders"))
    ids = msgids(common.get("messageId"))
    if ids:
        return ids[0]
    for header in _list(mail.get("headers")):
        h = _dict(header)
        if str(h.get("name", "")).lower() == "message-id":
            ids = msgids(h.get("value"))
            if ids:
                return ids[0]
    return None


def _addresses(items: object, key: str) -> tuple[str, ...]:
    out = []
    for item in _list(items):
        value = _dict(item).get(key)
        if isinstance(value, str) and "@" in value:
            out.append(value.strip().strip("<>").lower())
    return tuple(dict.fromkeys(out))


def _json(data: bytes) -> dict[str, object] | None:
    # Sendmail splits lines longer than its limit with "!" and a newline and a space (the
    # samples SES users have published show it inside the JSON): join them back; a newline
    # left inside a string is tolerated (strict=False)
    data = data.replace(b"\r\n", b"\n").replace(b"!\n ", b"")
    try:
        # SNS appends an unsubscribe footer after the JSON: read the first value only
        doc, _ = json.JSONDecoder(strict=False).raw_decode(data.decode("utf-8").lstrip())
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
