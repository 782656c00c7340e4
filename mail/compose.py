"""The exact bytes of an outgoing letter: what is stored as evidence is what is sent.

One message per parent: multipart/alternative (plain text, HTML), inside multipart/mixed when a
PDF copy of a formal notice is attached. Each message has its own Message-ID, a Reply-To that
carries a token (`attendance+TOKEN@school`) so a reply finds its case, and an envelope sender
that carries the same token (`attendance+bounce-TOKEN@school`, VERP-style) so a bounce names
the message it is about. Lines end in CRLF, as on the wire (policy SMTP), so the stored bytes
and their SHA-256 are those the server received.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid


class ComposeError(ValueError):
    """An address or header value that cannot go into a message as given."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class Outgoing:
    from_name: str
    from_address: str
    to_name: str
    to_address: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Composed:
    raw: bytes
    sha256: str
    message_id: str
    token: str
    reply_to: str
    envelope_from: str
    recipient: str


def new_token() -> str:
    """24 lower-case base32 characters: safe in any mailbox's local part, 120 bits."""
    return base64.b32encode(secrets.token_bytes(15)).decode().lower()


def _one_line(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise ComposeError(f"the {what} contains a line break")
    return value


def _address(name: str, address: str, what: str) -> Address:
    local, at, domain = _one_line(address, what).strip().rpartition("@")
    if not at or not local or not domain:
        raise ComposeError(f"the {what} {address!r} is not an email address")
    return Address(
        display_name=_one_line(name, f"{what} name").strip(), username=local, domain=domain
    )


def tagged(address: str, tag: str) -> str:
    """`attendance@school` with tag T is `attendance+T@school`."""
    local, _, domain = address.rpartition("@")
    return f"{local.split('+', 1)[0]}+{tag}@{domain}"


def compose(out: Outgoing, now: datetime, token: str | None = None) -> Composed:
    token = token or new_token()
    sender = _address(out.from_name, out.from_address, "sender")
    recipient = _address(out.to_name, out.to_address, "recipient")
    reply_to = tagged(sender.addr_spec, token)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Reply-To"] = Address(display_name=sender.display_name, addr_spec=reply_to)
    msg["Subject"] = " ".join(_one_line(out.subject, "subject").split())
    msg["Date"] = format_datetime(now)
    message_id = make_msgid(idstring=token, domain=sender.domain)
    msg["Message-ID"] = message_id
    msg.set_content(out.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(out.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for a in out.attachments:
        msg.add_attachment(
            a.content,
            maintype=a.maintype,
            subtype=a.subtype,
            filename=_one_line(a.filename, "attachment name"),
        )
    raw = msg.as_bytes()
    return Composed(
        raw,
        hashlib.sha256(raw).hexdigest(),
        message_id,
        token,
        reply_to,
        tagged(sender.addr_spec, f"bounce-{token}"),
        recipient.addr_spec,
    )
