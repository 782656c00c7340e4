"""The ingest benchmark: supportfirst's `ingest_once` reading a real Dovecot over IMAP beside a bare
imap-tools fetch (and a raw `UID FETCH 1:* BODY.PEEK[]`) of the same messages.

    python bench/ingest.py [--messages N] [--db URL] [--profile] [--runs 3] [--workers 0,2]
        [--cold-pool] [--deliver maildir|smtp]

Postfix and Dovecot run on loopback (tests/mailservers.py). The school sends real letters first
(to the aiosmtpd sink of bench/send.py), then N messages arrive for it: replies with In-Reply-To
to those letters, out-of-office replies, a few Postfix-style bounces and a few mails from unknown
senders. Each supportfirst run starts from a copy of the database with the letters sent and
nothing read. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import html
import multiprocessing
import os
import pwd
import random
import re
import shutil
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosmtplib  # noqa: E402
import imap_tools  # noqa: E402
from imap_tools import MailBoxUnencrypted  # noqa: E402
from sqlalchemy import text  # noqa: E402

import casework.inbound  # noqa: E402
import mail.reading  # noqa: E402
import mail.reading_pool  # noqa: E402
import supportfirst.ingesting  # noqa: E402
from bench.send import (  # noqa: E402
    NOW,
    Databases,
    Quiet,
    Timers,
    build_school,
    machine,
    now_s,
    profiled,
    queue_letters,
    rate,
    say,
    smtp_sink,
    timed_steps,
    top_cumulative,
    work_folder,
)
from casework.inbound_case import CaseFiling  # noqa: E402
from mail.authenticity import Authenticator, Resolver  # noqa: E402
from mail.boundaries import standard_parser  # noqa: E402
from mail.inbox import ImapAccount, ImapInbox  # noqa: E402
from mail.reading_pool import ReadingPool  # noqa: E402
from mail.sender import SmtpServer  # noqa: E402
from store.evidence import EvidenceStore  # noqa: E402
from store.mail_inbound import SqlInbound  # noqa: E402
from supportfirst.bootstrap import App, bootstrap  # noqa: E402
from supportfirst.ingesting import ingest_once, reading_pool  # noqa: E402
from supportfirst.sending import Sender  # noqa: E402
from supportfirst.settings import Settings  # noqa: E402
from tests.mailservers import MAIL_USER, MailServers, running_mail_servers  # noqa: E402

SCHOOL = "attendance@school.test"  # the school's address: its IMAP user and its From
TRACE_HOST = "mail.school.test"
# The mix, as shares of N: the rest are human replies.
AUTO_SHARE, BOUNCE_SHARE, UNKNOWN_SHARE = 0.20, 0.03, 0.03


# ---------------------------------------------------------------------------------------------
# The letters the school sent, and the mail that comes back.


@dataclass(frozen=True)
class SentLetter:
    message_id: str
    token: str
    recipient: str
    envelope_from: str
    raw: bytes


@dataclass(frozen=True)
class Incoming:
    kind: str  # reply | auto_reply | bounce | unknown
    mail_from: str  # envelope sender ("" for a bounce)
    rcpt: str  # envelope recipient: what Delivered-To will say
    body: bytes  # the message as the sender's server hands it over (LF line endings)


async def sent_letters(app: App) -> list[SentLetter]:
    async with app.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT message_id, token, recipient, envelope_from, sha256, state "
                    "FROM outgoing_mail ORDER BY id"
                )
            )
        ).all()
    if any(r[5] != "sent" for r in rows):
        raise RuntimeError("every letter should have been sent before the replies are made")
    evidence = app.evidence()
    return [SentLetter(r[0], r[1], r[2], r[3], evidence.get(r[4])) for r in rows]


def _parts(raw: bytes) -> tuple[EmailMessage, str, str]:
    msg = message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    plain = msg.get_body(("plain",))
    rich = msg.get_body(("html",))
    text_body = plain.get_content() if plain is not None else ""
    html_body = rich.get_content() if rich is not None else ""
    inner = re.search(r"<body[^>]*>(.*)</body>", html_body, re.S | re.I)
    return msg, text_body, inner.group(1) if inner else html_body


def _as_lf(msg: EmailMessage) -> bytes:
    # Headers unfolded up to 998 characters: at 78, Python's email package RFC 2047-encodes a
    # long In-Reply-To (a msg-id cannot be folded), which no mail client does.
    return msg.as_bytes(policy=default.clone(linesep="\n", max_line_length=998))


def reply(letter: SentLetter, i: int, parent_name: str) -> Incoming:
    """A parent's reply from a webmail client: plain and HTML, quoting the letter."""
    original, text_body, html_body = _parts(letter.raw)
    sent = format_datetime(NOW)
    msg = EmailMessage(policy=default)
    msg["From"] = Address(parent_name, addr_spec=letter.recipient)
    msg["To"] = str(original["Reply-To"])
    msg["Subject"] = f"Re: {original['Subject']}"
    msg["Date"] = format_datetime(NOW + timedelta(hours=20, seconds=i))
    msg["Message-ID"] = make_msgid(idstring=f"r{i}", domain="mail.example.org")
    msg["In-Reply-To"] = letter.message_id
    msg["References"] = letter.message_id
    answer = (
        "Dear Ms Patel,\n\nThank you for your letter. We can come in on Thursday morning "
        "after drop-off; if that does not suit, any afternoon next week is fine. Sam has had "
        "a difficult few weeks and we would welcome the chance to talk it through.\n\n"
        f"Kind regards,\n{parent_name}\n"
    )
    quoted = "\n".join(f"> {line}" if line else ">" for line in text_body.splitlines())
    msg.set_content(f"{answer}\nOn {sent}, {original['From']} wrote:\n{quoted}\n")
    msg.add_alternative(
        f'<div dir="ltr">{html.escape(answer).replace(chr(10), "<br>")}</div><br>'
        f'<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On {html.escape(sent)}, '
        f"{html.escape(str(original['From']))} wrote:<br></div>"
        f'<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;'
        f'padding-left:1ex">{html_body}</blockquote></div>',
        subtype="html",
    )
    return Incoming("reply", letter.recipient, _reply_to(original), _as_lf(msg))


def _reply_to(original: EmailMessage) -> str:
    return str(original["Reply-To"].addresses[0].addr_spec)


def auto_reply(letter: SentLetter, i: int, parent_name: str) -> Incoming:
    original, _, _ = _parts(letter.raw)
    msg = EmailMessage(policy=default)
    msg["From"] = Address(parent_name, addr_spec=letter.recipient)
    msg["To"] = str(original["Reply-To"])
    msg["Subject"] = f"Automatic reply: {original['Subject']}"
    msg["Date"] = format_datetime(NOW + timedelta(minutes=1, seconds=i))
    msg["Message-ID"] = make_msgid(idstring=f"a{i}", domain="mail.example.org")
    msg["In-Reply-To"] = letter.message_id
    msg["References"] = letter.message_id
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    away = (
        "Thank you for your email. I am away from the office until Monday 17 March with "
        "limited access to email. For anything urgent about the children please call "
        "01632 960123 and leave a message.\n"
    )
    msg.set_content(away)
    msg.add_alternative(f"<html><body><p>{html.escape(away)}</p></body></html>", subtype="html")
    return Incoming("auto_reply", letter.recipient, _reply_to(original), _as_lf(msg))


def bounce(letter: SentLetter, i: int) -> Incoming:
    """A Postfix DSN (multipart/report) from the parent's provider, the letter attached whole."""
    boundary = f"{i:08X}.1741600000/mail.example.org"
    original = letter.raw.replace(b"\r\n", b"\n")
    when = format_datetime(NOW + timedelta(minutes=2, seconds=i))
    head = f"""From: MAILER-DAEMON@mail.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {letter.envelope_from}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{boundary}"
Content-Transfer-Encoding: 8bit
Message-Id: <20250310090{i:05d}.4F1B2{i:05d}@mail.example.org>
Date: {when}

This is a MIME-encapsulated message.

--{boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<{letter.recipient}>: host mx.example.org[192.0.2.25] said: 550 5.1.1
    <{letter.recipient}>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--{boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.org
X-Postfix-Queue-ID: 4F1B2{i:05d}
X-Postfix-Sender: rfc822; {letter.envelope_from}
Arrival-Date: {format_datetime(NOW)}

Final-Recipient: rfc822; {letter.recipient}
Original-Recipient: rfc822;{letter.recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <{letter.recipient}>: Recipient address rejected:
    User unknown in virtual mailbox table

--{boundary}
Content-Description: Undelivered Message
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

"""
    body = head.encode() + original.rstrip(b"\n") + f"\n\n--{boundary}--\n".encode()
    return Incoming("bounce", "", letter.envelope_from, body)


def unknown(i: int) -> Incoming:
    """Someone the school never wrote to (no token, no In-Reply-To): quarantined."""
    sender = f"jordan.smith{i}@elsewhere.example.net"
    msg = EmailMessage(policy=default)
    msg["From"] = Address("Jordan Smith", addr_spec=sender)
    msg["To"] = Address("Riverside Primary School", addr_spec=SCHOOL)
    msg["Subject"] = "Question about the Year 5 residential trip"
    msg["Date"] = format_datetime(NOW + timedelta(hours=3, seconds=i))
    msg["Message-ID"] = make_msgid(idstring=f"u{i}", domain="elsewhere.example.net")
    para = (
        "Could you tell me whether the deposit for the Year 5 residential trip can be paid in "
        "instalments, and whether there is help available for families on a low income? We "
        "would also like to know what the children need to bring and when the kit list goes "
        "out. "
    )
    msg.set_content(f"Hello,\n\n{para * 4}\n\nMany thanks,\nJordan Smith\n")
    msg.add_alternative(f"<html><body><p>{html.escape(para * 4)}</p></body></html>", subtype="html")
    return Incoming("unknown", sender, SCHOOL, _as_lf(msg))


def shares(n: int) -> tuple[int, int, int]:
    """How many auto-replies, bounces and unknown senders among n messages."""
    auto, bounced, strangers = (
        max(1, round(n * s)) for s in (AUTO_SHARE, BOUNCE_SHARE, UNKNOWN_SHARE)
    )
    return auto, bounced, strangers


def the_mix(n: int, letters: Sequence[SentLetter], names: dict[str, str]) -> list[Incoming]:
    n_auto, n_bounce, n_unknown = shares(n)
    n_reply = n - n_auto - n_bounce - n_unknown
    out = [reply(letters[i], i, names[letters[i].recipient]) for i in range(n_reply)]
    out += [auto_reply(letters[i], i, names[letters[i].recipient]) for i in range(n_auto)]
    out += [bounce(letters[n_reply + i], i) for i in range(n_bounce)]
    out += [unknown(i) for i in range(n_unknown)]
    random.Random(20250311).shuffle(out)  # interleaved as they would arrive, reproducibly
    return out


def letters_needed(n: int) -> int:
    n_auto, n_bounce, n_unknown = shares(n)
    return n - n_auto - n_unknown  # one per reply (auto-replies reuse them) and per bounce


# ---------------------------------------------------------------------------------------------
# Delivery into the school's Dovecot mailbox.


def trace_headers(m: Incoming, i: int) -> bytes:
    """What Postfix and Dovecot's LDA put in front of a delivered message."""
    when = format_datetime(NOW + timedelta(hours=21, seconds=i))
    return (
        f"Return-Path: <{m.mail_from}>\n"
        f"Delivered-To: {m.rcpt}\n"
        f"Received: from mail.example.org (mail.example.org [192.0.2.25])\n"
        f"\tby {TRACE_HOST} (Postfix) with ESMTP id 4G{i:09X}\n"
        f"\tfor <{m.rcpt}>; {when}\n"
    ).encode()


def deliver_to_maildir(servers: MailServers, mail: Sequence[Incoming]) -> Path:
    """Write each message as Dovecot's LDA would (tmp/ then new/, owned by the mail user)."""
    folder = servers.maildir(SCHOOL)
    owner = pwd.getpwnam(MAIL_USER)
    for sub in ("", "tmp", "new", "cur"):
        (folder / sub).mkdir(exist_ok=True)
        os.chown(folder / sub, owner.pw_uid, owner.pw_gid)
    base = int(time.time())
    for i, m in enumerate(mail):
        data = trace_headers(m, i) + m.body
        name = f"{base}.M{i:06d}P{os.getpid()}.bench,S={len(data)}"
        tmp = folder / "tmp" / name
        tmp.write_bytes(data)
        os.chown(tmp, owner.pw_uid, owner.pw_gid)
        tmp.chmod(0o600)
        os.replace(tmp, folder / "new" / name)
    return folder


async def deliver_by_smtp(servers: MailServers, mail: Sequence[Incoming]) -> None:
    """Through Postfix: smtpd, cleanup, qmgr, the pipe to Dovecot's LDA."""
    async with aiosmtplib.SMTP(hostname=servers.smtp_host, port=servers.smtp_port) as smtp:
        for m in mail:
            await smtp.sendmail(m.mail_from, [m.rcpt], m.body.replace(b"\n", b"\r\n"))
    await servers.wait_for(SCHOOL, len(mail), timeout=600)


# ---------------------------------------------------------------------------------------------
# The measured runs.


@dataclass
class Run:
    seconds: float
    count: int
    filed: dict[str, int] | None = None
    cpu: str = ""  # where supportfirst's CPU went, per message (`Cpu.note`)


def _children_cpu() -> tuple[float, float]:
    """User and system CPU seconds of this process's live children (the reading workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
            user, system = user + int(fields[11]) / tick, system + int(fields[12]) / tick
    return user, system


@dataclass
class Cpu:
    """CPU used while a run is timed: this process (the ingester, all its threads) and its
    reading workers, user and system apart (the workers' system time is the blob writes)."""

    own: float = 0.0
    workers: tuple[float, float] = (0.0, 0.0)

    @classmethod
    def now(cls) -> Cpu:
        return cls(time.process_time(), _children_cpu())

    def note(self, since: Cpu, n: int) -> str:
        user, system = (a - b for a, b in zip(self.workers, since.workers, strict=True))
        per = 1000 / max(1, n)
        return (
            f"CPU a message: ingester {(self.own - since.own) * per:.2f} ms, "
            f"workers user {user * per:.2f} + system {system * per:.2f} ms"
        )


def imap_login(servers: MailServers) -> Any:
    box = MailBoxUnencrypted(servers.imap_host, servers.imap_port)
    box.login(SCHOOL, servers.password)
    return box


def bare_imap_tools(servers: MailServers) -> Run:
    # imap-tools parses each message it fetches, with the parser as the standard library has
    # it: mail.classify has installed the boundary matcher in this process.
    with standard_parser():
        t0 = now_s()
        box = imap_login(servers)
        messages = list(box.fetch(mark_seen=False, bulk=True))
        seconds = now_s() - t0
        box.logout()
    return Run(seconds, len(messages))


def bare_raw_fetch(servers: MailServers) -> Run:
    t0 = now_s()
    box = imap_login(servers)
    _, data = box.client.uid("fetch", "1:*", "(BODY.PEEK[])")
    seconds = now_s() - t0
    box.logout()
    return Run(seconds, sum(1 for item in data if isinstance(item, tuple)))


async def supportfirst_ingest(
    dbs: Databases,
    servers: MailServers,
    workers: int,
    cold_pool: bool,
    around: Callable[[], contextlib.AbstractContextManager[Any]] | None = None,
) -> Run:
    """`ingest_once(app, ImapInbox(...))` on a fresh copy of the database (letters sent, nothing
    read yet) with an empty evidence folder. The reading pool is started (its workers spawned)
    before the clock starts, as `serve` keeps one for its life; `--cold-pool` times it too."""
    url = dbs.clone()
    data = dbs.work / f"run-{uuid.uuid4().hex[:6]}"
    settings = Settings(data_dir=data, SUPPORTFIRST_FROM=SCHOOL, ingest_workers=workers)
    app = bootstrap(settings, url, migrate=False)
    account = ImapAccount(
        servers.imap_host, servers.imap_port, False, SCHOOL, servers.password, "INBOX"
    )
    inbox = ImapInbox(account)
    try:
        with around() if around else contextlib.nullcontext():
            if cold_pool:  # started, used and shut down inside the clock
                t0 = now_s()
                totals = await ingest_once(app, inbox)
                seconds, cpu = now_s() - t0, ""
            else:  # started before the clock and shut down after it, as serve's lives on
                with reading_pool(app) as reader:
                    reader.warm()
                    t0, cpu0 = now_s(), Cpu.now()
                    totals = await ingest_once(app, inbox, reader)
                    seconds, cpu = now_s() - t0, Cpu.now().note(cpu0, totals.new)
        inbox.close()
        async with app.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT mail_class, quarantined, count(*) FROM inbound_mail "
                        "GROUP BY mail_class, quarantined"
                    )
                )
            ).all()
        filed = {f"{c}{' (quarantined)' if q else ''}": int(k) for c, q, k in rows}
        return Run(seconds, totals.new, filed, cpu)
    finally:
        inbox.close()
        await app.close()
        dbs.drop(url)
        shutil.rmtree(data, ignore_errors=True)


def ingest_timers(timers: Timers) -> contextlib.AbstractContextManager[None]:
    inbound, ingesting = casework.inbound, supportfirst.ingesting
    return timed_steps(
        timers,
        [
            (ImapInbox, "fetch", "IMAP fetch, in a thread (UID SEARCH, UID FETCH)", False),
            (ingesting, "read_batch", "read_batch (per batch of 200: blobs, read)", True),
            (ingesting, "file_read", "file_read (per batch; N+1 read meanwhile)", True),
            (
                ReadingPool,
                "keep_and_read",
                "  keep_and_read (blobs written, read, in the pool)",
                True,
            ),
            (EvidenceStore, "make_durable", "  evidence make_durable (one syncfs a batch)", False),
            (mail.reading_pool, "read_message", "    read_message (timed only in-process)", False),
            (mail.reading, "classify", "    of which classify (parse, rules, flufl)", False),
            (Authenticator, "__call__", "    of which authenticate (DKIM, SPF, DMARC)", False),
            (Resolver, "_look_up", "      of which DNS asked (not kept from the batch)", False),
            (inbound, "look_up", "  look_up (the batch's set-based reads)", True),
            (inbound, "_decide", "  _decide (in memory, per message)", False),
            (SqlInbound, "add_inbound_many", "  add_inbound_many (one INSERT)", True),
            (CaseFiling, "file", "  CaseFiling.file (entries, alerts, bounces)", True),
            (CaseFiling, "flush", "  CaseFiling.flush (one INSERT of entries)", True),
        ],
    )


# ---------------------------------------------------------------------------------------------


async def prepare(args: argparse.Namespace, dbs: Databases, servers: MailServers) -> list[Incoming]:
    """The base database: a school that has sent its letters (to the sink, not to Postfix)."""
    n = args.messages
    base_data = dbs.work / "base"
    url = dbs.create_base()
    app = bootstrap(Settings(data_dir=base_data, SUPPORTFIRST_FROM=SCHOOL), url, migrate=True)
    letters_n = letters_needed(n)
    say(f"building the school on {dbs.kind}: {letters_n:,} pupils; queueing and sending letters")
    t0 = now_s()
    school = await build_school(app, letters_n, 0.0)
    await queue_letters(app, school)
    with smtp_sink() as port:
        sender = Sender(app, SmtpServer("127.0.0.1", port), 4)
        try:
            totals = await sender.drain()
        finally:
            await sender.close()
    if totals.sent != letters_n:
        raise RuntimeError(f"{totals.sent} of {letters_n} letters sent")
    letters = await sent_letters(app)
    await app.close()
    names = {address: f"Alex Taylor{pid[1:]}" for pid, address in school.parents.values()}
    mail = the_mix(n, letters, names)
    say(
        f"  {letters_n:,} letters sent in {now_s() - t0:.1f} s; delivering {n:,} messages "
        f"by {args.deliver} ..."
    )
    t0 = now_s()
    if args.deliver == "smtp":
        await deliver_by_smtp(servers, mail)
    else:
        deliver_to_maildir(servers, mail)
    say(f"  delivered in {now_s() - t0:.1f} s")
    # Dovecot indexes the new mail (and moves it to cur/) on the first SELECT: not timed.
    t0 = now_s()
    warm = bare_raw_fetch(servers)
    if warm.count != n:
        raise RuntimeError(f"Dovecot serves {warm.count} of {n} messages")
    say(f"  first read (Dovecot indexing, not counted): {now_s() - t0:.2f} s")
    return mail


async def main_async(args: argparse.Namespace) -> None:
    n = args.messages
    results: dict[str, list[Run]] = defaultdict(list)
    profile_out: list[tuple[Timers, float, cProfile.Profile, float]] = []
    load = [os.getloadavg()[0]]
    with running_mail_servers() as servers:
        async with work_folder(args.keep) as work:
            dbs = Databases(args.db, work, "bench_ingest")
            try:
                mail = await prepare(args, dbs, servers)
                sizes = [len(m.body) for m in mail]
                mix = Counter(m.kind for m in mail)
                quiet = Quiet(not args.no_wait)
                ours = [f"supportfirst w={w}" for w in args.workers]
                for r in range(args.runs):
                    order = ["imap-tools", "raw", *ours]
                    for who in order if r % 2 == 0 else order[::-1]:
                        quiet.wait()
                        if who == "imap-tools":
                            run = bare_imap_tools(servers)
                        elif who == "raw":
                            run = bare_raw_fetch(servers)
                        else:
                            workers = int(who.rpartition("=")[2])
                            run = await supportfirst_ingest(dbs, servers, workers, args.cold_pool)
                        if run.count != n:
                            raise RuntimeError(f"{who}: {run.count} of {n} messages")
                        results[who].append(run)
                        say(
                            f"  run {r + 1} {who:<17} {rate(n, run.seconds):8,.0f} msg/s  {run.cpu}"
                        )
                if args.profile:
                    w, cold = args.workers[-1], args.cold_pool
                    timers = Timers()
                    quiet.wait()
                    timed = await supportfirst_ingest(
                        dbs, servers, w, cold, lambda: ingest_timers(timers)
                    )
                    profile = cProfile.Profile()
                    quiet.wait()
                    prof = await supportfirst_ingest(
                        dbs, servers, w, cold, lambda: profiled(profile)
                    )
                    profile_out.append((timers, timed.seconds, profile, prof.seconds))
            finally:
                dbs.close()
    load.append(os.getloadavg()[0])

    say("")
    say(f"== ingest: {n:,} messages from Dovecot over IMAP, {dbs.kind}, median of {args.runs} ==")
    say(machine(dbs) + f", imap-tools {imap_tools.__version__}")
    say(f"load average (1 min) before / after: {load[0]:.2f} / {load[1]:.2f}; {quiet.note()}")
    say(
        "mix: "
        + ", ".join(f"{k} {v}" for k, v in sorted(mix.items()))
        + f"; size mean {statistics.mean(sizes):,.0f} B (min {min(sizes):,}, max {max(sizes):,})"
        + f", delivered by {args.deliver}"
    )

    def med(key: str) -> float:
        return statistics.median(rate(n, r.seconds) for r in results[key])

    tools, raw = med("imap-tools"), med("raw")
    pool = "the pool timed from cold" if args.cold_pool else "the pool started before"
    for who in ours:
        sf = med(who)
        say(f"{who + ' ingest_once (ImapInbox, evidence)':<52} {sf:>9,.0f} msg/s ({pool})")
    say(f"{'bare imap-tools fetch(bulk=True, mark_seen=False)':<52} {tools:>9,.0f} msg/s")
    say(f"{'bare raw UID FETCH 1:* BODY.PEEK[]':<52} {raw:>9,.0f} msg/s")
    for who in ours:
        sf = med(who)
        verdict = "pass" if sf / tools >= 0.5 else "SHORT"
        say(f"{'ratio ' + who + ' / imap-tools (>= 0.50)':<52} {sf / tools:>9.2f} {verdict}")
    say("all runs (msg/s):")
    for key, runs in results.items():
        say(f"  {key:<17} " + ", ".join(f"{rate(n, r.seconds):,.0f}" for r in runs))
    filed = results[ours[0]][0].filed or {}
    say("filed (first supportfirst run): " + ", ".join(f"{k} {v}" for k, v in filed.items()))
    if any(r.filed != filed for who in ours for r in results[who]):
        say("  WARNING: the runs filed differently")
    for timers, seconds, profile, prof_seconds in profile_out:
        say("")
        say(f"-- where the time goes ({rate(n, seconds):,.0f} msg/s timed) --")
        for line in timers.report(seconds, n):
            say(line)
        say(
            f"-- cProfile of the event loop's thread, top 15 cumulative ({prof_seconds:.2f} s "
            "profiled; the IMAP fetch runs in a worker thread and shows only as waiting) --"
        )
        say(top_cumulative(profile))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument(
        "--db",
        default=None,
        help="a postgresql:// URL: throwaway databases are made on that server (and dropped); "
        "default: temp SQLite files",
    )
    parser.add_argument("--profile", action="store_true", help="time steps and cProfile a run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--workers",
        type=lambda v: [int(w) for w in v.split(",")],
        default=[2],
        help="SUPPORTFIRST_INGEST_WORKERS for the supportfirst runs, e.g. 0,2 to alternate both "
        "(0: read in-process); the profile uses the last",
    )
    parser.add_argument(
        "--cold-pool", action="store_true", help="time the reading pool's start-up too"
    )
    parser.add_argument("--deliver", choices=("maildir", "smtp"), default="maildir")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument(
        "--no-wait", action="store_true", help="do not wait for a quiet machine before each run"
    )
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
