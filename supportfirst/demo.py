"""`supportfirst demo`: a synthetic school of 300 pupils and an autumn term of registers, played
through the whole flow on the embedded defaults (SQLite, the in-process SMTP server, local
Maildirs, console alerts): the daily review and its alerts, support-first letters, a Notice to
Improve by email to consenting parents, a parent's reply, an out-of-office and a bounce read
back, a breached notice, and a referral pack. It prints where everything is."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import make_msgid

import aiosmtplib

from casework.caselog import LogRequest, log_entry
from casework.consent import record_consent
from casework.imports import import_csv
from casework.notices import issue_nti
from casework.packcheck import check_pack
from casework.packzip import Seal, export_pack
from casework.printed import record_delivery
from casework.records import EmailRecord
from casework.schools import set_school
from casework.sending import send_letter
from casework.staff import add_staff
from casework.thresholds import daily_review
from store.signing import PublicKey
from supportfirst.alerting import Alerts, render_chronology
from supportfirst.bootstrap import App
from supportfirst.demo_families import families as demo_families
from supportfirst.demo_families import mother_email
from supportfirst.files import write_atomically
from supportfirst.ingesting import ingest_once, open_inbox
from supportfirst.sending import Sender, smtp_server
from supportfirst.words import counted

URN = "123456"
TERM = (date(2025, 9, 3), date(2025, 12, 19))
HALF_TERM = (date(2025, 10, 27), date(2025, 10, 31))
REVIEW_ON = date(2025, 11, 14)
STAFF = "PATEL"  # the demo's attendance officer, who adds herself first (staff add … --by PATEL)


@dataclass
class DemoClock:
    """The demonstration's own time, moved on by each step, so that everything it records
    (the chronology, the evidence, the audit log, the pack's "generated") is dated in the term
    it plays, in order, and never after the pack was made."""

    at: datetime = field(
        default_factory=lambda: datetime.combine(REVIEW_ON, datetime.min.time(), UTC)
    )

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()

    def move(self, day: date, hour: int, minute: int = 0) -> datetime:
        """On to `day` at hour:minute UK time (GMT in the autumn term), never backwards."""
        later = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
            hours=hour, minutes=minute
        )
        self.at = max(self.at, later)
        return self.at


def _clock(app: App) -> DemoClock:
    """The app's clock when it is the demo's own (the CLI), else a fresh one (tests)."""
    return app.clock if isinstance(app.clock, DemoClock) else DemoClock()


@dataclass
class DemoReport:
    lines: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)


def _home(i: int) -> str:
    """A family's address (both parents at one home): printed letters need one."""
    return f"{i + 1} Mill Lane,,Colchester,CO{1 + i % 7} {1 + i % 9}AB"


def _csv(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _school_days(until: date) -> list[date]:
    day, days = TERM[0], []
    while day <= min(until, TERM[1]):
        if day.weekday() < 5 and not HALF_TERM[0] <= day <= HALF_TERM[1]:
            days.append(day)
        day += timedelta(days=1)
    return days


def _registers(upns: list[str], absent: set[str], until: date, rnd: random.Random) -> bytes:
    rows = []
    for day in _school_days(until):
        for upn in upns:
            for session in ("AM", "PM"):
                code = "/" if session == "AM" else "\\"
                chance = 0.18 if upn in absent and day >= date(2025, 10, 1) else 0.02
                if rnd.random() < chance:
                    code = rnd.choice("OOOGUI" if upn in absent else "IIMO")
                rows.append(f"{upn},{URN},{day.isoformat()},{session},{code}")
    return _csv("upn,school_urn,date,session,code", rows)


async def _load_school(app: App, rnd: random.Random, now: datetime) -> tuple[list[str], set[str]]:
    families = demo_families(rnd)
    upns = [f.upn for f in families]
    absent = set(rnd.sample(upns, 24))
    files = {
        "schools": _csv("urn,name,local_authority", [f"{URN},Riverside Primary,Essex"]),
        "pupils": _csv(
            "upn,first_name,last_name,date_of_birth,school_urn,year_group",
            [f"{f.upn},{f.first},{f.surname},{f.born},{URN},{f.year}" for f in families],
        ),
        "parents": _csv(
            "parent_id,upn,name,email,relationship,address_line_1,address_line_2,town,postcode",
            [f"M{f.upn},{f.upn},{f.mother},,mother,{_home(i)}" for i, f in enumerate(families)]
            + [f"F{f.upn},{f.upn},{f.father},,father,{_home(i)}" for i, f in enumerate(families)][
                ::2
            ],
        ),
        "calendar": _csv(
            "school_urn,kind,start,end",
            [
                f"{URN},term,{TERM[0]},{HALF_TERM[0] - timedelta(days=3)}",
                f"{URN},term,{HALF_TERM[1] + timedelta(days=3)},{TERM[1]}",
                f"{URN},term,2026-01-05,2026-02-13",
                f"{URN},term,2026-02-23,2026-03-27",
            ],
        ),
        "marks": _registers(upns, absent, REVIEW_ON, rnd),
    }
    await _staff(app, now)
    for kind, data in files.items():
        await import_csv(app.uow(), kind, f"demo-{kind}.csv", data, STAFF, now)
    await set_school(
        app.uow(),
        URN,
        {
            "address": "1 River Road, Chelmsford CM1 1AA",
            "phone": "01632 960001",
            "email": "attendance@riverside.example",
            "champion": "Mr Okafor",
        },
        STAFF,
        now,
    )
    return upns, absent


async def _staff(app: App, now: datetime) -> None:
    officer = {
        "name": "Ms Patel",
        "role": "attendance_officer",
        "email": "s.patel@riverside.example",
        "phone": "01632 960000",
        "schools": (URN,),
    }
    await add_staff(app.uow(), STAFF, officer, STAFF, now)


async def _deliver(raw: bytes, to: str, envelope_from: str, port: int) -> None:
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as smtp:
        await smtp.sendmail(envelope_from, [to], raw)


def _reply(email: EmailRecord, subject: str, reply_to: str, auto: bool) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = email.recipient
    msg["To"] = reply_to
    msg["Subject"] = f"Automatic reply: {subject}" if auto else f"Re: {subject}"
    msg["In-Reply-To"] = email.message_id
    msg["Message-ID"] = make_msgid(domain="example.org")
    if auto:
        msg["Auto-Submitted"] = "auto-replied"
    msg.set_content("I am away until Monday." if auto else "Thank you. Can we meet on Tuesday?")
    return msg.as_bytes()


def _bounce(email: EmailRecord, school_domain: str) -> bytes:
    """A delivery status notification (RFC 3464), as a receiving server would send it."""
    boundary = "demo-dsn-boundary"
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
        f"To: {email.envelope_from}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce-{email.id}@mx.example.org>\r\nAuto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; "
        f'boundary="{boundary}"\r\n\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\n'
        f"Your message could not be delivered: the mailbox does not exist.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; {email.recipient}\r\n"
        f"Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {email.message_id}\r\nFrom: attendance@{school_domain}\r\n"
        f"--{boundary}--\r\n"
    ).encode()


async def run_demo(app: App, seed: int = 2025) -> DemoReport:
    report = DemoReport()
    rnd = random.Random(seed)
    clock = _clock(app)
    upns, absent = await _load_school(app, rnd, clock.move(REVIEW_ON, 8))
    report.say(
        f"School: Riverside Primary (Essex), {counted(len(upns), 'pupil')}, "
        f"registers to {REVIEW_ON}"
    )
    now = clock.move(REVIEW_ON, 16)
    met = await _first_letters(app, report, now)
    target = met[0]
    notice = await issue_nti(
        app.uow(),
        app.mailroom(),
        target,
        STAFF,
        "No further unauthorised absence",
        REVIEW_ON,
        0,
        now,
        ("Breakfast club every morning from 8am", "A weekly check-in with the attendance officer"),
    )
    report.say(f"Notice to Improve {notice.notice_id} for {target} until {notice.period_end}")
    await _send_and_answer(app, report, met, clock.move(REVIEW_ON, 16, 5))
    start = await _hand_over(app, report, notice.notice_id, target, clock.move(REVIEW_ON, 16, 20))
    clock.move(start, 9)  # the replies are read on the Monday morning
    await _read_back(app, report)
    breach_day = start + timedelta(days=2)
    await _breach(app, report, target, breach_day, clock.move(breach_day + timedelta(days=1), 16))
    await _show_alerts(app, report)
    await _pack(app, report, target, clock.move(breach_day + timedelta(days=1), 17))
    report.say(f"Database: {app.url}")
    report.say(f"Parents' mailboxes: {app.settings.data_dir / 'maildir' / 'outbound'}")
    report.say(f"The school's inbox: {app.settings.data_dir / 'maildir' / 'inbox'}")
    report.say(f"Evidence: {app.settings.data_dir / 'evidence'}")
    return report


async def _first_letters(app: App, report: DemoReport, now: datetime) -> list[str]:
    """The daily review, then for each pupil who met the threshold: support and a letter."""
    events = await daily_review(app.uow(), REVIEW_ON, now)
    met = sorted({e.upn for e in events if e.kind == "ThresholdMet"})
    report.say(f"Daily review {REVIEW_ON}: {counted(len(met), 'pupil')} met the national threshold")
    for n, upn in enumerate(met):  # consent for most mothers, none for fathers
        if n % 4 != 3:
            await record_consent(
                app.uow(),
                app.evidence(),
                f"M{upn}",
                mother_email(upn),
                "form",
                date(2025, 9, 10),
                STAFF,
                now,
                ("consent-form.txt", f"Signed consent form: M{upn}\n".encode()),
            )
        request = LogRequest(upn, "support_offered", STAFF, REVIEW_ON, "Breakfast club place")
        await log_entry(app.uow(), request, now)
        await send_letter(app.uow(), app.mailroom(), "initial_concern", upn, STAFF, REVIEW_ON, now)
    return met


async def _send_and_answer(app: App, report: DemoReport, met: list[str], now: datetime) -> None:
    """Send the outbox; then a parent replies, one is away, and one address bounces."""
    async with smtp_server(app) as server:
        sender = Sender(app, server)
        # The demo's day: the server's acceptance is what serves the notice (CPR 6.26).
        sender.transport.clock = lambda: now
        try:
            sent = await sender.drain()
        finally:
            await sender.close()
        report.say(
            f"Sent {counted(sent.sent, 'email')} through the local SMTP server; "
            f"{sent.failed} failed"
        )
        async with app.uow() as uow:
            emails = [e for upn in met for e in await uow.mail.emails_for(upn)]
        domain = app.settings.from_address.rpartition("@")[2]
        token_address = app.settings.from_address.replace("@", "+{}@")
        replying, away, bounced = emails[0], emails[1], emails[2]
        for email, auto in ((replying, False), (away, True)):
            original = message_from_bytes(app.evidence().get(email.sha256), policy=default)
            subject = str(original["Subject"])
            raw = _reply(email, subject, token_address.format(email.token), auto)
            await _deliver(raw, token_address.format(email.token), email.recipient, server.port)
        await _deliver(_bounce(bounced, domain), bounced.envelope_from, "", server.port)


async def _hand_over(
    app: App, report: DemoReport, notice_id: int, target: str, now: datetime
) -> date:
    """The printed notice handed to each parent without email consent; the period as served."""
    async with app.uow() as uow:
        copies = [c for c in await uow.mail.printed_for(target) if c.notice_id == notice_id]
    for copy in copies:
        await record_delivery(app.uow(), copy.id, "hand", REVIEW_ON, STAFF, now)
    async with app.uow() as uow:
        notice = await uow.cases.notice(notice_id)
    assert notice is not None and notice.served_start is not None, "the notice is served"
    report.say(
        f"Notice to Improve {notice_id} served on each parent ({len(copies)} by hand): "
        f"it runs {notice.served_start} to {notice.served_end}"
    )
    return notice.served_start


async def _read_back(app: App, report: DemoReport) -> None:
    inbox = open_inbox(app)
    try:
        read = await ingest_once(app, inbox)
    finally:
        inbox.close()
    report.say(
        f"Read back {read.new} messages (a reply, an out-of-office, a bounce): "
        f"{read.matched} filed to cases, {read.quarantined} quarantined"
    )


async def _breach(
    app: App, report: DemoReport, target: str, breach_day: date, now: datetime
) -> None:
    """An unauthorised absence inside the improvement period, and the review that sees it."""
    marks = _csv("upn,school_urn,date,session,code", [f"{target},{URN},{breach_day},AM,O"])
    await import_csv(app.uow(), "marks", "demo-breach.csv", marks, STAFF, now)
    breach = await daily_review(app.uow(), breach_day + timedelta(days=1), now)
    report.say(f"Review after {breach_day}: {', '.join(sorted({e.kind for e in breach}))}")


async def _show_alerts(app: App, report: DemoReport) -> None:
    alerts = Alerts(app)
    try:
        shown = await alerts.deliver()
    finally:
        await alerts.close()
    report.say(f"Alerts shown: {shown.posts} (console and {app.settings.data_dir}/alerts.log)")


async def _pack(app: App, report: DemoReport, target: str, now: datetime) -> None:
    seal = Seal(app.signing_key, app.heads())
    pack_path = app.settings.data_dir / f"referral-pack-{target}.zip"

    async def write(data: bytes) -> None:
        write_atomically(pack_path, data)

    done = await export_pack(
        app.uow(),
        app.evidence(),
        render_chronology,
        target,
        STAFF,
        f"file:{pack_path.name}",
        now,
        write,
        seal,
    )
    with pack_path.open("rb") as f:
        check = check_pack(f, app.signing_key.public(), PublicKey.parse)
    report.say(
        f"Referral pack: {pack_path} ({counted(len(done.pack.files), 'file')}; "
        f"verify: {list(check.problems) or 'ok'})"
    )
    report.say(f"Signed by the school's key {check.signed_by} (`supportfirst key show`)")
    report.say(f"Signed audit heads: {app.settings.audit_heads_path}")
