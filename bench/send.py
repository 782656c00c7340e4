"""The send benchmark: supportfirst's sender (`Sender.drain()`, evidence on) beside bare aiosmtplib
sending the same stored bytes, and Postfix's `smtp-source`, all to one local SMTP sink.

    python bench/send.py [--messages N] [--db URL] [--profile] [--runs 3]

The sink is aiosmtpd (accept, count, discard) in a child process of its own, so it never shares
the sender's event loop or interpreter. Queueing (rendering, composing, evidence, the
`outgoing_mail` row) is timed on its own and is not part of the send. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import io
import os
import platform
import pstats
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosmtplib  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402

import casework.outgoing  # noqa: E402
from casework.consent import record_consent  # noqa: E402
from casework.imports import import_csv  # noqa: E402
from casework.letters import LetterOptions  # noqa: E402
from casework.notices import issue_nti  # noqa: E402
from casework.sending import send_letter  # noqa: E402
from mail.sender import SmtpServer  # noqa: E402
from store.evidence import EvidenceStore  # noqa: E402
from supportfirst.bootstrap import App, bootstrap  # noqa: E402
from supportfirst.sending import Sender  # noqa: E402
from supportfirst.settings import Settings  # noqa: E402
from tests.cases import HEAD, enrol  # noqa: E402

FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")

PG_ADMIN = os.environ.get("SUPPORTFIRST_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SMTP_SOURCE = "/usr/sbin/smtp-source"
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
ON = date(2025, 3, 10)  # letters are dated this day
CONSENT_ON = date(2025, 3, 3)
NTI_ON = date(2025, 3, 7)  # the notices are issued after a week of unauthorised absence
SCHOOL_URN = "100001"
FROM = "attendance@school.example.org"
PARENT_DOMAIN = "example.org"
# The ordinary letters, in turn; every tenth pupil (by default) gets a Notice to Improve instead,
# which carries the letter as a PDF (WeasyPrint) as well.
PLAIN_TEMPLATES = (
    "initial_concern",
    "meeting_invite",
    "meeting_rearranged",
    "meeting_missed",
    "contract_invite",
    "contract_failed",
    "leave_request_response",
)
# The leave response answers a request for two days of term (it must name them).
OPTIONS = LetterOptions(
    meeting="Thursday 13 March 2025 at 9:30",
    leave_from=date(2025, 3, 17),
    leave_to=date(2025, 3, 18),
)


def say(*args: object) -> None:
    print(*args, flush=True)


def now_s() -> float:
    return time.perf_counter()


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def cpu_busy(seconds: float = 0.5) -> float:
    """Share of both cores busy (steal included) over `seconds`, from /proc/stat."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields[:8])

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


@dataclass
class Quiet:
    """Before each measured run, wait (up to `patience` s) until other processes leave the
    machine nearly idle: this machine is shared, and a busy neighbour halves a figure."""

    enabled: bool = True
    threshold: float = 0.15
    patience: float = 60.0
    waited: float = 0.0
    gave_up: int = 0

    def wait(self) -> None:
        if not self.enabled:
            return
        t0 = now_s()
        while cpu_busy() > self.threshold:
            if now_s() - t0 > self.patience:
                self.gave_up += 1
                break
        self.waited += now_s() - t0

    def note(self) -> str:
        if not self.enabled:
            return "runs started without waiting for a quiet machine"
        return (
            f"waited {self.waited:.0f} s in all for < {self.threshold:.0%} CPU busy before runs"
            + (f"; gave up waiting {self.gave_up} times" if self.gave_up else "")
        )


async def staff(app: App) -> str:
    """The attendance officer every letter names (tests/cases.py HEAD, both schools)."""
    await enrol(app.uow, HEAD, email=app.settings.from_address, now=NOW)
    return HEAD


# ---------------------------------------------------------------------------------------------
# Databases: one is built (school, consents, queued letters), then cloned for every measured run
# so that each run starts from the same state.


class Databases:
    """Throwaway databases: temp SQLite files, or PostgreSQL databases made on the server the
    `--db` URL names (and dropped at the end)."""

    def __init__(self, db: str | None, work: Path, prefix: str) -> None:
        self.admin = db if db and db.startswith(("postgresql", "postgres:")) else None
        self.work = work
        self.prefix = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.made: list[str] = []
        self.base = ""
        self.version = sqlite3.sqlite_version

    @property
    def kind(self) -> str:
        return "PostgreSQL" if self.admin else "SQLite"

    def _name(self, suffix: str) -> str:
        return f"{self.prefix}_{suffix}"

    def _url(self, name: str) -> str:
        if self.admin:
            return self.admin.rsplit("/", 1)[0] + f"/{name}"
        return f"sqlite:///{self.work / (name + '.db')}"

    def _admin(self) -> psycopg.Connection[Any]:
        assert self.admin is not None
        return psycopg.connect(self.admin, autocommit=True, connect_timeout=5)

    def create_base(self) -> str:
        name = self._name("base")
        if self.admin:
            with self._admin() as c:
                c.execute(f'CREATE DATABASE "{name}"')
                row = c.execute("SHOW server_version").fetchone()
                self.version = str(row[0]) if row else "?"
            self.made.append(name)
        self.base = self._url(name)
        return self.base

    def clone(self) -> str:
        """A copy of the base database (the base must have no open connections)."""
        name = self._name(uuid.uuid4().hex[:6])
        if self.admin:
            with self._admin() as c:
                c.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._name("base")}"')
            self.made.append(name)
        else:
            src = sqlite3.connect(self.base.removeprefix("sqlite:///"))
            dst = sqlite3.connect(self.work / f"{name}.db")
            with dst:
                src.backup(dst)
            src.close()
            dst.close()
        return self._url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        if self.admin:
            with self._admin() as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if name in self.made:
                self.made.remove(name)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        if self.admin and self.made:
            with self._admin() as c:
                for name in self.made:
                    c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.made.clear()


# ---------------------------------------------------------------------------------------------
# The school: N pupils, one parent each with consent to email at an address of their own.


@dataclass
class School:
    upns: list[str]
    formal: list[str]  # pupils who get a Notice to Improve (with its PDF)
    parents: dict[str, tuple[str, str]]  # upn -> (parent_id, address)


def csv_bytes(header: str, rows: Sequence[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def school_days(start: date, end: date) -> list[date]:
    return [
        date.fromordinal(d)
        for d in range(start.toordinal(), end.toordinal() + 1)
        if date.fromordinal(d).weekday() < 5
    ]


async def build_school(
    app: App, n: int, formal_share: float, parent_domain: str = PARENT_DOMAIN
) -> School:
    upns = [f"A{i:012d}" for i in range(1, n + 1)]
    every = round(1 / formal_share) if formal_share > 0 else 0
    formal = [u for i, u in enumerate(upns) if every and i % every == every - 1]
    parents = {u: (f"P{i:05d}", f"parent{i:05d}@{parent_domain}") for i, u in enumerate(upns)}
    terms = [
        ("2024-09-04", "2024-12-20"),
        ("2025-01-06", "2025-02-14"),
        ("2025-02-24", "2025-04-04"),
        ("2025-04-22", "2025-07-22"),
    ]
    files = {
        "schools": csv_bytes(
            "urn,name,local_authority", [f"{SCHOOL_URN},Riverside Primary School,Essex"]
        ),
        "pupils": csv_bytes(
            "upn,first_name,last_name,date_of_birth,school_urn,year_group",
            [
                f"{u},Sam{i},Taylor{i},2015-{i % 12 + 1:02d}-{i % 28 + 1:02d},{SCHOOL_URN},5"
                for i, u in enumerate(upns)
            ],
        ),
        "parents": csv_bytes(
            "parent_id,upn,name,email,relationship",
            [f"{p},{u},Alex Taylor{p[1:]},{a},mother" for u, (p, a) in parents.items()],
        ),
        "calendar": csv_bytes(
            "school_urn,kind,start,end", [f"{SCHOOL_URN},term,{s},{e}" for s, e in terms]
        ),
    }
    for kind, data in files.items():
        await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)
    if formal:  # two weeks of register, the second all unauthorised absence (O): NTI grounds
        rows = []
        for u in formal:
            for d in school_days(date(2025, 2, 24), NTI_ON):
                for session, present in (("AM", "/"), ("PM", "\\")):
                    code = "O" if d >= CONSENT_ON else present
                    rows.append(f"{u},{SCHOOL_URN},{d.isoformat()},{session},{code}")
        marks = csv_bytes("upn,school_urn,date,session,code", rows)
        await import_csv(app.uow(), "marks", "marks.csv", marks, "officer", NOW)
    for parent_id, address in parents.values():
        await record_consent(
            app.uow(), app.evidence(), parent_id, address, "form", CONSENT_ON, "officer", NOW, FORM
        )
    return School(upns, formal, parents)


@dataclass
class Queueing:
    plain: int = 0
    plain_s: float = 0.0
    formal: int = 0
    formal_s: float = 0.0

    @property
    def total(self) -> int:
        return self.plain + self.formal

    @property
    def total_s(self) -> float:
        return self.plain_s + self.formal_s


async def queue_letters(app: App, school: School) -> Queueing:
    """`send_letter` per ordinary letter and `issue_nti` per notice: each renders, composes,
    stores the bytes as evidence (fsync) and inserts the `outgoing_mail` row, one commit each."""
    q = Queueing()
    mailroom = app.mailroom()
    who = await staff(app)
    formal = set(school.formal)
    t0 = now_s()
    plain = [u for u in school.upns if u not in formal]
    for i, upn in enumerate(plain):
        template = PLAIN_TEMPLATES[i % len(PLAIN_TEMPLATES)]
        await send_letter(app.uow(), mailroom, template, upn, who, ON, NOW, OPTIONS)
    q.plain, q.plain_s = len(plain), now_s() - t0
    t0 = now_s()
    for upn in school.formal:
        await issue_nti(app.uow(), mailroom, upn, who, "No unauthorised absence", NTI_ON, 0, NOW)
    q.formal, q.formal_s = len(school.formal), now_s() - t0
    return q


@dataclass(frozen=True)
class Prepared:
    envelope_from: str
    recipient: str
    raw: bytes
    formal: bool


async def prepared_messages(app: App) -> list[Prepared]:
    """The queued emails as the sender will send them: envelope and the stored bytes."""
    async with app.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT envelope_from, recipient, sha256, formal FROM outgoing_mail "
                    "WHERE state = 'queued' ORDER BY id"
                )
            )
        ).all()
    evidence = app.evidence()
    return [Prepared(r[0], r[1], evidence.get(r[2]), bool(r[3])) for r in rows]


# ---------------------------------------------------------------------------------------------
# The sink: aiosmtpd in its own process (`bench/send.py --sink`), accepting and discarding.


async def sink_main() -> None:
    from aiosmtpd.smtp import SMTP, Envelope, Session

    class Discard:
        def __init__(self) -> None:
            self.count = 0

        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            self.count += 1
            return f"250 2.0.0 Ok: queued as S{self.count:07d}"

    handler = Discard()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.bench", decode_data=False), "127.0.0.1", 0
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    server.close()
    print(f"sink: {handler.count} messages accepted and discarded", file=sys.stderr)


@contextlib.contextmanager
def smtp_sink() -> Iterator[int]:
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--sink"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        yield int(proc.stdout.readline())
    finally:
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(10)


# ---------------------------------------------------------------------------------------------
# The measured runs.


def linked_copy(src: Path, dst: Path) -> None:
    """The evidence folder for a run: hard links to the base's blobs (read-only for the send)."""
    shutil.copytree(src, dst, copy_function=os.link)


@dataclass
class Run:
    seconds: float
    sent: int


async def supportfirst_send(
    dbs: Databases,
    base_data: Path,
    port: int,
    connections: int,
    n: int,
    around: Callable[[Sender], contextlib.AbstractContextManager[Any]] | None = None,
) -> Run:
    """`Sender(app, server, connections).drain()` on a fresh copy of the queued database."""
    url = dbs.clone()
    data = dbs.work / f"run-{uuid.uuid4().hex[:6]}"
    linked_copy(base_data / "evidence", data / "evidence")
    app = bootstrap(Settings(data_dir=data, SUPPORTFIRST_FROM=FROM), url, migrate=False)
    sender = Sender(app, SmtpServer("127.0.0.1", port), connections)
    try:
        with around(sender) if around else contextlib.nullcontext():
            t0 = now_s()
            totals = await sender.drain()
            seconds = now_s() - t0
        await sender.close()
        async with app.engine.connect() as conn:
            sent = (
                await conn.execute(text("SELECT count(*) FROM outgoing_mail WHERE state = 'sent'"))
            ).scalar_one()
        if totals.sent != n or sent != n:
            raise RuntimeError(f"supportfirst sent {totals.sent} ({sent} recorded) of {n}")
        return Run(seconds, int(sent))
    finally:
        await app.close()
        dbs.drop(url)
        shutil.rmtree(data, ignore_errors=True)


async def bare_send(prepared: Sequence[Prepared], port: int, connections: int) -> Run:
    """aiosmtplib alone: `sendmail(envelope_from, [rcpt], raw)` of the same bytes, with the
    connections kept open (connecting is timed, QUIT is not, as for the sender)."""
    local_hostname = socket.getfqdn()
    items = iter(prepared)
    replies: list[str] = []

    async def lane() -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname="127.0.0.1",
            port=port,
            timeout=60,
            local_hostname=local_hostname,
            start_tls=None,
        )
        await client.connect()
        for p in items:
            _, reply = await client.sendmail(p.envelope_from, [p.recipient], p.raw)
            replies.append(reply)
        return client

    t0 = now_s()
    clients = await asyncio.gather(*(lane() for _ in range(connections)))
    seconds = now_s() - t0
    for client in clients:
        await client.quit()
    ok = sum(1 for r in replies if "queued as" in r)
    if ok != len(prepared):
        raise RuntimeError(f"bare aiosmtplib: {ok} of {len(prepared)} accepted")
    return Run(seconds, ok)


def smtp_source(port: int, n: int, length: int, sessions: int, keep_open: bool) -> Run:
    args = [SMTP_SOURCE, "-s", str(sessions), "-l", str(length), "-m", str(n)]
    args += ["-M", "bench.example.org", "-f", FROM, "-t", f"parent@{PARENT_DOMAIN}"]
    if keep_open:
        args.insert(1, "-d")
    t0 = now_s()
    done = subprocess.run([*args, f"127.0.0.1:{port}"], capture_output=True, text=True)
    seconds = now_s() - t0
    if done.returncode != 0:
        raise RuntimeError(f"smtp-source failed: {done.stderr.strip()}")
    return Run(seconds, n)


# ---------------------------------------------------------------------------------------------
# Where the time goes: wall-clock timers around the sender's steps, and cProfile.


@dataclass
class Timers:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def sync(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = now_s()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += now_s() - t0
                self.calls[name] += 1

        return timed

    def coro(self, name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = now_s()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.seconds[name] += now_s() - t0
                self.calls[name] += 1

        return timed

    def report(self, total: float, n: int) -> list[str]:
        lines = [f"  {'step':<52} {'calls':>6} {'s':>7} {'% wall':>7} {'ms/msg':>7}"]
        for name, s in self.seconds.items():
            lines.append(
                f"  {name:<52} {self.calls[name]:>6} {s:>7.3f} {100 * s / total:>6.1f}% "
                f"{1000 * s / n:>7.3f}"
            )
        lines.append(f"  {'wall':<52} {'':>6} {total:>7.3f} {100.0:>6.1f}%")
        return lines


@contextlib.contextmanager
def timed_steps(timers: Timers, steps: Sequence[tuple[Any, str, str, bool]]) -> Iterator[None]:
    """Wrap each (owner, attribute, label, is_coroutine) in a timer for as long as the block runs;
    the report lists them in this order."""
    with contextlib.ExitStack() as stack:
        for owner, name, label, is_coro in steps:
            timers.seconds[label] += 0.0
            fn = getattr(owner, name)
            wrapped = timers.coro(label, fn) if is_coro else timers.sync(label, fn)
            stack.enter_context(mock.patch.object(owner, name, wrapped))
        yield


def sender_timers(sender: Sender, timers: Timers) -> contextlib.AbstractContextManager[None]:
    t, j, outgoing = sender.transport, sender.journal, casework.outgoing
    return timed_steps(
        timers,
        [
            (outgoing, "claim_batch", "claim a batch (SELECT, UPDATE, SELECT join, COMMIT)", True),
            (EvidenceStore, "get", "evidence read (per msg; SHA-256 check not timed)", False),
            (t, "send", "transport.send (the batch, all lanes)", True),
            (j, "began", "  journal began (write + fdatasync)", False),
            (t, "_send_one", "  SMTP sendmail (summed over lanes)", True),
            (j, "finished", "  journal finished (write)", False),
            (outgoing, "record_batch", "record outcomes (INSERT+UPDATE per msg, COMMIT)", True),
        ],
    )


@contextlib.contextmanager
def profiled(profile: cProfile.Profile) -> Iterator[None]:
    profile.enable()
    try:
        yield
    finally:
        profile.disable()


def sender_profiled(
    sender: Sender, profile: cProfile.Profile
) -> contextlib.AbstractContextManager[None]:
    return profiled(profile)


def top_cumulative(profile: cProfile.Profile, count: int = 15) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(count)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(line.replace(str(Path.cwd()) + "/", "") for line in lines[start:] if line)


# ---------------------------------------------------------------------------------------------


def machine(dbs: Databases) -> str:
    return (
        f"nproc {os.cpu_count()}, {platform.platform()}, Python {platform.python_version()}, "
        f"{dbs.kind} {dbs.version}, aiosmtplib {aiosmtplib.__version__}"
    )


def median(runs: Sequence[Run], n: int) -> tuple[float, list[float]]:
    rates = [rate(n, r.seconds) for r in runs]
    return statistics.median(rates), rates


def fmt_rates(rates: Sequence[float]) -> str:
    return ", ".join(f"{r:,.0f}" for r in rates)


@contextlib.asynccontextmanager
async def work_folder(keep: bool) -> AsyncIterator[Path]:
    work = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    try:
        yield work
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


async def main_async(args: argparse.Namespace) -> None:
    n = args.messages
    connections = [int(c) for c in args.connections.split(",")]
    async with work_folder(args.keep) as work:
        dbs = Databases(args.db, work, "bench_send")
        try:
            await measure(args, dbs, work, n, connections)
        finally:
            dbs.close()


async def measure(
    args: argparse.Namespace, dbs: Databases, work: Path, n: int, connections: list[int]
) -> None:
    base_data = work / "base"
    url = dbs.create_base()
    app = bootstrap(Settings(data_dir=base_data, SUPPORTFIRST_FROM=FROM), url, migrate=True)
    say(f"building the school on {dbs.kind}: {n:,} pupils, one consenting parent each ...")
    t0 = now_s()
    school = await build_school(app, n, args.formal_share)
    say(f"  built in {now_s() - t0:.1f} s; queueing {n:,} letters ({len(school.formal)} NTIs) ...")
    q = await queue_letters(app, school)
    prepared = await prepared_messages(app)
    await app.close()
    if len(prepared) != n:
        raise RuntimeError(f"{len(prepared)} emails queued, expected {n}")
    sizes = [len(p.raw) for p in prepared]
    plain_sizes = [len(p.raw) for p in prepared if not p.formal]
    formal_sizes = [len(p.raw) for p in prepared if p.formal]
    mean = round(statistics.mean(sizes))
    say(
        f"  queued: {q.plain} letters in {q.plain_s:.1f} s ({rate(q.plain, q.plain_s):.1f}/s), "
        f"{q.formal} NTIs in {q.formal_s:.1f} s ({rate(q.formal, q.formal_s):.1f}/s)"
    )
    say(
        f"  sizes: mean {mean:,} B; letters {min(plain_sizes, default=0):,}-"
        f"{max(plain_sizes, default=0):,} B; NTIs with PDF {min(formal_sizes, default=0):,}-"
        f"{max(formal_sizes, default=0):,} B"
    )
    results: dict[str, list[Run]] = defaultdict(list)
    with smtp_sink() as port:
        say(f"sink: aiosmtpd in its own process on 127.0.0.1:{port}")
        # One warm-up of each (imports, first connections), not counted.
        await bare_send(prepared[: min(50, n)], port, 1)
        quiet = Quiet(not args.no_wait)
        load = [os.getloadavg()[0]]
        for r in range(args.runs):
            for c in connections:
                order = ("bare", "supportfirst") if r % 2 == 0 else ("supportfirst", "bare")
                for who in order:
                    quiet.wait()
                    if who == "bare":
                        run = await bare_send(prepared, port, c)
                    else:
                        run = await supportfirst_send(dbs, base_data, port, c, n)
                    results[f"{who} {c}"].append(run)
                    say(f"  run {r + 1} {who:<12} {c} conn: {rate(n, run.seconds):7,.0f} msg/s")
            if not args.skip_smtp_source and os.access(SMTP_SOURCE, os.X_OK):
                for c in connections:
                    for keep_open in (True, False):
                        quiet.wait()
                        run = smtp_source(port, n, mean, c, keep_open)
                        results[f"smtp-source {'-d ' if keep_open else ''}{c}"].append(run)
        load.append(os.getloadavg()[0])
        profiles: list[tuple[int, Timers, float, cProfile.Profile, float]] = []
        if args.profile:
            for c in connections:
                timers = Timers()
                quiet.wait()
                timed = await supportfirst_send(
                    dbs, base_data, port, c, n, functools.partial(sender_timers, timers=timers)
                )
                profile = cProfile.Profile()
                quiet.wait()
                prof = await supportfirst_send(
                    dbs, base_data, port, c, n, functools.partial(sender_profiled, profile=profile)
                )
                profiles.append((c, timers, timed.seconds, profile, prof.seconds))

    say("")
    say(f"== send: {n:,} messages, {dbs.kind}, median of {args.runs} ==")
    say(machine(dbs))
    say(f"load average (1 min) before / after: {load[0]:.2f} / {load[1]:.2f}; {quiet.note()}")
    say(
        f"messages: {q.plain} letters ({statistics.mean(plain_sizes or [0]):,.0f} B mean), "
        f"{q.formal} NTIs with a PDF ({statistics.mean(formal_sizes or [0]):,.0f} B mean); "
        f"all {mean:,} B mean, {sum(sizes) / 1e6:.2f} MB"
    )
    say(f"{'':<44}" + "".join(f"{f'{c} conn':>14}" for c in connections))
    rows = [
        ("supportfirst Sender.drain(), evidence on", "supportfirst"),
        ("bare aiosmtplib sendmail(bytes)", "bare"),
        ("smtp-source -d (connection kept)", "smtp-source -d"),
        ("smtp-source (new connection per msg)", "smtp-source"),
    ]
    for label, key in rows:
        cells = []
        for c in connections:
            runs = results.get(f"{key} {c}")
            cells.append(f"{median(runs, n)[0]:>10,.0f} /s" if runs else f"{'-':>13}")
        say(f"{label:<44}" + " ".join(cells))
    ratios = []
    for c in connections:
        sf = median(results[f"supportfirst {c}"], n)[0]
        bare = median(results[f"bare {c}"], n)[0]
        ratios.append(sf / bare)
    say(
        f"{'ratio supportfirst / bare (target >= 0.90)':<44}"
        + " ".join(f"{r:>8.2f} {'pass' if r >= 0.9 else 'SHORT':>5}" for r in ratios)
    )
    say("all runs (msg/s):")
    for key, runs in results.items():
        say(f"  {key:<24} {fmt_rates(median(runs, n)[1])}")
    say(
        f"queueing (not timed in the send): send_letter {rate(q.plain, q.plain_s):.1f} msg/s "
        f"({1000 * q.plain_s / max(q.plain, 1):.1f} ms each), issue_nti with PDF "
        f"{rate(q.formal, q.formal_s):.2f} msg/s ({1000 * q.formal_s / max(q.formal, 1):.0f} ms "
        f"each), together {rate(q.total, q.total_s):.1f} msg/s"
    )
    for c, timers, seconds, profile, prof_seconds in profiles:
        say("")
        say(f"-- where the time goes, {c} connection(s) ({rate(n, seconds):,.0f} msg/s timed) --")
        for line in timers.report(seconds, n):
            say(line)
        say(f"-- cProfile, {c} connection(s), top 15 cumulative ({prof_seconds:.2f} s profiled) --")
        say(top_cumulative(profile))


def main() -> None:
    if sys.argv[1:] == ["--sink"]:
        asyncio.run(sink_main())
        return
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
    parser.add_argument("--connections", default="1,4")
    parser.add_argument("--formal-share", type=float, default=0.1, help="NTIs (with a PDF)")
    parser.add_argument("--skip-smtp-source", action="store_true")
    parser.add_argument(
        "--no-wait", action="store_true", help="do not wait for a quiet machine before each run"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
