"""The real Postfix and Dovecot fixtures: delivery, Postfix's own bounces, IMAP across a restart."""

from __future__ import annotations

import email
import uuid
from email.message import Message
from email.policy import default

import aiosmtplib
from imap_tools import MailBoxUnencrypted

from tests.mailservers import MailServers, unique_address

ATTENDANCE = "attendance@school.test"
# What Postfix's virtual(8) and Dovecot put in front of a message on its way; nothing else.
TRANSIT_HEADERS = {"Return-Path", "Delivered-To", "Received"}


def letter(sender: str, to: str, subject: str, message_id: str) -> bytes:
    return (
        f"From: Riverside Primary <{sender}>\r\n"
        f"To: {to}\r\n"
        f"Subject: {subject}\r\n"
        f"Date: Mon, 10 Mar 2025 09:30:00 +0000\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Dear parent,\r\n"
        "\r\n"
        ".A line that starts with a dot survives SMTP transparency.\r\n"
        "Sam\u2019s attendance is 88.5% \u2014 please get in touch.\r\n"
    ).encode()


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@school.test>"


async def send(servers: MailServers, envelope_from: str, rcpt: str, raw: bytes) -> None:
    smtp = aiosmtplib.SMTP(hostname=servers.smtp_host, port=servers.smtp_port, start_tls=False)
    async with smtp:
        await smtp.sendmail(envelope_from, [rcpt], raw)


def imap_raw(servers: MailServers, address: str, message_id: str) -> list[bytes]:
    """The exact bytes Dovecot serves for the INBOX messages with that Message-ID."""
    mailbox = MailBoxUnencrypted(servers.imap_host, servers.imap_port)
    with mailbox.login(address, servers.password):
        found = []
        for uid in mailbox.uids(f'HEADER Message-ID "{message_id}"'):
            typ, data = mailbox.client.uid("fetch", uid, "(BODY.PEEK[])")
            assert typ == "OK"
            found.append(data[0][1])
        return found


def transit_headers(prefix: bytes) -> list[str]:
    """The names of the header fields in `prefix`, which must be whole CRLF header lines."""
    assert prefix.endswith(b"\r\n")
    lines = prefix[:-2].split(b"\r\n")
    return [line.split(b":", 1)[0].decode() for line in lines if not line[:1].isspace()]


async def test_a_letter_reaches_the_parent_maildir_and_imap_serves_it_with_only_trace_headers_added(
    mail_servers: MailServers,
) -> None:
    parent = unique_address("parent")
    sender = "attendance+bounce-a1b2c3@school.test"
    message_id = new_message_id()
    raw = letter(ATTENDANCE, parent, "Sam's attendance", message_id)

    await send(mail_servers, sender, parent, raw)

    [on_disk] = await mail_servers.wait_for(parent, 1)
    assert on_disk.endswith(raw.replace(b"\r\n", b"\n"))  # Maildir files have LF line endings
    [served] = imap_raw(mail_servers, parent, message_id)
    assert served == on_disk.replace(b"\n", b"\r\n")
    assert served.endswith(raw)
    added = transit_headers(served[: -len(raw)])
    assert added[:2] == ["Return-Path", "Delivered-To"] and set(added) == TRANSIT_HEADERS
    assert served.startswith(f"Return-Path: <{sender}>\r\nDelivered-To: {parent}\r\n".encode())


def delivery_status(bounce: Message) -> list[Message]:
    [status] = [p for p in bounce.walk() if p.get_content_type() == "message/delivery-status"]
    blocks = status.get_payload()
    assert isinstance(blocks, list)
    return [b for b in blocks if isinstance(b, Message)]


async def test_mail_to_an_unknown_parent_comes_back_as_a_postfix_bounce_to_the_verp_sender(
    mail_servers: MailServers,
) -> None:
    unknown = unique_address("unknown")
    token = uuid.uuid4().hex[:10]
    sender = f"attendance+bounce-{token}@school.test"

    await send(mail_servers, sender, unknown, letter(ATTENDANCE, unknown, "Hi", new_message_id()))

    [raw] = await mail_servers.wait_for(ATTENDANCE, 1, containing=unknown.encode())
    bounce = email.message_from_bytes(raw, policy=default)
    assert bounce["Return-Path"] == "<>"
    assert bounce["Delivered-To"] == sender
    assert bounce.get_content_type() == "multipart/report"
    assert bounce.get_param("report-type") == "delivery-status"
    [recipient] = delivery_status(bounce)[1:]
    assert recipient["Final-Recipient"] == f"rfc822; {unknown}"
    assert recipient["Action"] == "failed"
    assert recipient["Status"].startswith("5.")
    assert not mail_servers.maildir(unknown).exists()


async def test_a_parent_reply_to_the_token_address_is_in_the_attendance_inbox_after_a_restart(
    mail_servers: MailServers,
) -> None:
    parent = unique_address("parent")
    token = uuid.uuid4().hex[:10]
    message_id = new_message_id()
    reply = letter(parent, f"attendance+{token}@school.test", f"Re: {token}", message_id)

    await send(mail_servers, parent, f"attendance+{token}@school.test", reply)

    await mail_servers.wait_for(ATTENDANCE, 1, containing=message_id.encode())
    [before] = imap_raw(mail_servers, ATTENDANCE, message_id)
    assert before.endswith(reply)
    mail_servers.restart_dovecot()
    assert imap_raw(mail_servers, ATTENDANCE, message_id) == [before]
