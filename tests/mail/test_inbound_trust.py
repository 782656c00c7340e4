"""Inbound mail is believed only as far as it is proven (issue 13 point 1), end to end: a Notice
to Improve emailed through real Postfix, then forged bounces, spoofed and genuine replies
delivered into the school's real Dovecot mailbox, with Authentication-Results as the school's
trusted MX writes them (and forged ones below), DKIM signatures made with a real key and
verified against the key a DNS stand-in serves; read over IMAP and through the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import aiosmtplib
import dkim
import pytest

from casework.caselog import chronology
from casework.consent import record_consent
from casework.evidence import evidence_for
from casework.records import EmailRecord
from store.outbox import SqlOutbox
from supportfirst.bootstrap import App, bootstrap
from supportfirst.settings import Settings
from tests import builders as b
from tests.cases import one_family
from tests.dnsserver import DnsStandIn, dkim_key
from tests.mail.test_roundtrip import ingest
from tests.mail.test_sending import issue_a_notice
from tests.mailservers import MailServers, unique_address

TRUSTED = "mx.school.test"
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()


@pytest.fixture(scope="module")
def parents_key() -> tuple[bytes, str]:
    return dkim_key()


@pytest.fixture
def zone(dns_zone: DnsStandIn, parents_key: tuple[bytes, str]) -> DnsStandIn:
    """parents.test signs its mail (DKIM key sel1) and publishes p=reject; its servers are not
    on loopback, so mail from here is not SPF-authorised."""
    dns_zone.txt("sel1._domainkey.parents.test", parents_key[1])
    dns_zone.txt("parents.test", "v=spf1 ip4:192.0.2.0/24 -all")
    dns_zone.txt("_dmarc.parents.test", "v=DMARC1; p=reject")
    return dns_zone


@pytest.fixture
async def school(
    db_url: str,
    tmp_path: Path,
    mail_servers: MailServers,
    test_domains_are_valid: None,
    zone: DnsStandIn,
) -> AsyncIterator[App]:
    office = unique_address("attendance", "school.test")
    settings = Settings(
        data_dir=tmp_path / "data",
        SUPPORTFIRST_FROM=office,
        smtp_url=f"smtp://{mail_servers.smtp_host}:{mail_servers.smtp_port}",
        imap_url=f"imap://{office}:{mail_servers.password}@{mail_servers.imap_host}:"
        f"{mail_servers.imap_port}/INBOX",
        trusted_authserv_id=f"{TRUSTED}, mx2.school.test",
        dns_server=zone.address,
    )
    application = bootstrap(settings, db_url, migrate=False, clock=Clock())
    await one_family(application, NOW)
    yield application
    await application.close()


async def notice_emailed(app: App, parent: str) -> EmailRecord:
    """A Notice to Improve emailed to P1 through Postfix (P2 gets it by post)."""
    from mail.sender import SmtpServer
    from supportfirst.sending import Sender

    await record_consent(
        app.uow(), app.evidence(), "P1", parent, "form", date(2025, 3, 3), "o", NOW, FORM
    )
    await issue_a_notice(app)
    sender = Sender(app, SmtpServer.from_url(str(app.settings.smtp_url)))
    try:
        assert (await sender.drain()).sent == 1
    finally:
        await sender.close()
    async with app.uow() as uow:
        [email] = await uow.mail.emails_for(b.UPN_1)
    return email


def stamped(results: str, authserv: str = TRUSTED) -> str:
    """An Authentication-Results header as the school's MX writes it, above the message."""
    return f"Authentication-Results: {authserv};\r\n\t{results}\r\n"


async def deliver(servers: MailServers, to: str, raw: bytes, mail_from: str = "") -> None:
    async with aiosmtplib.SMTP(hostname=servers.smtp_host, port=servers.smtp_port) as smtp:
        await smtp.sendmail(mail_from, [to], raw)


def report(
    email: EmailRecord,
    parent: str,
    action: str = "failed",
    sender: str = "MAILER-DAEMON@evil.test",
    queue_id: str | None = None,
) -> bytes:
    """A delivery status notification (RFC 3464) about our email."""
    status = "5.1.1" if action == "failed" else "2.0.0"
    queue = f"X-Postfix-Queue-ID: {queue_id}\r\n" if queue_id else ""
    return (
        f"From: Mail Delivery System <{sender}>\r\n"
        f"To: {email.envelope_from}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <dsn-{os.urandom(6).hex()}@{sender.rpartition('@')[2]}>\r\n"
        "Date: Fri, 07 Mar 2025 12:05:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {sender.rpartition('@')[2]}\r\n{queue}\r\n"
        f"Final-Recipient: rfc822; {parent}\r\nAction: {action}\r\nStatus: {status}\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {email.message_id}\r\nTo: {parent}\r\n"
        "--B--\r\n"
    ).encode()


def reply_to(email_raw: bytes, parent: str, n: int = 0) -> bytes:
    sent = message_from_bytes(email_raw, policy=default)
    return (
        f"From: Alex Taylor <{parent}>\r\nTo: {sent['Reply-To']}\r\n"
        f"Subject: Re: {sent['Subject']}\r\nIn-Reply-To: {sent['Message-ID']}\r\n"
        f"Message-ID: <reply-{n}-{os.urandom(4).hex()}@parents.test>\r\n"
        "Date: Fri, 07 Mar 2025 13:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nWe will be in on Monday.\r\n"
    ).encode()


async def reply_address(app: App, email: EmailRecord) -> tuple[str, bytes]:
    item = await evidence_for(app.uow(), app.evidence(), email.message_id)
    assert item.raw is not None
    sent = message_from_bytes(item.raw, policy=default)
    return str(sent["Reply-To"].addresses[0].addr_spec), item.raw


async def state(app: App) -> tuple[str, list[str], list[str], list[str]]:
    async with app.uow() as uow:
        [email] = await uow.mail.emails_for(b.UPN_1)
        [notice] = await uow.cases.notices(b.UPN_1)
        deliveries = [d.state for d in await uow.cases.deliveries(notice.id)]
        alerts = [e.kind for e in await SqlOutbox(uow.session).pending()]
    kinds = [e.kind for e in (await chronology(app.uow(), b.UPN_1)).entries]
    return email.state, deliveries, kinds, alerts


async def test_a_forged_bounce_and_a_forged_delivery_report_change_no_notice(
    school: App, mail_servers: MailServers
) -> None:
    parent = unique_address("alex")
    email = await notice_emailed(school, parent)
    before = await state(school)
    assert before[0] == "sent" and before[1][0] == "sent" and "NtiIssued" in before[3]
    no_auth = stamped("dkim=none; spf=none smtp.helo=evil.test; dmarc=none")
    await deliver(mail_servers, email.envelope_from, no_auth.encode() + report(email, parent))
    await deliver(
        mail_servers, email.envelope_from, no_auth.encode() + report(email, parent, "delivered")
    )
    await mail_servers.wait_for(email.envelope_from, 2)
    await ingest(school)

    email_state, deliveries, kinds, alerts = await state(school)
    assert email_state == "sent" and deliveries == before[1]  # still served
    assert kinds.count("bounce_unverified") == 2
    assert "notice_not_served" not in kinds and "delivery_confirmed" not in kinds
    assert "NoticeNotServed" not in alerts
    assert alerts.count("BounceUnverified") == 1  # one alert per case per hour
    async with school.uow() as uow:
        inbound = await uow.mail.inbound()
    assert [(m.upn, m.quarantined, m.sender_verified) for m in inbound] == [
        (b.UPN_1, False, False),
        (b.UPN_1, False, False),
    ]


async def test_a_bounce_proven_from_the_parents_provider_means_not_served(
    school: App, mail_servers: MailServers, parents_key: tuple[bytes, str]
) -> None:
    parent = unique_address("alex")
    email = await notice_emailed(school, parent)
    dsn = report(email, parent, sender="MAILER-DAEMON@parents.test")
    signed = dkim.sign(dsn, b"sel1", b"parents.test", parents_key[0], include_headers=[b"from"])
    # the trusted MX checked the signature; a forged "fail" below its Received is not read
    forged = stamped("dkim=fail header.d=parents.test; dmarc=fail")
    top = stamped("dkim=pass header.d=parents.test; dmarc=pass header.from=parents.test")
    await deliver(mail_servers, email.envelope_from, (top + forged).encode() + signed + dsn)
    await mail_servers.wait_for(email.envelope_from, 1)
    await ingest(school)
    email_state, deliveries, kinds, alerts = await state(school)
    assert email_state == "failed" and deliveries[0] == "failed"
    assert "notice_not_served" in kinds and "bounce_unverified" not in kinds
    assert "NoticeNotServed" in alerts and "BounceUnverified" not in alerts


async def test_a_report_naming_our_relays_queue_id_is_believed_unsigned(
    school: App, mail_servers: MailServers
) -> None:
    parent = unique_address("alex")
    email = await notice_emailed(school, parent)
    assert email.queue_id  # Postfix said "queued as …" and the sender kept it
    dsn = report(email, parent, sender=f"MAILER-DAEMON@{TRUSTED}", queue_id=email.queue_id)
    await deliver(mail_servers, email.envelope_from, dsn)  # no results at all: checked here
    await mail_servers.wait_for(email.envelope_from, 1)
    await ingest(school)
    email_state, _, kinds, _ = await state(school)
    assert email_state == "failed" and "notice_not_served" in kinds


async def test_a_spoofed_reply_is_quarantined_and_a_signed_one_is_verified(
    school: App, mail_servers: MailServers, parents_key: tuple[bytes, str]
) -> None:
    parent = unique_address("alex")
    email = await notice_emailed(school, parent)
    to, original = await reply_address(school, email)
    spoof = reply_to(original, parent, 1)
    forged = stamped("dmarc=pass header.from=parents.test")  # the spoofer's own, underneath
    failed = stamped("spf=fail smtp.mailfrom=parents.test; dmarc=fail header.from=parents.test")
    await deliver(mail_servers, to, failed.encode() + forged.encode() + spoof, parent)
    genuine = reply_to(original, parent, 2)
    signature = dkim.sign(
        genuine, b"sel1", b"parents.test", parents_key[0], include_headers=[b"from", b"subject"]
    )
    await deliver(mail_servers, to, signature + genuine, parent)  # no trusted header: checked here
    await mail_servers.wait_for(to, 2)
    await ingest(school)

    async with school.uow() as uow:
        inbound = await uow.mail.inbound()
    # Postfix may deliver them in either order: tell them apart by what they say
    [first] = [m for m in inbound if m.message_id and m.message_id.startswith("<reply-1-")]
    [second] = [m for m in inbound if m.message_id and m.message_id.startswith("<reply-2-")]
    assert (first.quarantined, first.quarantine, first.upn) == (True, "unauthenticated", None)
    assert first.reason is not None and first.reason.startswith("unauthenticated:")
    assert first.authentication is not None and f"checked by {TRUSTED}" in first.authentication
    assert (second.quarantined, second.sender_verified, second.upn) == (False, True, b.UPN_1)
    assert second.authentication is not None and "checked by supportfirst" in second.authentication
    _, _, kinds, alerts = await state(school)
    assert kinds.count("parent_replied") == 1 and alerts.count("ParentReplied") == 1


async def test_an_unproven_reply_is_filed_marked_not_verified(
    school: App, mail_servers: MailServers, zone: DnsStandIn
) -> None:
    zone.clear("_dmarc.parents.test")  # no policy: nothing to judge the sender by
    zone.clear("parents.test")
    parent = unique_address("alex")
    email = await notice_emailed(school, parent)
    to, original = await reply_address(school, email)
    await deliver(mail_servers, to, reply_to(original, parent), parent)
    await mail_servers.wait_for(to, 1)
    await ingest(school)
    log = await chronology(school.uow(), b.UPN_1)
    [entry] = [e for e in log.entries if e.kind == "parent_replied"]
    assert entry.details["sender_verified"] is False
    assert "sender not verified" in entry.summary
    async with school.uow() as uow:
        [event] = [e for e in await uow.outbox.undelivered(1000) if e.kind == "ParentReplied"]
    assert event.payload["sender_verified"] is False


async def test_a_flood_is_held_back_and_the_next_alert_counts_what_was_held(
    school: App, mail_servers: MailServers, zone: DnsStandIn
) -> None:
    zone.clear("_dmarc.parents.test")
    zone.clear("parents.test")
    parent = unique_address("alex")
    email = await notice_emailed(school, parent)
    to, original = await reply_address(school, email)
    floods = 26
    await asyncio.gather(
        *(deliver(mail_servers, to, reply_to(original, parent, n), parent) for n in range(floods))
    )
    await mail_servers.wait_for(to, floods)
    await ingest(school)
    async with school.uow() as uow:
        inbound = await uow.mail.inbound()
    held = [m for m in inbound if m.quarantine == "rate_limited"]
    assert len(inbound) == floods and len(held) == floods - 20  # 20 an hour from one sender
    _, _, kinds, alerts = await state(school)
    assert kinds.count("parent_replied") == 20 and alerts.count("ParentReplied") == 1

    school.clock.at = NOW + timedelta(hours=1, minutes=1)  # type: ignore[attr-defined]
    await deliver(mail_servers, to, reply_to(original, parent, 99), parent)
    await mail_servers.wait_for(to, floods + 1)
    await ingest(school)
    async with school.uow() as uow:
        replied = [e for e in await uow.outbox.undelivered(1000) if e.kind == "ParentReplied"]
    assert len(replied) == 2 and replied[-1].payload["held_back"] == 19


async def test_mail_inbox_json_shows_who_was_verified(
    school: App, mail_servers: MailServers, db_url: str, zone: DnsStandIn
) -> None:
    parent = unique_address("alex")
    email = await notice_emailed(school, parent)
    to, original = await reply_address(school, email)
    failed = stamped("dmarc=fail header.from=parents.test")
    await deliver(mail_servers, to, failed.encode() + reply_to(original, parent), parent)
    await deliver(mail_servers, email.envelope_from, report(email, parent))
    await mail_servers.wait_for(to, 1)
    await mail_servers.wait_for(email.envelope_from, 1)
    env = {
        **os.environ,
        "SUPPORTFIRST_DATA_DIR": str(school.settings.data_dir),
        "SUPPORTFIRST_DATABASE_URL": db_url,
        "SUPPORTFIRST_IMAP_URL": str(school.settings.imap_url),
        "SUPPORTFIRST_TRUSTED_AUTHSERV_ID": TRUSTED,
        "SUPPORTFIRST_DNS_SERVER": zone.address,
    }
    for args in (("mail", "ingest", "--once"), ("mail", "inbox", "--json")):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "supportfirst",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
    messages = {m["class"]: m for m in json.loads(out)["messages"]}
    reply, bounce = messages["reply"], messages["bounce"]
    assert (reply["quarantined"], reply["quarantine"], reply["sender_verified"]) == (
        True,
        "unauthenticated",
        False,
    )
    assert (bounce["upn"], bounce["quarantined"], bounce["sender_verified"]) == (
        b.UPN_1,
        False,
        False,
    )
    assert "dmarc=fail" in reply["authentication"]
