"""`mark` by month on PostgreSQL (migration 0023, store/mark_partitions.py): an import into a
month with no partition yet makes it, two imports at once both land, and `init`/`serve` make
this month and the next two ahead. On SQLite the same imports work on the one table."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from casework.imports import import_csv
from store.mark_partitions import create_months_ahead, months_between, next_month, partition_name
from supportfirst.bootstrap import App
from supportfirst.localday import today_in_england
from tests import builders as b

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


async def load(app: App, kind: str, data: bytes) -> None:
    await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)


def weekdays(upn: str, start: date, end: date, absent: date | None = None) -> list[str]:
    """Present AM and PM every weekday from start to end (no calendar: any month will do),
    absent (G) on the morning of `absent`."""
    rows, d = [], start
    while d <= end:
        if d.weekday() < 5:
            am = "G" if d == absent else "/"
            rows += [f"{upn},{b.SCHOOL_A},{d},AM,{am}", f"{upn},{b.SCHOOL_A},{d},PM,\\"]
        d += timedelta(days=1)
    return rows


def partitions(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'mark'::regclass ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def drop_partitions(url: str) -> None:
    """The session's database keeps partitions from earlier tests: start without any."""
    with psycopg.connect(url, autocommit=True) as conn:
        for name in partitions(url):
            conn.execute(f"DROP TABLE {name}")


@pytest.fixture
async def pupils(app: App) -> App:
    if app.engine.dialect.name == "postgresql":
        drop_partitions(app.url)
    await load(app, "schools", b.schools())
    await load(app, "pupils", b.pupils(b.UPN_1, b.UPN_2))
    return app


async def test_an_import_into_a_month_without_a_partition_makes_it(pupils: App) -> None:
    # Last year's January, a CTF-like history across a year end, and this autumn.
    rows = (
        weekdays(b.UPN_1, date(2019, 1, 7), date(2019, 1, 8))
        + weekdays(b.UPN_1, date(2024, 12, 30), date(2025, 1, 3), absent=date(2025, 1, 2))
        + weekdays(b.UPN_2, date(2026, 11, 30), date(2026, 12, 1))
    )
    await load(pupils, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    async with pupils.uow() as uow:  # the pack's register reads every school's marks
        recorded = await uow.marks.recorded(b.UPN_1)
    assert len(recorded) == 2 * 2 + 2 * 5
    assert [m.code for m in recorded if m.day == date(2025, 1, 2)] == ["G", "\\"]
    if pupils.engine.dialect.name != "postgresql":
        return
    assert partitions(pupils.url) == [
        "mark_2019_01",
        "mark_2024_12",
        "mark_2025_01",
        "mark_2026_11",
        "mark_2026_12",
    ]
    # Each row sits in its month's partition, so the bound and the routing agree.
    with psycopg.connect(pupils.url) as conn:
        misplaced = conn.execute(
            "SELECT count(*) FROM mark WHERE tableoid::regclass::text "
            "<> 'mark_' || to_char(day, 'YYYY_MM')"
        ).fetchone()
    assert misplaced == (0,)


async def test_two_imports_at_once_into_new_months_both_land(pupils: App) -> None:
    first = weekdays(b.UPN_1, date(2023, 3, 6), date(2023, 3, 10))
    second = weekdays(b.UPN_2, date(2023, 3, 6), date(2023, 4, 28))
    ahead = create_months_ahead(pupils.engine, date(2023, 3, 15))
    results = await asyncio.gather(
        load(pupils, "marks", b.csv_bytes(b.MARKS_HEADER, first)),
        load(pupils, "marks", b.csv_bytes(b.MARKS_HEADER, second)),
        ahead,
    )
    async with pupils.engine.connect() as conn:
        count = (await conn.exec_driver_sql("SELECT count(*) FROM mark")).scalar()
    assert count == len(first) + len(second)
    if pupils.engine.dialect.name == "postgresql":
        # Each month made once, by whichever came first; the months ahead, or left (None)
        # to the next call when an import held the lock.
        made = set(partitions(pupils.url))
        assert {"mark_2023_03", "mark_2023_04"} <= made
        if results[2] is not None:
            assert set(results[2]) <= {date(2023, 3, 1), date(2023, 4, 1), date(2023, 5, 1)}
            assert "mark_2023_05" in made


async def test_init_and_serve_make_this_month_and_the_next_two(pupils: App) -> None:
    made = await create_months_ahead(pupils.engine, date(2026, 11, 14))
    if pupils.engine.dialect.name != "postgresql":
        assert made == []
        return
    assert made == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]
    assert partitions(pupils.url) == ["mark_2026_11", "mark_2026_12", "mark_2027_01"]
    assert await create_months_ahead(pupils.engine, date(2026, 12, 1)) == [date(2027, 2, 1)]
    # A December mark then needs nothing made: the import finds its month there.
    rows = weekdays(b.UPN_1, date(2026, 12, 1), date(2026, 12, 1))
    await load(pupils, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    assert len(partitions(pupils.url)) == 4


def test_the_init_command_makes_the_months_ahead(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        return  # SQLite: one table, nothing to make (the command's own tests cover it)
    drop_partitions(db_url)
    env = {**os.environ, "SUPPORTFIRST_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "supportfirst", "init", "--db", db_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    month = today_in_england().replace(day=1)
    ahead = [month, next_month(month), next_month(next_month(month))]
    assert partitions(db_url) == [partition_name(m) for m in ahead]


def test_months_and_their_names() -> None:
    assert next_month(date(2025, 12, 1)) == date(2026, 1, 1)
    assert months_between(date(2025, 11, 30), date(2026, 2, 1)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert partition_name(date(2026, 3, 1)) == "mark_2026_03"
