"""Migration 0023 (mark by month on PostgreSQL) upgrades a 0022 database with marks in it: the
rows survive, each in its month's partition (a month between with no marks gets one too), the
key, indexes and foreign keys are there again; going back gives one table with the same rows.
On SQLite the migration changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command

from store.db import alembic_config
from tests.integration.test_store_upgrade import _engine, empty_url

__all__ = ["empty_url"]  # the fixture, on both databases

MARK = "INSERT INTO mark (upn, day, session, school_urn, code) VALUES (:u, :d, :s, :urn, :c)"
MARKS = [
    {"u": "A1", "d": date(2025, 3, 10), "s": "AM", "urn": "100002", "c": "O"},
    {"u": "A1", "d": date(2025, 3, 10), "s": "PM", "urn": "100001", "c": "N"},
    {"u": "A1", "d": date(2025, 3, 10), "s": "PM", "urn": "100002", "c": "Z"},
    {"u": "A1", "d": date(2025, 5, 6), "s": "AM", "urn": "100001", "c": "/"},
]


def _marks(conn: sa.Connection) -> list[tuple[object, ...]]:
    rows = conn.execute(sa.text("SELECT upn, day, session, school_urn, code FROM mark"))
    return sorted((r[0], str(r[1]), r[2], r[3], r[4]) for r in rows)


def _shape(conn: sa.Connection) -> tuple[list[str], set[str], int]:
    inspector = sa.inspect(conn)
    key = inspector.get_pk_constraint("mark")["constrained_columns"]
    indexes = {i["name"] for i in inspector.get_indexes("mark")}
    return key, indexes, len(inspector.get_foreign_keys("mark"))


def test_0023_moves_the_marks_into_months_and_back(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0022")
    engine = _engine(empty_url)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO school (urn, name, local_authority) VALUES (:u, :n, 'Essex')"),
            [{"u": "100001", "n": "Riverside"}, {"u": "100002", "n": "Hillside"}],
        )
        conn.execute(
            sa.text(
                "INSERT INTO pupil (upn, first_name, last_name, date_of_birth, school_urn, "
                "year_group) VALUES ('A1', 'Sam', 'Taylor', '2015-03-01', '100001', '5')"
            )
        )
        conn.execute(sa.text(MARK), MARKS)
        before, shape = _marks(conn), _shape(conn)
    assert shape == (
        ["upn", "day", "session", "school_urn"],
        {"ix_mark_day", "ix_mark_unresolved_n"},
        2,
    )
    command.upgrade(config, "0023")
    with engine.begin() as conn:
        assert _marks(conn) == before
        assert _shape(conn) == shape
        if postgres:
            kind = conn.execute(sa.text("SELECT relkind FROM pg_class WHERE relname = 'mark'"))
            assert kind.scalar() == "p"
            placed = conn.execute(
                sa.text("SELECT tableoid::regclass::text, count(*) FROM mark GROUP BY 1 ORDER BY 1")
            ).all()
            assert placed == [("mark_2025_03", 3), ("mark_2025_05", 1)]
            parts = conn.execute(
                sa.text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'mark'::regclass ORDER BY 1"
                )
            ).scalars()
            assert list(parts) == ["mark_2025_03", "mark_2025_04", "mark_2025_05"]
    if postgres:  # the foreign keys hold on every partition
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(MARK), {**MARKS[0], "u": "NOBODY"})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(MARK), {**MARKS[0], "s": "PM"})  # the key: a second PM mark
    command.downgrade(config, "0022")
    with engine.begin() as conn:
        assert _marks(conn) == before
        assert _shape(conn) == shape
        if postgres:
            kind = conn.execute(sa.text("SELECT relkind FROM pg_class WHERE relname = 'mark'"))
            assert kind.scalar() == "r"
            left = conn.execute(
                sa.text("SELECT count(*) FROM pg_class WHERE relname LIKE 'mark_2%'")
            )
            assert left.scalar() == 0
    command.upgrade(config, "head")
    engine.dispose()
