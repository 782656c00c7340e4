"""The threshold benchmark: a synthetic county on a throwaway PostgreSQL database, and one school
on SQLite, each measured beside a bare baseline in the same run.

    python bench/threshold.py [--pupils N] [--keep | --db URL] [--profile] [--skip-sqlite]

See bench/README.md for what is measured, the targets and the last full run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import platform
import pstats
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy import event  # noqa: E402

from casework.imports import import_csv  # noqa: E402
from casework.thresholds import threshold_report  # noqa: E402
from store.db import upgrade  # noqa: E402
from store.mark_partitions import months_between, partition_name, partition_sql  # noqa: E402
from supportfirst.bootstrap import bootstrap  # noqa: E402
from supportfirst.settings import Settings  # noqa: E402

PG_ADMIN = os.environ.get("SUPPORTFIRST_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

# ---------------------------------------------------------------------------------------------
# The synthetic year: English terms 2024-25 (Essex/Norfolk/Suffolk dates), Monday to Friday.
TERMS = [
    (date(2024, 9, 4), date(2024, 12, 20)),  # autumn (Christmas holiday after)
    (date(2025, 1, 6), date(2025, 4, 4)),  # spring (Easter holiday after)
    (date(2025, 4, 22), date(2025, 7, 23)),  # summer
]
CLOSED = [
    (date(2024, 10, 28), date(2024, 11, 1)),  # autumn half-term
    (date(2025, 2, 17), date(2025, 2, 21)),  # spring half-term
    (date(2025, 5, 5), date(2025, 5, 5)),  # early May bank holiday
    (date(2025, 5, 26), date(2025, 5, 30)),  # summer half-term
]
YEAR_END = date(2025, 7, 21)  # the synthetic year stops here (a Monday) ...
IMPORT_DAY = date(2025, 7, 22)  # ... and this school day (a Tuesday) is imported, measured
PROFILE_DAY = date(2025, 7, 23)  # a further day, imported under cProfile when asked
ON = date(2025, 7, 18)  # the threshold date (a Friday late in the year)
LAS = ("Essex", "Norfolk", "Suffolk")


def school_days() -> list[date]:
    days = []
    for start, end in TERMS:
        d = start
        while d <= end:
            if d.weekday() < 5 and not any(a <= d <= b for a, b in CLOSED):
                days.append(d)
            d += timedelta(days=1)
    return days


YEAR_DAYS = [d for d in school_days() if d <= YEAR_END]

# ---------------------------------------------------------------------------------------------
# The code mix. Pupils have a profile: 88 % usual, 8 % some absence, 4 % persistent absence.
PROFILE_PERCENT = (88, 8, 4)
# Per pupil-day, in 1/10,000, by profile: a whole-day absence code (AM and PM alike) ...
DAY_CODES: list[tuple[str, tuple[int, int, int]]] = [
    ("I", (300, 600, 900)),
    ("O", (40, 350, 1100)),
    ("G", (20, 60, 150)),
    ("N", (15, 50, 120)),
    ("C", (30, 40, 50)),
    ("M", (60, 80, 100)),  # morning appointment: AM `M`, PM present
    ("D", (8, 8, 8)),
    ("Y1", (3, 3, 3)),
    ("X", (2, 2, 2)),
]
# ... else per session, in 1/10,000: late after the register closed, late before; else present.
SESSION_CODES: list[tuple[str, tuple[int, int, int]]] = [
    ("U", (20, 150, 400)),
    ("L", (200, 400, 600)),
]
# Per school-day, in 1/1,000: planned closure (INSET) and unexpected closure (snow).
SCHOOL_DAY_CODES = [("#", 15), ("Y4", 2)]
HOLIDAY_PERCENT = 5  # pupils taken out of school for one term-time week (10 sessions of G)
LATE_JOINER_PER_MILLE = 5  # pupils on roll (Z before) only from some day in the spring/summer
MOVER_EVERY = 5  # every fifth pupil moved school mid-year
# Pupils whose school sent no register for one week of the summer term (issue 11 point 2:
# "registers missing"), one of the BLANK_WEEKS weeks from BLANK_FROM.
BLANK_PER_MILLE = 5
BLANK_FROM, BLANK_WEEKS = date(2025, 6, 2), 6


def _cumulative(codes: list[tuple[str, tuple[int, int, int]]]) -> list[tuple[str, list[int]]]:
    cum, out = [0, 0, 0], []
    for code, probs in codes:
        cum = [c + p for c, p in zip(cum, probs, strict=True)]
        out.append((code, cum))
    return out


def py_codes(rng: random.Random, profile: int, school_code: str | None = None) -> tuple[str, str]:
    """One pupil-day's AM and PM codes, with the same mix the SQL generator uses."""
    if school_code:
        return school_code, school_code
    rd = rng.randrange(10000)
    for code, cum in _cumulative(DAY_CODES):
        if rd < cum[profile]:
            return (code, "\\") if code == "M" else (code, code)
    out = []
    for present in ("/", "\\"):
        rs, code = rng.randrange(10000), present
        for c, cum in _cumulative(SESSION_CODES):
            if rs < cum[profile]:
                code = c
                break
        out.append(code)
    return out[0], out[1]


def py_profile(rng: random.Random) -> int:
    r = rng.randrange(100)
    return 0 if r < PROFILE_PERCENT[0] else 1 if r < sum(PROFILE_PERCENT[:2]) else 2


# ---------------------------------------------------------------------------------------------
# Small helpers: timing, memory, output.


def now_s() -> float:
    return time.perf_counter()


def median_of(n: int, fn: Callable[[], Any]) -> tuple[float, list[float], Any]:
    times, result = [], None
    for _ in range(n):
        t0 = now_s()
        result = fn()
        times.append(now_s() - t0)
    return statistics.median(times), times, result


def reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark, so ru_maxrss reports this phase's peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def say(*args: object) -> None:
    print(*args, flush=True)


def fmt_s(t: float) -> str:
    return f"{t:.2f} s" if t < 100 else f"{t:.0f} s"


class SqlTimer:
    """Times every statement the app issues through SQLAlchemy (COPY goes around it)."""

    def __init__(self, engine: Any) -> None:
        self.on = False
        self.log: list[tuple[float, str, Any]] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(
        self, conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool
    ) -> None:
        conn.info.setdefault("bench_t0", []).append(now_s())

    def _after(
        self, conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool
    ) -> None:
        t = now_s() - conn.info["bench_t0"].pop()
        if self.on:
            self.log.append((t, statement, params))

    def start(self) -> None:
        self.log, self.on = [], True

    def stop(self) -> list[tuple[float, str, Any]]:
        self.on = False
        return self.log


def short_sql(statement: str, width: int = 110) -> str:
    one = " ".join(statement.split())
    return one if len(one) <= width else one[: width - 3] + "..."


def print_sql_log(log: list[tuple[float, str, Any]], top: int = 12) -> None:
    total = sum(t for t, _, _ in log)
    say(f"    {len(log)} statements through SQLAlchemy, {total:.2f} s in all; the slowest:")
    for t, statement, _ in sorted(log, key=lambda x: -x[0])[:top]:
        say(f"    {t:8.3f} s  {short_sql(statement)}")


# ---------------------------------------------------------------------------------------------
# PostgreSQL: the synthetic county, built server-side.


def week_summary_mismatches(conn: psycopg.Connection, monday: date) -> int:
    """Rows of `pupil_week` for the week of `monday` that differ from a recount of `mark`
    (either way): 0 when the import kept the summary right."""
    recount = PUPIL_WEEK_SELECT.format(where="WHERE day >= %(m)s", order="")
    stored = "SELECT upn, monday, school, g, o, u, n FROM pupil_week WHERE monday = %(m)s"
    bad = conn.execute(
        f"SELECT (SELECT count(*) FROM (({recount}) EXCEPT ALL ({stored})) a) "
        f"+ (SELECT count(*) FROM (({stored}) EXCEPT ALL ({recount})) b)",
        {"m": monday},
    ).fetchone()[0]  # type: ignore[index]
    return int(bad)


def drop_and_recreate_keys(conn: psycopg.Connection, table: str) -> list[str]:
    """Drop a table's primary key and indexes for the bulk load; return the DDL to restore them."""
    restore = []
    for name, definition in conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'p'",
        (table,),
    ):
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, definition in conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s",
        (table,),
    ).fetchall():
        # A partitioned table's index reads "ON ONLY mark": made so, it would cover no partition.
        restore.append(definition.replace(" ON ONLY ", " ON "))
        conn.execute(f'DROP INDEX "{name}"')
    return restore


def mark_insert_sql(lo: int, hi: int) -> str:
    def by_profile(values: list[int]) -> str:
        return f"(ARRAY[{values[0]}, {values[1]}, {values[2]}])[y.profile + 1]"

    whens = ["WHEN y.di < y.join_di THEN 'Z'"]
    cum = 0
    for code, per_mille in SCHOOL_DAY_CODES:
        cum += per_mille
        whens.append(f"WHEN y.sr < {cum} THEN '{code}'")
    whens.append("WHEN y.wk = y.holiday_wk THEN 'G'")
    for code, values in _cumulative(DAY_CODES):
        if code == "M":
            whens.append(
                f"WHEN y.rd < {by_profile(values)} THEN CASE WHEN y.sn = 0 THEN 'M' ELSE '\\' END"
            )
        else:
            whens.append(f"WHEN y.rd < {by_profile(values)} THEN '{code}'")
    for code, values in _cumulative(SESSION_CODES):
        whens.append(f"WHEN y.rs < {by_profile(values)} THEN '{code}'")
    whens.append("WHEN y.sn = 0 THEN '/' ELSE '\\'")
    return f"""
        INSERT INTO mark (upn, day, session, school_urn, code)
        SELECT y.upn, y.d, y.session, (100000 + y.sch)::text, CASE {" ".join(whens)} END
        FROM (
            SELECT x.*, s.session, s.sn,
                   abs(hashint8extended(x.id * 1000000 + x.di * 2 + s.sn, 13)) % 10000 AS rs
            FROM (
                SELECT p.id::bigint AS id, p.upn, p.profile, p.join_di, p.holiday_wk,
                       d.di, d.d, d.wk, c.sch,
                       abs(hashint8extended(c.sch * 1000 + d.di, 12)) % 1000 AS sr,
                       abs(hashint8extended(p.id::bigint * 1000 + d.di, 11)) % 10000 AS rd
                FROM bench_pupil p CROSS JOIN bench_day d
                CROSS JOIN LATERAL (SELECT CASE WHEN d.di < p.move_di THEN p.old_school
                                                ELSE p.cur_school END::bigint AS sch) c
                WHERE d.di >= {lo} AND d.di < {hi}
                  AND NOT (d.wk = p.blank_wk AND c.sch = p.cur_school)
                OFFSET 0
            ) x CROSS JOIN (VALUES ('AM', 0), ('PM', 1)) s(session, sn)
            OFFSET 0
        ) y
        ORDER BY y.d, y.upn, y.session
    """


def mover_z_insert_sql(lo: int, hi: int) -> str:
    """Registers are per school: a mover's new school records `Z` (not yet on roll) for every
    session before the move, beside the old school's own marks for them."""
    return f"""
        INSERT INTO mark (upn, day, session, school_urn, code)
        SELECT p.upn, d.d, s.session, (100000 + p.cur_school)::text, 'Z'
        FROM bench_pupil p JOIN bench_day d ON d.di < p.move_di
        CROSS JOIN (VALUES ('AM'), ('PM')) s(session)
        WHERE p.old_school <> p.cur_school AND d.di >= {lo} AND d.di < {hi}
          AND d.wk <> p.blank_wk
        ORDER BY d.d, p.upn, s.session
    """


PUPIL_WEEK_SELECT = """
    SELECT upn, monday,
           COALESCE(SUM(bit) FILTER (WHERE code NOT IN ('#', 'Y4', 'Z')), 0),
           COALESCE(SUM(bit) FILTER (WHERE code = 'G'), 0),
           COALESCE(SUM(bit) FILTER (WHERE code = 'O'), 0),
           COALESCE(SUM(bit) FILTER (WHERE code = 'U'), 0),
           COALESCE(SUM(bit) FILTER (WHERE code = 'N'), 0)
    FROM (
        SELECT upn, code,
               day - (EXTRACT(ISODOW FROM day)::int - 1) AS monday,
               1 << (2 * (EXTRACT(ISODOW FROM day)::int - 1)
                     + CASE WHEN session = 'PM' THEN 1 ELSE 0 END) AS bit
        FROM mark {where}
    ) m
    GROUP BY upn, monday
    {order}
"""
PUPIL_WEEK_SQL = "INSERT INTO pupil_week (upn, monday, school, g, o, u, n)" + PUPIL_WEEK_SELECT
# Each school's span of marks per pupil, as migration 0022 fills it and the import keeps it
# (open where the school is the pupil's school of record): the first look reads the movers'.
PUPIL_ROLL_SQL = """
    INSERT INTO pupil_roll (upn, school_urn, first_day, last_day)
    SELECT m.upn, m.school_urn, MIN(m.day),
           CASE WHEN MAX(p.school_urn) = m.school_urn THEN NULL ELSE MAX(m.day) END
    FROM mark m JOIN pupil p ON p.upn = m.upn GROUP BY m.upn, m.school_urn
"""


def build_county(admin_url: str, url: str, pupils: int) -> dict[str, float]:
    """Schools, pupils, a year of marks and the pupil_week summary, all server-side SQL."""
    timings: dict[str, float] = {}
    schools = max(1, round(pupils / 1000))
    ndays = len(YEAR_DAYS)
    mondays = sorted({d - timedelta(days=d.weekday()) for d in YEAR_DAYS})
    week_index = {m: i for i, m in enumerate(mondays)}
    t_all = now_s()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute(
            "CREATE UNLOGGED TABLE bench_day (di int PRIMARY KEY, d date NOT NULL, wk int NOT NULL)"
        )
        with conn.cursor().copy("COPY bench_day (di, d, wk) FROM STDIN") as copy:
            for i, d in enumerate(YEAR_DAYS):
                copy.write_row((i, d, week_index[d - timedelta(days=d.weekday())]))
        conn.execute(f"""
            CREATE UNLOGGED TABLE bench_pupil AS
            SELECT i AS id, 'A' || lpad(i::text, 12, '0') AS upn, c.cur AS cur_school,
                   CASE WHEN i % {MOVER_EVERY} = 0 AND {schools} > 1
                        THEN (c.cur + 1 + abs(hashint8extended(i, 2)) % {max(schools - 1, 1)})
                             % {schools}
                        ELSE c.cur END::int AS old_school,
                   CASE WHEN i % {MOVER_EVERY} = 0 AND {schools} > 1
                        THEN 15 + abs(hashint8extended(i, 3)) % {ndays - 40}
                        ELSE 0 END::int AS move_di,
                   CASE WHEN abs(hashint8extended(i, 4)) % 100 < {PROFILE_PERCENT[0]} THEN 0
                        WHEN abs(hashint8extended(i, 4)) % 100 < {sum(PROFILE_PERCENT[:2])} THEN 1
                        ELSE 2 END AS profile,
                   CASE WHEN abs(hashint8extended(i, 5)) % 100 < {HOLIDAY_PERCENT}
                        THEN abs(hashint8extended(i, 6)) % {len(mondays)}
                        ELSE -1 END::int AS holiday_wk,
                   CASE WHEN abs(hashint8extended(i, 7)) % 1000 < {LATE_JOINER_PER_MILLE}
                        THEN 100 + abs(hashint8extended(i, 8)) % 80
                        ELSE 0 END::int AS join_di,
                   CASE WHEN abs(hashint8extended(i, 9)) % 1000 < {BLANK_PER_MILLE}
                        THEN {week_index[BLANK_FROM]} + abs(hashint8extended(i, 10)) % {BLANK_WEEKS}
                        ELSE -1 END::int AS blank_wk
            FROM generate_series(1, {pupils}) i,
                 LATERAL (SELECT ((i - 1)::bigint * {schools} / {pupils})::int AS cur) c
        """)
        conn.execute("ALTER TABLE bench_pupil ADD PRIMARY KEY (id)")
        conn.execute(f"""
            INSERT INTO school (urn, name, local_authority)
            SELECT (100000 + s)::text, 'School ' || s,
                   (ARRAY['{"', '".join(LAS)}'])[s % {len(LAS)} + 1]
            FROM generate_series(0, {schools - 1}) s
        """)
        # Every school keeps the same calendar (the terms and closures above): the weeks of
        # term the missing-registers check compares each pupil's weeks with.
        with conn.cursor().copy(
            'COPY calendar_entry (school_urn, kind, start, "end") FROM STDIN'
        ) as copy:
            for s in range(schools):
                for kind, spans in (("term", TERMS), ("closure", CLOSED)):
                    for start, end in spans:
                        copy.write_row((str(100000 + s), kind, start, end))
        conn.execute("""
            INSERT INTO pupil (upn, first_name, last_name, date_of_birth, school_urn, year_group)
            SELECT upn, 'Pupil', 'Number ' || id, date '2009-09-01' + (id % 3650),
                   (100000 + cur_school)::text, ((id % 11) + 1)::text
            FROM bench_pupil ORDER BY id
        """)
        # mark partitioned by month (PostgreSQL, migration 0023): the year's months first.
        for month in months_between(YEAR_DAYS[0], PROFILE_DAY):
            with conn.transaction():
                create = conn.cursor()
                if create.execute(
                    "SELECT to_regclass(%s) IS NULL AND (SELECT relkind FROM pg_class "
                    "WHERE relname = 'mark') = 'p'",
                    (partition_name(month),),
                ).fetchone()[0]:  # type: ignore[index]
                    for sql in partition_sql(month):
                        create.execute(sql)  # type: ignore[arg-type]
        restore = drop_and_recreate_keys(conn, "mark") + drop_and_recreate_keys(conn, "pupil_week")
    timings["schools and pupils"] = now_s() - t_all

    # The marks, a few days at a time on two connections (the machine has two cores), so the
    # table is laid out day by day as a real one that grew by daily imports. Foreign keys are
    # not checked row by row (session_replication_role): every upn and urn exists.
    t0 = now_s()
    chunk = 4  # school days
    ranges = [(lo, min(lo + chunk, ndays)) for lo in range(0, ndays, chunk)]
    done = [0]

    def load(r: tuple[int, int]) -> None:
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("SET synchronous_commit = off")
            c.execute("SET session_replication_role = replica")
            c.execute("SET work_mem = '256MB'")
            c.execute(mark_insert_sql(*r))
            c.execute(mover_z_insert_sql(*r))
        done[0] += 1
        if done[0] % 10 == 0 or done[0] == len(ranges):
            say(f"    marks: {done[0]}/{len(ranges)} chunks, {now_s() - t0:.0f} s")

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(load, ranges))
    timings["marks (INSERT ... SELECT)"] = now_s() - t0

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '2GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        conn.execute("SET work_mem = '2GB'")
        t0 = now_s()
        for ddl in restore:
            if "pupil_week" not in ddl:
                conn.execute(ddl)
        timings["mark keys and indexes"] = now_s() - t0
        t0 = now_s()
        # Ordered as a real table grows (a week's rows arrive together, week after week).
        conn.execute(PUPIL_WEEK_SQL.format(where="", order="ORDER BY monday, upn"))
        for ddl in restore:
            if "pupil_week" in ddl:
                conn.execute(ddl)
        timings["pupil_week (one GROUP BY over mark)"] = now_s() - t0
        t0 = now_s()
        conn.execute(PUPIL_ROLL_SQL)
        timings["pupil_roll (one GROUP BY over mark)"] = now_s() - t0
        t0 = now_s()
        conn.execute("VACUUM (ANALYZE) mark")
        conn.execute("VACUUM (ANALYZE) pupil_week")
        conn.execute("VACUUM (ANALYZE) pupil_roll")
        conn.execute("VACUUM (ANALYZE) pupil")
        conn.execute("VACUUM (ANALYZE) school")
        timings["VACUUM ANALYZE"] = now_s() - t0
    timings["total"] = now_s() - t_all
    return timings


# ---------------------------------------------------------------------------------------------
# The naive queries: per pupil, the last 10 weeks with a school session, over raw marks.

NAIVE_PG = """
    WITH weeks AS (
        SELECT upn, date_trunc('week', day)::date AS monday,
               count(*) FILTER (WHERE code IN ('G', 'O', 'U')) AS c
        FROM mark WHERE day <= %(on)s
        GROUP BY 1, 2
        HAVING bool_or(code NOT IN ('#', 'Y4', 'Z'))
    ), ranked AS (
        SELECT upn, monday, c,
               row_number() OVER (PARTITION BY upn ORDER BY monday DESC) AS rn
        FROM weeks
    )
    SELECT upn, sum(c)::int, min(monday) FROM ranked WHERE rn <= 10
    GROUP BY upn HAVING sum(c) > 0
"""

NAIVE_SQLITE = """
    WITH weeks AS (
        SELECT upn, date(day, 'weekday 0', '-6 days') AS monday,
               sum(code IN ('G', 'O', 'U')) AS c
        FROM mark WHERE day <= ?
        GROUP BY 1, 2
        HAVING max(code NOT IN ('#', 'Y4', 'Z')) = 1
    ), ranked AS (
        SELECT upn, monday, c,
               row_number() OVER (PARTITION BY upn ORDER BY monday DESC) AS rn
        FROM weeks
    )
    SELECT upn, sum(c), min(monday) FROM ranked WHERE rn <= 10
    GROUP BY upn HAVING sum(c) > 0
"""


def compare(app_rows: list[Any], naive_rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Both sides: every pupil with a counted session, their count and window start."""
    a = {r.upn: (r.unauthorised_sessions, str(r.window_start)) for r in app_rows}
    n = {r[0]: (int(r[1]), str(r[2])) for r in naive_rows}
    differ = sum(1 for k in a.keys() | n.keys() if a.get(k) != n.get(k))
    met_a = {k for k, v in a.items() if v[0] >= 10}
    met_n = {k for k, v in n.items() if v[0] >= 10}
    return {
        "app_listed": len(a),
        "naive_listed": len(n),
        "met_app": len(met_a),
        "met_naive": len(met_n),
        "met_mismatch": len(met_a ^ met_n),
        "mismatch": differ,
        # Listed pupils with a week of term and no register in their window (BLANK_PER_MILLE).
        "registers_missing": sum(1 for r in app_rows if r.registers_missing),
    }


# ---------------------------------------------------------------------------------------------
# The measured day's CSV.


def day_csv(pupil_rows: list[tuple[str, str, int]], day: date, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = ["upn,school_urn,date,session,code"]
    iso = day.isoformat()
    for upn, urn, profile in pupil_rows:
        am, pm = py_codes(rng, profile)
        lines.append(f"{upn},{urn},{iso},AM,{am}")
        lines.append(f"{upn},{urn},{iso},PM,{pm}")
    return ("\n".join(lines) + "\n").encode()


# ---------------------------------------------------------------------------------------------
# The PostgreSQL run.


def explain_window_query(url: str, log: list[tuple[float, str, Any]]) -> list[str]:
    """EXPLAIN ANALYZE the store's threshold query exactly as it was issued (captured)."""
    out = []
    # PostgreSQL: the per-pupil LATERAL query; SQLite: the ranked window (store/thresholds.py).
    queries = [(t, s, p) for t, s, p in log if "CROSS JOIN LATERAL" in s or "WITH visible AS" in s]
    out.append(
        f"the store issued {len(queries)} threshold queries: "
        + ", ".join(f"{t:.2f} s" for t, _, _ in queries)
    )
    if not queries:
        return out
    _, statement, params = max(queries, key=lambda q: q[0])
    with psycopg.connect(url) as conn:
        cur = psycopg.ClientCursor(conn)
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        out += [r[0] for r in cur.fetchall()]
    return out


async def measure_threshold(
    app: Any, timer: SqlTimer, url: str, args: argparse.Namespace, results: dict[str, Any]
) -> None:
    """(b) the threshold for every pupil, beside the naive query over raw marks (median of 3
    each), compared pupil by pupil."""
    say(f"\nthreshold on {ON} for every pupil (3 runs each)")
    app_times, app_rows = [], []
    reset_peak()
    timer.start()
    for _ in range(3):
        t0 = now_s()
        app_rows = await threshold_report(app.uow(), ON, include_all=True)
        app_times.append(now_s() - t0)
    eval_log = timer.stop()
    results["rss_eval_mb"] = peak_mb()
    with psycopg.connect(url) as conn:
        naive_med, naive_times, naive_rows = median_of(
            3, lambda: conn.execute(NAIVE_PG, {"on": ON}).fetchall()
        )
    app_med = statistics.median(app_times)
    check = compare(app_rows, naive_rows)
    results["pg_eval"] = (app_med, naive_med)
    results["pg_check"] = check
    say(
        f"  store (threshold_report): {', '.join(fmt_s(t) for t in app_times)} "
        f"-> median {fmt_s(app_med)}"
    )
    say(
        f"  naive SQL over raw marks: {', '.join(fmt_s(t) for t in naive_times)} "
        f"-> median {fmt_s(naive_med)}"
    )
    say(f"  ratio {naive_med / app_med:.1f}x; {check}")
    say(f"  peak RSS during evaluation: {results['rss_eval_mb']:.0f} MB")
    if args.profile or app_med > 5 or naive_med / app_med < 20:
        say("\n  EXPLAIN (ANALYZE, BUFFERS) of the store's query (the slowest one issued):")
        plan = explain_window_query(url, eval_log)
        results["explain"] = plan
        for line in plan:
            say("    " + line)


async def run_postgres(args: argparse.Namespace, results: dict[str, Any]) -> None:
    if args.db and args.import_day is None:  # a county kept by --keep: no build, no import
        say(f"PostgreSQL database {args.db} (kept)")
        upgrade(args.db)
        app = bootstrap(Settings(data_dir=Path(tempfile.mkdtemp())), args.db, migrate=False)
        await measure_threshold(app, SqlTimer(app.engine), args.db, args, results)
        await app.close()
        return
    # With --db and --import-day: a county already built (one bench/review.py kept, which has
    # 22 Jul imported) measured whole, the import of that day included. The further day
    # profiled must be a school day: the county's term ends on PROFILE_DAY.
    import_day = args.import_day or IMPORT_DAY
    profile_day = PROFILE_DAY if import_day < PROFILE_DAY else None
    name = (
        args.db.rsplit("/", 1)[1]
        if args.db
        else f"bench_threshold_{args.tag}{uuid.uuid4().hex[:10]}"
    )
    admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    if not args.db:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = args.db or PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    say(f"PostgreSQL database {name}")
    try:
        upgrade(url)
        if not args.db:
            say(
                f"building {args.pupils:,} pupils, {len(YEAR_DAYS)} school days "
                f"({YEAR_DAYS[0]} .. {YEAR_DAYS[-1]}) ..."
            )
            build = build_county(PG_ADMIN, url, args.pupils)
            results["build"] = build
            for k, v in build.items():
                say(f"  build: {k:40s} {fmt_s(v)}")
        with psycopg.connect(url) as conn:
            marks, weeks = conn.execute(
                "SELECT (SELECT count(*) FROM mark), (SELECT count(*) FROM pupil_week)"
            ).fetchone()  # type: ignore[misc]
            mix = conn.execute(
                "SELECT code, count(*) FROM mark GROUP BY code ORDER BY count(*) DESC"
            ).fetchall()
            # The pupils' profiles are in bench_pupil, which a county bench/review.py kept still
            # has; one this bench kept does not (dropped at the end): every pupil usual then.
            kept_profiles = conn.execute("SELECT to_regclass('bench_pupil')").fetchone()[0]  # type: ignore[index]
            pupil_rows = conn.execute(
                "SELECT upn, (100000 + cur_school)::text, profile FROM bench_pupil ORDER BY id"
                if kept_profiles
                else "SELECT upn, school_urn, 0 FROM pupil ORDER BY upn"
            ).fetchall()
        if not kept_profiles:
            say("  no bench_pupil: the day imported gives every pupil the usual profile")
        results["marks"], results["weeks"] = marks, weeks
        say(f"  {marks:,} marks, {weeks:,} pupil_week rows")
        say("  code mix: " + ", ".join(f"{c} {n / marks:.2%}" for c, n in mix))

        app = bootstrap(Settings(data_dir=Path(tempfile.mkdtemp())), url, migrate=False)
        timer = SqlTimer(app.engine)

        await measure_threshold(app, timer, url, args, results)

        # (a) one further day of marks through the real import path, beside a bare COPY
        say(f"\nimporting one day ({import_day}) of marks through import_csv")
        data = day_csv(pupil_rows, import_day, seed=20250722)
        del pupil_rows
        rows = data.count(b"\n") - 1
        with psycopg.connect(url) as conn:
            conn.execute(
                "CREATE TEMPORARY TABLE bare_mark (upn VARCHAR(13), school_urn VARCHAR(16), "
                "day DATE, session VARCHAR(2), code VARCHAR(2))"
            )
            t0 = now_s()
            with conn.cursor().copy("COPY bare_mark FROM STDIN (FORMAT csv, HEADER true)") as cp:
                for i in range(0, len(data), 1 << 20):
                    cp.write(data[i : i + (1 << 20)])
            conn.commit()
            t_copy = now_s() - t0
        reset_peak()
        timer.start()
        t0 = now_s()
        summary = await import_csv(app.uow(), "marks", "day.csv", data, "bench", datetime.now(UTC))
        t_import = now_s() - t0
        import_log = timer.stop()
        results["rss_import_mb"] = peak_mb()
        results["pg_import"] = (t_import, t_copy, rows)
        say(
            f"  {rows:,} rows: import_csv {fmt_s(t_import)} ({summary}); "
            f"bare COPY {fmt_s(t_copy)}; ratio {t_import / t_copy:.1f}x"
        )
        say(f"  peak RSS during the import: {results['rss_import_mb']:.0f} MB")
        print_sql_log(import_log)
        monday = import_day - timedelta(days=import_day.weekday())
        with psycopg.connect(url) as conn:
            bad = week_summary_mismatches(conn, monday)
        results["week_check"] = bad
        say(f"  pupil_week for the week of {monday} against a recount from mark: {bad} differ")
        if profile_day is None:
            say(f"\n  no school day after {import_day} in this county's year: import not profiled")
        elif args.profile or t_import > 15:
            say(f"\n  cProfile of importing a further day ({profile_day}), top 25 by cumulative:")
            with psycopg.connect(url) as conn:
                pr = conn.execute("SELECT upn, school_urn, 0 FROM pupil ORDER BY upn").fetchall()
            data2 = day_csv(pr, profile_day, seed=20250723)
            prof = cProfile.Profile()
            prof.enable()
            await import_csv(app.uow(), "marks", "day2.csv", data2, "bench", datetime.now(UTC))
            prof.disable()
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
            results["cprofile"] = buf.getvalue()
            for line in buf.getvalue().splitlines():
                if line.strip():
                    say("    " + line)

        with psycopg.connect(url) as conn:
            if not args.db:
                conn.execute("DROP TABLE bench_pupil, bench_day")
            sizes = conn.execute(
                "SELECT pg_database_size(current_database()), "
                "(SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('mark')), "
                "pg_total_relation_size('pupil_week')"
            ).fetchone()
            results["pg_version"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        results["pg_sizes"] = sizes
        say(
            f"\n  database {sizes[0] / 2**30:.2f} GiB "  # type: ignore[index]
            f"(mark with indexes {sizes[1] / 2**30:.2f} GiB, "  # type: ignore[index]
            f"pupil_week {sizes[2] / 2**30:.2f} GiB)"  # type: ignore[index]
        )
        await app.close()
    finally:
        if args.keep or args.db:
            say(f"kept: {url}")
        else:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# ---------------------------------------------------------------------------------------------
# SQLite: one school of 1,500 pupils through the real import path.


def sqlite_csvs(pupils: int, seed: int = 1500) -> tuple[bytes, bytes, bytes]:
    rng = random.Random(seed)
    schools = b"urn,name,local_authority\n200001,Bench Academy,Essex\n200002,Old School,Suffolk\n"
    p_lines = ["upn,first_name,last_name,date_of_birth,school_urn,year_group"]
    m_lines = ["upn,school_urn,date,session,code"]
    mondays = sorted({d - timedelta(days=d.weekday()) for d in YEAR_DAYS})
    closures = {
        (urn, d): code
        for urn in ("200001", "200002")
        for d in YEAR_DAYS
        for code in [rng.choices(["#", "Y4", ""], [15, 2, 983])[0]]
        if code
    }
    for i in range(1, pupils + 1):
        upn = f"B{i:012d}"
        p_lines.append(f"{upn},Pupil,Number {i},2012-0{1 + i % 9}-1{i % 10},200001,{1 + i % 6}")
        profile = py_profile(rng)
        move = 15 + rng.randrange(len(YEAR_DAYS) - 40) if i % MOVER_EVERY == 0 else 0
        holiday = rng.choice(mondays) if rng.randrange(100) < HOLIDAY_PERCENT else None
        join = 100 + rng.randrange(80) if rng.randrange(1000) < LATE_JOINER_PER_MILLE else 0
        for di, d in enumerate(YEAR_DAYS):
            urn = "200002" if di < move else "200001"
            if di < join:
                am = pm = "Z"
            elif (urn, d) in closures:
                am = pm = closures[(urn, d)]
            elif holiday and d - timedelta(days=d.weekday()) == holiday:
                am = pm = "G"
            else:
                am, pm = py_codes(rng, profile)
            iso = d.isoformat()
            m_lines.append(f"{upn},{urn},{iso},AM,{am}")
            m_lines.append(f"{upn},{urn},{iso},PM,{pm}")
            if di < move:  # the new school's own register: not yet on roll
                m_lines.append(f"{upn},200001,{iso},AM,Z")
                m_lines.append(f"{upn},200001,{iso},PM,Z")
    return (
        schools,
        ("\n".join(p_lines) + "\n").encode(),
        ("\n".join(m_lines) + "\n").encode(),
    )


async def run_sqlite(args: argparse.Namespace, results: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        app = bootstrap(Settings(data_dir=Path(tmp)), url, migrate=False)
        schools, pupils, marks = sqlite_csvs(1500)
        rows = marks.count(b"\n") - 1
        say(f"\nSQLite: one school of 1,500 pupils, {rows:,} marks through import_csv")
        now = datetime.now(UTC)
        await import_csv(app.uow(), "schools", "schools.csv", schools, "bench", now)
        await import_csv(app.uow(), "pupils", "pupils.csv", pupils, "bench", now)
        reset_peak()
        t0 = now_s()
        await import_csv(app.uow(), "marks", "marks.csv", marks, "bench", now)
        t_import = now_s() - t0
        results["rss_sqlite_import_mb"] = peak_mb()
        say(
            f"  import of the marks: {fmt_s(t_import)} ({rows / t_import:,.0f} rows/s), "
            f"peak RSS {results['rss_sqlite_import_mb']:.0f} MB"
        )
        times, app_rows = [], []
        for _ in range(5):
            t0 = now_s()
            app_rows = await threshold_report(app.uow(), ON, include_all=True)
            times.append(now_s() - t0)
        app_med = statistics.median(times)
        conn = sqlite3.connect(path)
        naive_med, naive_times, naive_rows = median_of(
            5, lambda: conn.execute(NAIVE_SQLITE, (ON.isoformat(),)).fetchall()
        )
        conn.close()
        check = compare(app_rows, naive_rows)
        results["sqlite"] = (t_import, rows, app_med, naive_med, check, path.stat().st_size)
        say(f"  store: {', '.join(f'{t:.3f}' for t in times)} s -> median {app_med:.3f} s")
        say(f"  naive: {', '.join(f'{t:.3f}' for t in naive_times)} s -> median {naive_med:.3f} s")
        say(f"  ratio {naive_med / app_med:.1f}x; {check}")
        await app.close()


# ---------------------------------------------------------------------------------------------


def machine(results: dict[str, Any]) -> list[str]:
    mem = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return [
        f"nproc {os.cpu_count()}, memory {mem / 2**20:.1f} GiB, {platform.platform()}",
        f"PostgreSQL {results.get('pg_version', '?')}, SQLite {sqlite3.sqlite_version}, "
        f"Python {platform.python_version()}",
    ]


def verdict(ok: bool) -> str:
    return "pass" if ok else "SHORT"


def agreement_rows(where: str, c: dict[str, int]) -> list[tuple[str, str, str, str, str, str]]:
    """The summary's rows for one database: store against naive, and registers missing."""
    return [
        (
            f"{where}: store vs naive, pupils differing",
            str(c["mismatch"]),
            f"{c['met_naive']:,} met",
            f"{c['met_mismatch']} met differ",
            "0",
            verdict(c["mismatch"] == 0),
        ),
        (
            f"{where}: pupils listed with registers missing",
            f"{c['registers_missing']:,}",
            "",
            "",
            "-",
            "",
        ),
    ]


def summary(args: argparse.Namespace, results: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str, str, str, str]] = []

    if "pg_import" in results:
        t, base, n = results["pg_import"]
        rows.append(
            (
                f"PG: import one day ({n:,} marks)",
                fmt_s(t),
                f"COPY {fmt_s(base)}",
                f"{t / base:.0f}x slower",
                "<= 15 s",
                verdict(t <= 15),
            )
        )
    if "pg_eval" in results:
        app, naive = results["pg_eval"]
        ok = app <= 5 and naive / app >= 20  # issue 16: >= 20x with per-school marks
        rows.append(
            (
                f"PG: threshold, {args.pupils:,} pupils",
                fmt_s(app),
                f"naive {fmt_s(naive)}",
                f"{naive / app:.1f}x faster",
                ">= 20x, <= 5 s",
                verdict(ok),
            )
        )
        rows += agreement_rows("PG", results["pg_check"])
        rows.append(
            (
                "PG: pupil_week vs recount after import",
                str(results.get("week_check")),
                "",
                "",
                "0",
                verdict(results.get("week_check") == 0),
            )
        )
    for key, label in (("rss_eval_mb", "evaluation"), ("rss_import_mb", "import")):
        if key in results:
            v = results[key]
            rows.append(
                (f"peak RSS, PG {label}", f"{v:,.0f} MB", "", "", "<= 2 GB", verdict(v <= 2048))
            )
    if "pg_sizes" in results:
        s = results["pg_sizes"]
        rows.append(
            (
                "PG database size",
                f"{s[0] / 2**30:.1f} GiB",
                f"{results['marks']:,} marks",
                "",
                "-",
                "",
            )
        )
    if "build" in results:
        rows.append(("PG: build the county", fmt_s(results["build"]["total"]), "", "", "-", ""))
    if "sqlite" in results:
        t_imp, n, app, naive, c, size = results["sqlite"]
        rows.append((f"SQLite: import {n:,} marks", fmt_s(t_imp), "", "", "-", ""))
        rows.append(
            (
                "SQLite: threshold, 1,500 pupils",
                f"{app:.3f} s",
                f"naive {naive:.3f} s",
                f"{naive / app:.1f}x faster",
                "<= 0.5 s",
                verdict(app <= 0.5),
            )
        )
        rows += agreement_rows("SQLite", c)
        rows.append(
            (
                "peak RSS, SQLite import",
                f"{results['rss_sqlite_import_mb']:,.0f} MB",
                "",
                "",
                "<= 2 GB",
                verdict(results["rss_sqlite_import_mb"] <= 2048),
            )
        )
    head = ("metric", "measured", "baseline", "ratio", "target", "")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(6)]
    say("\nSUMMARY")
    say("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |")
    say("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        say("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |")
    say("")
    for line in machine(results):
        say(line)


async def main_async(args: argparse.Namespace) -> None:
    results: dict[str, Any] = {}
    try:
        if not args.skip_postgres:
            await run_postgres(args, results)
        if not args.skip_sqlite:
            await run_sqlite(args, results)
    finally:
        summary(args, results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=250_000)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="EXPLAIN ANALYZE and cProfile even when the targets are met",
    )
    parser.add_argument("--db", help="a postgresql:// URL kept by --keep: measure it again")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--tag", default="", help="put into the database's name (several engineers, one server)"
    )
    parser.add_argument(
        "--import-day",
        type=date.fromisoformat,
        help=f"with --db: also import this day and measure it ({PROFILE_DAY} on a county "
        f"bench/review.py kept, which has {IMPORT_DAY} imported already)",
    )
    args = parser.parse_args()
    say(f"threshold benchmark: {args.pupils:,} pupils, threshold on {ON}, import {IMPORT_DAY}")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
