"""Measure again on a county `bench/threshold.py --keep` built: import one further day through
`import_csv`, and (with --threshold) the threshold beside the naive query.

    python bench/import_day.py --db postgresql://…/bench_threshold_x --day 2025-07-24
    #   --threshold   threshold_report and the naive query, median of 3 each, compared
    #   --profile     cProfile the import (top 25 cumulative)

To compare two versions of the code on two copies of one county (CREATE DATABASE ... TEMPLATE),
run this file from each version's checkout in turn, alternating, each day on both copies.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from threshold import (  # noqa: E402
    NAIVE_PG,
    ON,
    SqlTimer,
    compare,
    day_csv,
    fmt_s,
    median_of,
    now_s,
    peak_mb,
    print_sql_log,
    reset_peak,
    say,
    week_summary_mismatches,
)

from casework.imports import import_csv  # noqa: E402
from casework.thresholds import threshold_report  # noqa: E402
from supportfirst.bootstrap import bootstrap  # noqa: E402
from supportfirst.settings import Settings  # noqa: E402


async def run(args: argparse.Namespace) -> None:
    url, day = args.db, date.fromisoformat(args.day)
    with psycopg.connect(url) as conn:
        pupils = conn.execute("SELECT upn, school_urn, 0 FROM pupil ORDER BY upn").fetchall()
        partitioned = conn.execute(
            "SELECT relkind = 'p' FROM pg_class WHERE relname = 'mark'"
        ).fetchone()[0]  # type: ignore[index]
    say(f"{url.rsplit('/', 1)[1]}: mark {'partitioned by month' if partitioned else 'one table'}")
    app = bootstrap(Settings(data_dir=Path(tempfile.mkdtemp())), url, migrate=False)
    timer = SqlTimer(app.engine)
    if args.threshold:
        reset_peak()
        app_med, app_times, app_rows = 0.0, [], []
        for _ in range(3):
            t0 = now_s()
            app_rows = await threshold_report(app.uow(), ON, include_all=True)
            app_times.append(now_s() - t0)
        app_med = sorted(app_times)[1]
        rss = peak_mb()
        with psycopg.connect(url) as conn:
            naive_med, naive_times, naive_rows = median_of(
                3, lambda: conn.execute(NAIVE_PG, {"on": ON}).fetchall()
            )
        say(
            f"  threshold: store {', '.join(fmt_s(t) for t in app_times)} (median "
            f"{fmt_s(app_med)}); naive {', '.join(fmt_s(t) for t in naive_times)} (median "
            f"{fmt_s(naive_med)}); ratio {naive_med / app_med:.1f}x; "
            f"{compare(app_rows, naive_rows)}; peak RSS {rss:.0f} MB"
        )
    data = day_csv(pupils, day, seed=day.toordinal())
    prof = cProfile.Profile() if args.profile else None
    reset_peak()
    timer.start()
    t0 = now_s()
    if prof:
        prof.enable()
    summary = await import_csv(app.uow(), "marks", "day.csv", data, "bench", datetime.now(UTC))
    if prof:
        prof.disable()
    t_import = now_s() - t0
    log = timer.stop()
    rows = data.count(b"\n") - 1
    say(
        f"  import {day}: {rows:,} rows in {fmt_s(t_import)} ({summary}); "
        f"peak RSS {peak_mb():.0f} MB"
    )
    print_sql_log(log, top=6)
    monday = day - timedelta(days=day.weekday())
    with psycopg.connect(url) as conn:
        bad = week_summary_mismatches(conn, monday)
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]  # type: ignore[index]
    say(f"  pupil_week against a recount: {bad} differ; database {size / 2**30:.2f} GiB")
    if prof:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
        for line in buf.getvalue().splitlines():
            if line.strip():
                say("    " + line)
    await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--day", required=True, help="YYYY-MM-DD, a day not imported yet")
    parser.add_argument("--threshold", action="store_true")
    parser.add_argument("--profile", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
