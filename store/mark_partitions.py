"""`mark` on PostgreSQL is partitioned by calendar month (migration 0023): a day's inserts then
land in the current month's small key, not in a leaf of a key over every mark ever stored.

A row whose month has no partition is refused by PostgreSQL, so the partitions are made ahead
(`init`, and `serve` before each daily review: this month and the next two) and, whatever
months an import's rows fall in (last year's marks, a CTF's history), by the import itself
before it writes. A partition is made as a plain table and then attached: attaching locks
`mark` against other attaches only (SHARE UPDATE EXCLUSIVE), so the threshold and the case
pages keep reading while an import makes a month (`CREATE TABLE ... PARTITION OF` would lock
every reader out until the import commits). Attaching clones the foreign keys, which takes a
SHARE ROW EXCLUSIVE lock on `pupil` and `school` until the transaction ends.

SQLite keeps one table: nothing here runs there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# Held (per transaction) by whoever makes partitions: two makers cannot both attach a month.
_PARTITIONS_LOCK = 0x5F_3A_4B6
MONTHS_AHEAD = 3  # this month and the next two


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"mark_{month.year:04d}_{month.month:02d}"


def partition_sql(month: date) -> list[str]:
    """The statements that make and attach one month's partition (on an empty table the
    attach's check of the bound reads nothing; the parent's indexes and keys are cloned)."""
    name = partition_name(month)
    return [
        f"CREATE TABLE {name} (LIKE mark INCLUDING DEFAULTS)",
        f"ALTER TABLE mark ATTACH PARTITION {name} "
        f"FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')",
    ]


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first`'s to `last`'s, both included."""
    months, month = [], month_of(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


async def _existing(conn: AsyncConnection, months: set[date]) -> set[date]:
    names = {partition_name(m): m for m in months}
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'mark'::regclass"
        )
    )
    return {names[r[0]] for r in rows if r[0] in names}


async def create_months(conn: AsyncConnection, days: Iterable[date]) -> list[date]:
    """Make the partitions these days need and that are not there yet, in the caller's
    transaction; the months made. Cheap when all are there (one catalog read, no lock)."""
    months = {month_of(d) for d in days}
    if not months or not (months - await _existing(conn, months)):
        return []
    await conn.execute(text(f"SELECT pg_advisory_xact_lock({_PARTITIONS_LOCK})"))
    missing = sorted(months - await _existing(conn, months))  # another maker may have been first
    for month in missing:
        for sql in partition_sql(month):
            await conn.execute(text(sql))
    return missing


async def create_months_ahead(
    engine: AsyncEngine, today: date, months: int = MONTHS_AHEAD
) -> list[date] | None:
    """This month's partition and the next ones, in a transaction of their own; the months
    made, or None when they could not be made now (an import holds the locks: it makes what
    it needs itself, and the next call tries again). Nothing on SQLite."""
    if engine.dialect.name != "postgresql":
        return []
    month, wanted = month_of(today), []
    for _ in range(months):
        wanted.append(month)
        month = next_month(month)
    try:
        async with engine.begin() as conn:
            # Give up rather than wait: an import that wrote pupils holds what the attach
            # needs, and waiting for it while it waits for us would be a deadlock.
            if not (
                await conn.execute(text(f"SELECT pg_try_advisory_xact_lock({_PARTITIONS_LOCK})"))
            ).scalar():
                return None
            await conn.execute(text("SET LOCAL lock_timeout = '500ms'"))
            missing = sorted(set(wanted) - await _existing(conn, set(wanted)))
            for m in missing:
                for sql in partition_sql(m):
                    await conn.execute(text(sql))
            return missing
    except DBAPIError as e:
        if getattr(e.orig, "sqlstate", None) == "55P03":  # lock_not_available
            return None
        raise
