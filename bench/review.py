"""The daily review at county scale: a synthetic county on a throwaway PostgreSQL database, with
its threshold episodes open, Notices to Improve running and a day's marks just imported; the
review's time beside the store's threshold query alone on the same data, in the same run.

    python bench/review.py [--pupils N] [--notices N] [--runs 3] [--profile] [--keep]
    python bench/review.py --db URL      # measure again on a database kept by --keep

See bench/README.md for what is measured, the target and the last run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from threshold import (  # noqa: E402  (bench/threshold.py: the same county)
    CLOSED,
    IMPORT_DAY,
    PG_ADMIN,
    TERMS,
    YEAR_DAYS,
    YEAR_END,
    SqlTimer,
    build_county,
    day_csv,
    fmt_s,
    machine,
    now_s,
    print_sql_log,
    say,
)

from attendance.authorities import rules_for  # noqa: E402
from attendance.nti_outcome import served_period  # noqa: E402
from casework.imports import import_csv  # noqa: E402
from casework.thresholds import authority_rules, daily_review, daily_review_once  # noqa: E402
from store.db import upgrade  # noqa: E402
from supportfirst.bootstrap import App, bootstrap  # noqa: E402
from supportfirst.settings import Settings  # noqa: E402

# The next school year's autumn term, so improvement periods running into September can be
# planned (the county's own year ends in July).
NEXT_AUTUMN = (date(2025, 9, 3), date(2025, 12, 19))
# What the review writes: saved once prepared, put back before each measured review.
STATE_TABLES = (
    "threshold_episode",
    "case_entry",
    "notice",
    "notice_delivery",
    "outbox_event",
    "unresolved_n_alert",
    "review_run",
)
NOTICE_ISSUE_DAYS = 30  # notices issued over the last 30 school days before the review


def add_calendars(url: str) -> None:
    """Every school's terms and closures (the county's year and the next autumn term). The
    county's build already gives every school the year's (bench/threshold.py), so only what is
    missing is added."""
    spans = [("term", s, e) for s, e in [*TERMS, NEXT_AUTUMN]]
    spans += [("closure", s, e) for s, e in CLOSED]
    with psycopg.connect(url, autocommit=True) as conn:
        for kind, start, end in spans:
            conn.execute(
                'INSERT INTO calendar_entry (school_urn, kind, start, "end") '
                "SELECT urn, %s, %s, %s FROM school ON CONFLICT DO NOTHING",
                (kind, start, end),
            )


async def add_notices(app: App, url: str, notices: int) -> dict[str, int]:
    """Notices to Improve for `notices` pupils with an open episode, issued over the last
    NOTICE_ISSUE_DAYS school days, each served by email on one parent (one in 20 with a second
    parent still waiting for the post), and a few chronology entries for every such pupil."""
    issue_days = [d for d in YEAR_DAYS if d < YEAR_END][-NOTICE_ISSUE_DAYS:]
    async with app.uow() as uow:
        rules = await authority_rules(uow)
    with psycopg.connect(url) as conn:
        calendar_urn = conn.execute("SELECT min(urn) FROM school").fetchone()[0]  # type: ignore[index]
    async with app.uow() as uow:
        calendar = await uow.registry.calendar(calendar_urn)
    with psycopg.connect(url) as conn:
        cases = conn.execute(
            "SELECT e.upn, e.unauthorised_sessions, e.window_start, e.first_met_on, "
            "s.local_authority FROM threshold_episode e JOIN pupil p USING (upn) "
            "JOIN school s ON s.urn = p.school_urn WHERE e.ended_on IS NULL ORDER BY e.upn"
        ).fetchall()
        step = max(1, len(cases) // notices)
        chosen = cases[::step][:notices]
        now = datetime.now(UTC)
        counts = {"notices": 0, "awaiting_post": 0, "entries": 0}
        with conn.cursor() as cur:
            with cur.copy("COPY parent (parent_id, name, email, email_key) FROM STDIN") as copy:
                for i, (upn, *_rest) in enumerate(chosen):
                    for p in ("1", "2") if i % 20 == 0 else ("1",):
                        address = f"{upn.lower()}.{p}@example.org"
                        copy.write_row((f"P{upn}-{p}", f"Parent {p} of {upn}", address, address))
            with cur.copy("COPY pupil_parent (parent_id, upn, relationship) FROM STDIN") as copy:
                for i, (upn, *_rest) in enumerate(chosen):
                    for p in ("1", "2") if i % 20 == 0 else ("1",):
                        copy.write_row((f"P{upn}-{p}", upn, "parent"))
            for i, (upn, sessions, window_start, met_on, la) in enumerate(chosen):
                issued = issue_days[i % len(issue_days)]
                la_rules = rules.get(la) or rules_for(la, {})
                period = served_period(calendar, issued, [issued], la_rules)
                assert period is not None
                second = i % 20 == 0  # printed for the second parent, not yet posted
                cur.execute(
                    "INSERT INTO notice (upn, authority, issued_on, issued_by, improvement, "
                    "max_further_sessions, trigger_sessions, window_start, period_start, "
                    "period_end, status, met_on, served_start, served_end) VALUES "
                    "(%s, %s, %s, 'U1OFFICER', 'Attend every session.', 2, %s, %s, %s, %s, "
                    "'in_progress', %s, %s, %s) RETURNING id",
                    (
                        upn,
                        la,
                        issued,
                        sessions,
                        window_start,
                        period.start,
                        period.end,
                        met_on,
                        None if second else period.start,
                        None if second else period.end,
                    ),
                )
                notice_id = cur.fetchone()[0]  # type: ignore[index]
                cur.execute(
                    "INSERT INTO notice_delivery (notice_id, parent_id, route, state, "
                    "message_id, deemed_received_on) VALUES (%s, %s, 'email', 'sent', %s, %s)",
                    (notice_id, f"P{upn}-1", f"<nti{notice_id}@school.test>", issued),
                )
                if second:
                    cur.execute(
                        "INSERT INTO notice_delivery (notice_id, parent_id, route, state) "
                        "VALUES (%s, %s, 'post', 'awaiting_post')",
                        (notice_id, f"P{upn}-2"),
                    )
                    counts["awaiting_post"] += 1
                # A chronology as a case has one by then: letters, a meeting, the notice.
                for days_before, kind, summary in (
                    (30, "letter_sent", "initial_concern letter sent by email"),
                    (20, "support", "Meeting offered: in person or by phone"),
                    (10, "letter_sent", "intend_legal_intervention letter sent by email"),
                    (0, "nti_issued", f"Notice to Improve {notice_id} issued"),
                ):
                    cur.execute(
                        "INSERT INTO case_entry (upn, occurred_on, recorded_at, kind, by, "
                        "summary, details) VALUES (%s, %s, %s, %s, 'U1OFFICER', %s, %s)",
                        (
                            upn,
                            issued - timedelta(days=days_before),
                            now,
                            kind,
                            summary,
                            f'{{"notice_id": {notice_id}}}' if kind == "nti_issued" else "{}",
                        ),
                    )
                    counts["entries"] += 1
                counts["notices"] += 1
        conn.commit()
    return counts


def save_state(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for table in STATE_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS bench_saved_{table}")
            conn.execute(f"CREATE TABLE bench_saved_{table} AS TABLE {table}")


def restore_state(url: str) -> None:
    """Put back what the review wrote, so every measured review sees the same day."""
    with psycopg.connect(url) as conn:
        for table in STATE_TABLES:  # a database prepared before the table was added
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS bench_saved_{table} AS TABLE {table} WITH NO DATA"
            )
        conn.execute(f"TRUNCATE {', '.join(STATE_TABLES)} CASCADE")  # outgoing_mail: empty here
        for table in STATE_TABLES:
            conn.execute(f"INSERT INTO {table} SELECT * FROM bench_saved_{table}")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in STATE_TABLES:
            conn.execute(f"VACUUM (ANALYZE) {table}")


async def prepare(args: argparse.Namespace, url: str, results: dict[str, Any]) -> None:
    t0 = now_s()
    if not args.built:
        build = build_county(PG_ADMIN, url, args.pupils)
        results["build"] = build["total"]
        say(f"  county built in {fmt_s(build['total'])}")
    add_calendars(url)
    app = bootstrap(Settings(data_dir=Path(tempfile.mkdtemp())), url, migrate=False)
    try:
        # The review of the last day imported opens the episodes (the real path, timed).
        t1 = now_s()
        events = await daily_review(app.uow(), YEAR_END, datetime.now(UTC))
        results["first_review"] = (now_s() - t1, len(events))
        say(f"  first review ({YEAR_END}): {len(events):,} events in {fmt_s(now_s() - t1)}")
        counts = await add_notices(app, url, args.notices)
        say(f"  {counts}")
        # The same day again with the notices in: breaches so far are raised before the
        # measured day, as daily reviews would have raised them.
        t1 = now_s()
        events = await daily_review(app.uow(), YEAR_END, datetime.now(UTC))
        say(
            f"  review of {YEAR_END} with the notices: {len(events):,} events "
            f"in {fmt_s(now_s() - t1)}"
        )
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT upn, school_urn, 0 FROM pupil ORDER BY upn").fetchall()
        data = day_csv(rows, IMPORT_DAY, seed=20250722)
        t1 = now_s()
        summary = await import_csv(app.uow(), "marks", "day.csv", data, "bench", datetime.now(UTC))
        results["import"] = now_s() - t1
        say(f"  imported {IMPORT_DAY}: {summary} in {fmt_s(results['import'])}")
    finally:
        await app.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    save_state(url)
    say(f"  prepared in {fmt_s(now_s() - t0)}")


async def threshold_alone(app: App, on: date) -> float:
    """The store's threshold query, as the review issues it, and nothing else."""
    t0 = now_s()
    async with app.uow() as uow:
        rules = await authority_rules(uow)
        codes = {la: r.threshold_codes for la, r in rules.items()}
        weeks = max({r.policy.weeks for r in rules.values()} or {10})
        counts = await uow.marks.threshold_counts(on, codes, weeks)
    assert counts
    return now_s() - t0


async def measure(args: argparse.Namespace, url: str, results: dict[str, Any]) -> None:
    app = bootstrap(Settings(data_dir=Path(tempfile.mkdtemp())), url, migrate=False)
    timer = SqlTimer(app.engine)
    try:
        with psycopg.connect(url) as conn:
            sizes = conn.execute(
                "SELECT (SELECT count(*) FROM pupil), (SELECT count(*) FROM threshold_episode "
                "WHERE ended_on IS NULL), (SELECT count(*) FROM notice), "
                "(SELECT count(*) FROM mark WHERE day = %s), "
                "pg_size_pretty(pg_database_size(current_database()))",
                (IMPORT_DAY,),
            ).fetchone()
            results["pg_version"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        results["sizes"] = sizes
        say(
            f"  {sizes[0]:,} pupils, {sizes[1]:,} open episodes, {sizes[2]:,} notices, "  # type: ignore[index]
            f"{sizes[3]:,} marks on {IMPORT_DAY}, database {sizes[4]}"  # type: ignore[index]
        )
        alone: list[float] = []
        reviews: list[float] = []
        events: list[Any] = []
        for run in range(args.runs):
            restore_state(url)
            alone.append(await threshold_alone(app, IMPORT_DAY))
            timer.start()
            t0 = now_s()
            events = await daily_review(app.uow(), IMPORT_DAY, datetime.now(UTC))
            reviews.append(now_s() - t0)
            log = timer.stop()
            alone.append(await threshold_alone(app, IMPORT_DAY))
            kinds: dict[str, int] = {}
            for e in events:
                kinds[type(e).__name__] = kinds.get(type(e).__name__, 0) + 1
            say(
                f"  run {run + 1}: review {fmt_s(reviews[-1])} ({len(log):,} statements, "
                f"{sum(t for t, _, _ in log):.2f} s in them), threshold alone "
                f"{fmt_s(alone[-2])} / {fmt_s(alone[-1])}; events {kinds}"
            )
        print_sql_log(log, top=8)
        # The same day reviewed again (`review` by hand): nothing new to raise, all read again;
        # as a second serve (or a restart) runs it: the day is found done.
        t0 = now_s()
        again = await daily_review(app.uow(), IMPORT_DAY, datetime.now(UTC))
        results["again"] = (now_s() - t0, len(again))
        say(f"  the same day again: {len(again)} events in {fmt_s(results['again'][0])}")
        t0 = now_s()
        skipped = await daily_review_once(app.uow(), IMPORT_DAY, datetime.now(UTC))
        assert skipped is None
        results["once"] = now_s() - t0
        say(f"  the same day again, once a day (serve): skipped in {fmt_s(results['once'])}")
        results["review"] = (statistics.median(reviews), reviews)
        results["alone"] = (statistics.median(alone), alone)
        results["events"] = len(events)
        if args.profile:
            await profile(app, url, results)
    finally:
        await app.close()


async def profile(app: App, url: str, results: dict[str, Any]) -> None:
    from pyinstrument import Profiler

    restore_state(url)
    profiler = Profiler(interval=0.005, async_mode="enabled")
    profiler.start()
    await daily_review(app.uow(), IMPORT_DAY, datetime.now(UTC))
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    out = Path(tempfile.gettempdir()) / f"review-profile-{os.getpid()}.txt"
    out.write_text(text)
    say(f"\n  pyinstrument profile of one more review (also in {out}):")
    for line in text.splitlines()[:80]:
        say("    " + line)


def summary(args: argparse.Namespace, results: dict[str, Any]) -> None:
    say("\nSUMMARY")
    load = os.getloadavg()
    say(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    if "review" in results:
        review, runs = results["review"]
        alone, alones = results["alone"]
        ratio = review / alone
        say(
            f"| daily review, {args.pupils:,} pupils | {fmt_s(review)} "
            f"({', '.join(fmt_s(t) for t in runs)}) | threshold query alone {fmt_s(alone)} "
            f"({', '.join(fmt_s(t) for t in alones)}) | {ratio:.2f}x | <= 2x | "
            f"{'pass' if ratio <= 2 else 'SHORT'} |"
        )
        say(f"| the same day again | {fmt_s(results['again'][0])} | | | | |")
        say(f"| the same day again, once a day (serve) | {fmt_s(results['once'])} | | | | |")
    if "first_review" in results:
        t, n = results["first_review"]
        say(f"| first review ({n:,} events: every episode opened) | {fmt_s(t)} | | | | |")
    if "import" in results:
        say(f"| import the day | {fmt_s(results['import'])} | | | | |")
    for line in machine(results):
        say(line)


async def main_async(args: argparse.Namespace) -> None:
    results: dict[str, Any] = {}
    admin = None
    name = None
    url = args.db
    try:
        if args.built:
            url = args.built
            upgrade(url)
            await prepare(args, url, results)
        elif url is None:
            name = f"bench_review_{args.tag}{uuid.uuid4().hex[:10]}"
            admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
            admin.execute(f'CREATE DATABASE "{name}"')
            url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
            say(f"PostgreSQL database {name}")
            upgrade(url)
            await prepare(args, url, results)
        else:
            upgrade(url)  # a database kept by an earlier run: the tables added since
        await measure(args, url, results)
    finally:
        summary(args, results)
        if admin is not None:
            if args.keep:
                say(f"kept: {url}")
            else:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=250_000)
    parser.add_argument("--notices", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3, help="measured reviews (the median)")
    parser.add_argument("--profile", action="store_true", help="pyinstrument one more review")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--db", help="measure on a database an earlier --keep run prepared")
    parser.add_argument(
        "--built",
        help="a county an earlier --keep run built but did not prepare: prepare and measure",
    )
    parser.add_argument(
        "--tag", default="", help="put into the database's name (several engineers, one server)"
    )
    args = parser.parse_args()
    say(f"review benchmark: {args.pupils:,} pupils, {args.notices:,} notices, on {IMPORT_DAY}")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
