"""The whole mail round trip through real Postfix and Dovecot: a letter to a consenting parent,
the parent's reply, an out-of-office and Postfix's own bounce, read back over IMAP."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.policy import default

import aiosmtplib
from imap_tools import MailBoxUnencrypted

from casework.caselog import chronology
from casework.consent import record_consent
from casework.evidence import evidence_for
from casework.sending import send_letter
from mail.inbox import ImapAccount, ImapInbox
from mail.sender import SmtpServer
from store.outbox import SqlOutbox
from supportfirst.bootstrap import App
from supportfirst.ingesting import ingest_once
from supportfirst.sending import Sender
from tests import builders as b
from tests.cases import HEAD
from tests.mailservers import MailServers, unique_address

FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
ON = date(2025, 3, 10)
TRANSIT = (b"Return-Path:", b"Delivered-To:", b"Received:")  # what Postfix/Dovecot prepend


async def email_parent(app: App, address: str) -> str:
    await record_consent(app.uow(), app.evidence(), "P1", address, "form", ON, "officer", NOW, FORM)
    sent = await send_letter(app.uow(), app.mailroom(), "initial_concern", b.UPN_1, HEAD, ON, NOW)
    sender = Sender(app, SmtpServer.from_url(str(app.settings.smtp_url)))
    try:
        totals = await sender.drain()
    finally:
        await sender.close()
    assert totals.sent == 1
    return str(sent.parents[0].message_id)


def imap_raw(servers: MailServers, address: str) -> list[bytes]:
    box = MailBoxUnencrypted(servers.imap_host, servers.imap_port)
    with box.login(address, servers.password):
        typ, data = box.client.uid("fetch", "1:*", "(BODY.PEEK[])")
        return [item[1] for item in data if isinstance(item, tuple)]


def without_transit_headers(raw: bytes) -> bytes:
    lines = raw.split(b"\r\n")
    while lines and (lines[0].startswith(TRANSIT) or lines[0][:1] in (b" ", b"\t")):
        lines.pop(0)
    return b"\r\n".join(lines)


async def reply(servers: MailServers, parent: str, original: bytes, extra: str = "") -> None:
    sent = message_from_bytes(original, policy=default)
    ours = hashlib.sha1(parent.encode() + extra.encode()).hexdigest()
    raw = (
        f"From: Alex Taylor <{parent}>\r\nTo: {sent['Reply-To']}\r\n"
        f"Subject: Re: {sent['Subject']}\r\nIn-Reply-To: {sent['Message-ID']}\r\n"
        f"Message-ID: <{ours}@parents.test>\r\n"
        f"Date: Tue, 11 Mar 2025 08:00:00 +0000\r\n{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nThank you, we can meet on Thursday.\r\n"
    ).encode()
    async with aiosmtplib.SMTP(hostname=servers.smtp_host, port=servers.smtp_port) as smtp:
        await smtp.sendmail(parent, [str(sent["Reply-To"].addresses[0].addr_spec)], raw)


async def ingest(app: App) -> None:
    inbox = ImapInbox(ImapAccount.from_url(str(app.settings.imap_url)))
    try:
        await ingest_once(app, inbox)
    finally:
        inbox.close()


async def kinds(app: App) -> list[str]:
    return [e.kind for e in (await chronology(app.uow(), b.UPN_1)).entries]


async def test_dovecot_delivers_the_stored_bytes_to_the_parent(
    school: App, mail_servers: MailServers
) -> None:
    parent = unique_address("alex")
    message_id = await email_parent(school, parent)
    await mail_servers.wait_for(parent, 1)
    [delivered] = imap_raw(mail_servers, parent)
    item = await evidence_for(school.uow(), school.evidence(), message_id)
    body = without_transit_headers(delivered)
    assert hashlib.sha256(body).hexdigest() == item.sha256 and body == item.raw
    assert item.sent is not None and item.sent.queue_id  # Postfix's queue id is kept


async def test_a_reply_and_an_out_of_office_are_filed_to_the_case(
    school: App, mail_servers: MailServers
) -> None:
    parent = unique_address("alex")
    message_id = await email_parent(school, parent)
    item = await evidence_for(school.uow(), school.evidence(), message_id)
    assert item.raw is not None
    await reply(mail_servers, parent, item.raw)
    await reply(mail_servers, parent, item.raw, "Auto-Submitted: auto-replied\r\n")
    await mail_servers.wait_for(school.settings.from_address, 2)
    await ingest(school)
    await ingest(school)  # nothing new: nothing doubled
    # Postfix delivers the two in parallel: either may be first
    assert sorted((await kinds(school))[-2:]) == ["auto_reply", "parent_replied"]
    async with school.uow() as uow:
        alerts = [e.kind for e in await SqlOutbox(uow.session).pending()]
        inbound = await uow.mail.inbound()
    assert alerts == ["ParentReplied"]
    assert sorted((m.mail_class, m.upn) for m in inbound) == [
        ("auto_reply", b.UPN_1),
        ("reply", b.UPN_1),
    ]


async def test_postfixs_own_bounce_is_attributed_to_the_letter(
    school: App, mail_servers: MailServers
) -> None:
    await email_parent(school, unique_address("unknown-parent"))
    await mail_servers.wait_for(school.settings.from_address, 1)
    await ingest(school)
    async with school.uow() as uow:
        [email] = await uow.mail.emails_for(b.UPN_1)
        [bounce] = await uow.mail.inbound()
        alerts = [e.kind for e in await SqlOutbox(uow.session).pending()]
    assert bounce.mail_class == "bounce" and bounce.upn == b.UPN_1
    assert email.state == "failed" and "bounced" in (email.failure or "")
    assert alerts == ["EmailFailed"] and (await kinds(school))[-1] == "email_failed"


async def test_a_dovecot_restart_and_a_new_uidvalidity_lose_and_double_nothing(
    school: App, mail_servers: MailServers
) -> None:
    parent = unique_address("alex")
    message_id = await email_parent(school, parent)
    item = await evidence_for(school.uow(), school.evidence(), message_id)
    assert item.raw is not None
    await reply(mail_servers, parent, item.raw, "X-N: 1\r\n")
    await mail_servers.wait_for(school.settings.from_address, 1)
    await ingest(school)
    mail_servers.restart_dovecot()
    await reply(mail_servers, parent, item.raw, "X-N: 2\r\n")
    await mail_servers.wait_for(school.settings.from_address, 2)
    await ingest(school)
    async with school.uow() as uow:  # as if the folder were rebuilt with a new UIDVALIDITY
        name = ImapInbox(ImapAccount.from_url(str(school.settings.imap_url))).name
        validity, last = await uow.mail.mailbox_state(name) or (0, 0)
        await uow.mail.save_mailbox_state(name, validity + 1, last, NOW)
        await uow.commit()
    await ingest(school)
    async with school.uow() as uow:
        assert len(await uow.mail.inbound()) == 2
    assert (await kinds(school)).count("parent_replied") == 2


async def test_a_requested_delivery_report_confirms_delivery_and_fails_nothing(
    school: App, mail_servers: MailServers
) -> None:
    school.settings.smtp_dsn = True
    await email_parent(school, unique_address("alex"))
    await mail_servers.wait_for(school.settings.from_address, 1)
    await ingest(school)
    async with school.uow() as uow:
        [email] = await uow.mail.emails_for(b.UPN_1)
        [report] = await uow.mail.inbound()
    assert email.state == "sent" and report.upn == b.UPN_1 and not report.quarantined
    assert (await kinds(school))[-1] == "delivery_confirmed"


async def test_a_copy_of_each_email_sent_is_kept_in_the_sent_folder(school: App) -> None:
    school.settings.imap_sent_folder = "Sent"
    message_id = await email_parent(school, unique_address("alex"))
    account = ImapAccount.from_url(str(school.settings.imap_url))
    with MailBoxUnencrypted(account.host, account.port).login(
        account.user, account.password, initial_folder="Sent"
    ) as box:
        typ, data = box.client.uid("fetch", "1:*", "(BODY.PEEK[])")
    [copy] = [item[1] for item in data if isinstance(item, tuple)]
    item = await evidence_for(school.uow(), school.evidence(), message_id)
    assert copy == item.raw
