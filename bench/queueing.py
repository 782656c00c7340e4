"""The queueing benchmark: a whole school's letters queued by `letter send --all-met`'s path
(casework.bulk_letters: render, compose, evidence durable per batch, PDFs in a process pool)
beside a bare Jinja2 render + `EmailMessage.as_bytes()` of the same letters, and beside the
one-letter path (`send_letter` per pupil, as `letter send TEMPLATE UPN` runs it), in one run.

    python bench/queueing.py [--pupils 500] [--formal-share 0.1] [--runs 3] [--db URL] [--profile]

A school of N pupils (bench/send.py's: one parent each, consent to email); every tenth pupil has a
Notice to Improve issued before the clock, and gets the notice letter (`nti`, its PDF attached);
the others one of six ordinary letters in turn. See bench/README.md.
"""

# ruff: noqa: E402  (the repository's root is put on the path before the imports)
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import cProfile
import io
import platform
import pstats
import shutil
import statistics
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import text

from bench import send as sendbench  # the school, the databases, the quiet wait
from casework.bulk_letters import send_letters
from casework.notices import issue_nti
from casework.sending import send_letter
from mail.letters import LetterRenderer
from mail.printing import PrintPool
from supportfirst.bootstrap import App, bootstrap
from supportfirst.settings import Settings

ON, NOW, FROM = sendbench.ON, sendbench.NOW, sendbench.FROM
TEMPLATES = sendbench.PLAIN_TEMPLATES[:-1]  # the leave response answers one family's request
OPTIONS = sendbench.OPTIONS
say, now_s = sendbench.say, sendbench.now_s


@dataclass(frozen=True)
class Plan:
    """Which letter each pupil gets: template -> UPNs."""

    groups: dict[str, list[str]]
    mixed: list[tuple[str, str]]  # (template, UPN) in the school's order: one pass

    @property
    def letters(self) -> int:
        return sum(len(u) for u in self.groups.values())

    @property
    def formal(self) -> int:
        return len(self.groups.get("nti", []))


def plan_for(school: sendbench.School) -> Plan:
    formal = set(school.formal)
    plain = [u for u in school.upns if u not in formal]
    groups: dict[str, list[str]] = {t: [] for t in TEMPLATES}
    for i, upn in enumerate(plain):
        groups[TEMPLATES[i % len(TEMPLATES)]].append(upn)
    groups["nti"] = list(school.formal)
    template_of = {u: t for t, upns in groups.items() for u in upns}
    return Plan(groups, [(template_of[u], u) for u in school.upns])


class RecordingRenderer(LetterRenderer):
    """The real renderer, keeping every (template, authority, context) for the bare baseline."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, Mapping[str, Any]]] = []

    def render(self, template: str, authority: str, context: Mapping[str, Any]) -> Any:
        self.seen.append((template, authority, dict(context)))
        return super().render(template, authority, context)


def open_app(dbs: sendbench.Databases, url: str) -> tuple[App, Path]:
    data = dbs.work / f"run-{uuid.uuid4().hex[:6]}"
    return bootstrap(Settings(data_dir=data, SUPPORTFIRST_FROM=FROM), url, migrate=False), data


async def count_queued(app: App) -> int:
    async with app.engine.connect() as conn:
        q = "SELECT count(*) FROM outgoing_mail WHERE state = 'queued'"
        return int((await conn.execute(text(q))).scalar_one())


@dataclass
class Timed:
    all_s: float
    plain_s: float
    formal_s: float


async def bulk_run(
    dbs: sendbench.Databases, plan: Plan, printer: PrintPool, who: str, prof: Any = None
) -> Timed:
    """`send_letters` per template on a fresh copy (what `letter send T --all-met` runs)."""
    url = dbs.clone()
    app, data = open_app(dbs, url)
    try:
        before = await count_queued(app)
        mailroom = replace(app.mailroom(), printer=printer)
        if prof:
            prof.enable()
        t0 = now_s()
        done = await send_letters(app.uow, mailroom, plan.mixed, who, ON, NOW, OPTIONS)
        total = now_s() - t0
        if prof:
            prof.disable()
        if done.refused:
            raise RuntimeError(f"refused: {done.refused[:3]}")
        if await count_queued(app) - before != plan.letters:
            raise RuntimeError("not every letter was queued")
        return Timed(total, float("nan"), float("nan"))
    finally:
        await app.close()
        dbs.drop(url)
        shutil.rmtree(data, ignore_errors=True)


async def one_by_one_run(dbs: sendbench.Databases, plan: Plan, who: str) -> Timed:
    """`send_letter` per pupil (each its own unit of work, fsyncs and PDF in line)."""
    url = dbs.clone()
    app, data = open_app(dbs, url)
    try:
        mailroom = app.mailroom()
        t0 = now_s()
        for template, upns in plan.groups.items():
            t1 = now_s()
            for upn in upns:
                await send_letter(app.uow(), mailroom, template, upn, who, ON, NOW, OPTIONS)
            formal_s = now_s() - t1 if template == "nti" else 0.0
        total = now_s() - t0
        return Timed(total, total - formal_s, formal_s)
    finally:
        await app.close()
        dbs.drop(url)
        shutil.rmtree(data, ignore_errors=True)


def bare_run(seen: list[tuple[str, str, Mapping[str, Any]]]) -> Timed:
    """Jinja2 alone (environments compiled before the clock), WeasyPrint's `write_pdf` for a
    notice's copy, `EmailMessage` and `as_bytes()`: the same letters, no database, no disk."""
    from weasyprint import CSS, HTML

    from documents.pdf import PRINT_CSS

    css = CSS(string=PRINT_CSS)
    renderer = LetterRenderer()
    envs = {(a, h): renderer._environment(a, h) for _, a, _ in seen for h in (False, True)}
    for t, a, _ in seen:  # compile before the clock, as a long-running service would have
        envs[(a, False)].get_template(f"letters/{t}.txt.j2")
        envs[(a, True)].get_template(f"letters/{t}.html.j2")
    plain_s = formal_s = 0.0
    for template, authority, context in seen:
        t0 = now_s()
        txt = envs[(authority, False)].get_template(f"letters/{template}.txt.j2")
        module = txt.make_module(dict(context))  # one render: the text and its subject
        subject, text_part = str(getattr(module, "subject", template)), str(module)
        ctx = {**context, "subject": subject}
        html = envs[(authority, True)].get_template(f"letters/{template}.html.j2").render(ctx)
        msg = EmailMessage()
        msg["From"] = f"School <{FROM}>"
        msg["To"] = f"{context['parent'].name} <parent@example.org>"
        msg["Subject"] = subject.strip()
        msg["Date"] = format_datetime(NOW)
        msg["Message-ID"] = make_msgid(domain="school.example.org")
        msg.set_content(text_part)
        msg.add_alternative(html, subtype="html")
        if template == "nti":
            pdf = HTML(string=html).write_pdf(stylesheets=[css])
            msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="nti.pdf")
        raw = msg.as_bytes(policy=SMTP)
        assert raw
        if template == "nti":
            formal_s += now_s() - t0
        else:
            plain_s += now_s() - t0
    return Timed(plain_s + formal_s, plain_s, formal_s)


async def build(dbs: sendbench.Databases, n: int, share: float) -> tuple[Plan, str, Path]:
    url = dbs.create_base()
    base = dbs.work / "base"
    app = bootstrap(Settings(data_dir=base, SUPPORTFIRST_FROM=FROM), url, migrate=True)
    try:
        school = await sendbench.build_school(app, n, share)
        who = await sendbench.staff(app)
        mailroom = app.mailroom()
        for upn in school.formal:  # issued before the clock; the letter is sent again below
            notice = "No unauthorised absence"
            await issue_nti(app.uow(), mailroom, upn, who, notice, sendbench.NTI_ON, 0, NOW)
    finally:
        await app.close()
    return plan_for(school), who, base


async def contexts(dbs: sendbench.Databases, plan: Plan, who: str) -> list[Any]:
    url = dbs.clone()
    app, data = open_app(dbs, url)
    try:
        renderer = RecordingRenderer()
        mailroom = replace(app.mailroom(), renderer=renderer)
        await send_letters(app.uow, mailroom, plan.mixed, who, ON, NOW, OPTIONS)
        return renderer.seen
    finally:
        await app.close()
        dbs.drop(url)
        shutil.rmtree(data, ignore_errors=True)


def rates(plan: Plan, runs: list[Timed]) -> tuple[float, float, float, list[float]]:
    n, f = plan.letters, plan.formal
    each = [n / r.all_s for r in runs]
    return (
        statistics.median(each),
        statistics.median((n - f) / r.plain_s for r in runs),
        statistics.median(f / r.formal_s for r in runs) if f else 0.0,
        each,
    )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pupils", type=int, default=500)
    ap.add_argument("--formal-share", type=float, default=0.1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--db", default=None, help="a postgresql:// URL (default: temp SQLite)")
    ap.add_argument("--profile", action="store_true", help="cProfile one more bulk run")
    ap.add_argument("--skip-one-by-one", action="store_true")
    ap.add_argument("--no-wait", action="store_true")
    args = ap.parse_args()
    quiet = sendbench.Quiet(enabled=not args.no_wait)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        dbs = sendbench.Databases(args.db, Path(tmp), "bench_queue")
        try:
            t0 = now_s()
            plan, who, _ = await build(dbs, args.pupils, args.formal_share)
            say(f"built {args.pupils} pupils, {plan.formal} notices in {now_s() - t0:.0f} s")
            seen = await contexts(dbs, plan, who)
            with PrintPool() as printer:
                printer.warm()
                say(f"print pool: {printer.workers} worker processes (started before the clock)")
                bulk, bare, single = [], [], []
                for i in range(args.runs):
                    quiet.wait()
                    bare.append(bare_run(seen))
                    quiet.wait()
                    bulk.append(await bulk_run(dbs, plan, printer, who))
                    if not args.skip_one_by_one:
                        quiet.wait()
                        single.append(await one_by_one_run(dbs, plan, who))
                    say(f"round {i + 1}: bare {bare[-1]}, bulk {bulk[-1]}")
                report(args, dbs, plan, bare, bulk, single, quiet)
                if args.profile:
                    prof = cProfile.Profile()
                    await bulk_run(dbs, plan, printer, who, prof)
                    out = io.StringIO()
                    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(30)
                    say(out.getvalue())
                    out = io.StringIO()
                    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(20)
                    say(out.getvalue())
        finally:
            dbs.close()


def report(
    args: Any,
    dbs: sendbench.Databases,
    plan: Plan,
    bare: list[Timed],
    bulk: list[Timed],
    single: list[Timed],
    quiet: sendbench.Quiet,
) -> None:
    import os

    say(
        f"\n{dbs.kind} {dbs.version}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {quiet.note()}"
    )
    say(f"{plan.letters} letters ({plan.formal} NTIs with their PDF), median of {args.runs}")
    b = rates(plan, bare)
    rows = [("bare Jinja2 + as_bytes()", b), ("letter send --all-met (bulk)", rates(plan, bulk))]
    if single:
        rows.append(("send_letter per pupil", rates(plan, single)))
    say("| | all letters/s | ordinary/s | NTI/s | ratio to bare (all; ordinary; NTI) | runs |")
    say("| --- | ---: | ---: | ---: | --- | --- |")
    for name, (a, p, f, each) in rows:
        ratio = f"{a / b[0]:.2f}; {p / b[1]:.2f}; {f / b[2]:.2f}" if b[2] else f"{a / b[0]:.2f}"
        say(
            f"| {name} | {a:.0f} | {p:.0f} | {f:.1f} | {ratio} | "
            + ", ".join(f"{x:.0f}" for x in each)
            + " |"
        )


if __name__ == "__main__":
    asyncio.run(main())
