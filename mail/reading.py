"""What the ingester needs to know of one message: its class (mail/classify.py) and the tokens
our own addresses carry (`attendance+TOKEN@…` for replies, `attendance+bounce-TOKEN@…` for
bounces), read from the headers a receiving server records the envelope recipient in; and, when
an authenticator is given (mail/authenticity.py), the proof of who sent it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from casework.mail_trust import UNCHECKED, Proof
from mail.classify import RECIPIENT_HEADERS, classify

# tokens are lower-case base32 (mail/compose.py: 24 characters); allow some room either way
_TOKEN = re.compile(r"\+(bounce-)?([a-z2-7]{16,40})@", re.IGNORECASE)
# The queue id Postfix gave the returned message, in its delivery-status part (RFC 3464 allows
# such X- fields): our relay's own report names the id it answered our sender with.
_QUEUE_ID = re.compile(rb"^X-Postfix-Queue-ID:[ \t]*([0-9A-Za-z]{5,40})[ \t]*\r?$", re.M | re.I)


@dataclass(frozen=True)
class Reading:
    mail_class: str
    reason: str
    message_id: str | None
    from_address: str | None
    subject: str | None
    references: tuple[str, ...]  # In-Reply-To, References, and a report's original Message-ID
    reply_tokens: tuple[str, ...]
    bounce_tokens: tuple[str, ...]
    delayed: bool
    delivered: bool
    proof: Proof = UNCHECKED
    queue_ids: tuple[str, ...] = ()  # a delivery report's queue ids (X-Postfix-Queue-ID)


def read_message(raw: bytes, authenticate: Callable[[bytes], Proof] | None = None) -> Reading:
    c = classify(raw)
    reply: list[str] = []
    bounce: list[str] = []
    values = c.recipients if c.recipients is not None else _recipient_values(raw)
    for value in values:
        for is_bounce, token in _TOKEN.findall(value):
            target = bounce if is_bounce else reply
            if token.lower() not in target:
                target.append(token.lower())
    refs = tuple(
        dict.fromkeys([*c.references, *([c.original_message_id] if c.original_message_id else [])])
    )
    return Reading(
        c.mail_class,
        c.reason,
        c.message_id,
        c.from_address,
        c.subject,
        refs,
        tuple(reply),
        tuple(bounce),
        c.delayed,
        c.delivered,
        authenticate(raw) if authenticate is not None else UNCHECKED,
        _queue_ids(raw) if c.mail_class == "bounce" else (),
    )


def _recipient_values(raw: bytes) -> tuple[str, ...]:
    """The recipient headers read on their own, when classify could not parse the message."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        return tuple(str(v) for name in RECIPIENT_HEADERS for v in headers.get_all(name) or [])
    except Exception:  # a header block too broken to parse still has no tokens to offer
        return ()


def _queue_ids(raw: bytes) -> tuple[str, ...]:
    found = (m.decode("ascii") for m in _QUEUE_ID.findall(raw[:1_000_000]))
    return tuple(dict.fromkeys(found))
