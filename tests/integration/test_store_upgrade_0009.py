"""Migration 0009 (marks per school) upgrades a 0008 database with marks in it, on SQLite and
PostgreSQL: the rows survive, the indexes are there again, and a second school may then record
the same session; going back keeps one mark per session, the real one."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import command

from store.db import alembic_config
from tests.integration.test_store_upgrade import _engine, empty_url

__all__ = ["empty_url"]  # the fixture, on both databases

DAY = date(2025, 3, 10)
MARK = "INSERT INTO mark (upn, day, session, school_urn, code) VALUES (:u, :d, :s, :urn, :c)"


def _marks(conn: sa.Connection) -> list[tuple[object, ...]]:
    rows = conn.execute(sa.text("SELECT upn, day, session, school_urn, code FROM mark"))
    return sorted((r[0], str(r[1]), r[2], r[3], r[4]) for r in rows)


def test_0009_keeps_the_marks_and_lets_two_schools_record_a_session(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0008")
    engine = _engine(empty_url)
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
        conn.execute(
            sa.text(MARK),
            [
                {"u": "A1", "d": DAY, "s": "AM", "urn": "100002", "c": "O"},
                {"u": "A1", "d": DAY, "s": "PM", "urn": "100001", "c": "N"},
            ],
        )
        before = _marks(conn)
    command.upgrade(config, "0009")
    with engine.begin() as conn:
        assert _marks(conn) == before
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("mark")}
        assert {"ix_mark_day", "ix_mark_unresolved_n"} <= indexes
        key = sa.inspect(conn).get_pk_constraint("mark")["constrained_columns"]
        assert key == ["upn", "day", "session", "school_urn"]
        conn.execute(sa.text(MARK), {"u": "A1", "d": DAY, "s": "AM", "urn": "100001", "c": "Z"})
    command.downgrade(config, "0008")
    with engine.begin() as conn:
        assert _marks(conn) == before  # the Z went: the other school's O is the real mark
    command.upgrade(config, "head")
    engine.dispose()
