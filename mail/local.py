"""The embedded mail server: with no SMTP relay configured, an aiosmtpd server on loopback
takes the school's mail and files it into local Maildirs under the data folder:

- mail for the school's own domain (replies, bounces to the VERP address) → the school's inbox
  Maildir, which the ingester reads (SUPPORTFIRST_INBOX_MAILDIR's default);
- mail for anyone else (parents) → `outbound/<address>/`, so a fresh machine can see exactly
  what each parent would have received.

Each message is filed with the bytes received (CRLF as on the wire) and a Return-Path line,
as a real MTA does; nothing leaves the machine.
"""

from __future__ import annotations

import mailbox
import re
import socket
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

SAFE = re.compile(r"[^A-Za-z0-9@._+-]")


def inbox_folder(data_dir: Path) -> Path:
    return data_dir / "maildir" / "inbox"


def outbound_folder(data_dir: Path, address: str) -> Path:
    """The recipient's address comes from outside: only its safe characters make the folder's
    name, and never a leading dot (`..` must not climb out of outbound/)."""
    name = SAFE.sub("_", address.lower())[:200]
    return data_dir / "maildir" / "outbound" / ("_" + name[1:] if name.startswith(".") else name)


class MaildirDelivery:
    """aiosmtpd handler: files each message into the Maildir its recipient maps to."""

    def __init__(self, data_dir: Path, school_domain: str) -> None:
        self.data_dir = data_dir
        self.school_domain = school_domain.lower()

    def folder(self, recipient: str) -> Path:
        domain = recipient.rpartition("@")[2].lower()
        if domain == self.school_domain:
            return inbox_folder(self.data_dir)
        return outbound_folder(self.data_dir, recipient)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        stamped = f"Return-Path: <{envelope.mail_from}>\r\n".encode() + content
        for recipient in envelope.rcpt_tos:
            folder = self.folder(recipient)
            folder.parent.mkdir(parents=True, exist_ok=True)
            box = mailbox.Maildir(folder, create=True)
            box.add(stamped)  # the bytes as received (a Message object would be re-generated)
        return "250 2.0.0 Ok: delivered to the local Maildir"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalMailServer:
    """Runs aiosmtpd on 127.0.0.1 in its own thread (port 0 picks a free port)."""

    def __init__(self, data_dir: Path, school_domain: str, port: int = 0) -> None:
        self.handler = MaildirDelivery(data_dir, school_domain)
        self.port = port or free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> LocalMailServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
