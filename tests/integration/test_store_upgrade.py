"""Migration 0008 (CHECK constraints on state columns) upgrades a 0007 database with rows in it.

Each test starts from an empty database of its own (the session's PostgreSQL database is
already at head), brings it to 0007, writes a row in every table 0008 recreates (and in the
tables that point at them), and upgrades: the rows survive, foreign keys still hold, and an
unknown state is refused from then on.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import SQLModel

from attendance.nti_outcome import Finding
from attendance.penalty import PenaltyState
from casework.records import (
    AlertState,
    DeliveryState,
    EmailState,
    HowDelivered,
    NoticeStatus,
    Route,
    Triage,
)
from store.db import alembic_config, sync_url
from tests.conftest import PG_ADMIN

STATES = [
    ("notice", "status", NoticeStatus),
    ("notice", "review_outcome", Finding),
    ("notice_delivery", "route", Route),
    ("notice_delivery", "state", DeliveryState),
    ("outgoing_mail", "state", EmailState),
    ("printed_letter", "delivered_how", HowDelivered),
    ("alert_post", "state", AlertState),
    ("penalty_notice", "state", PenaltyState),
    ("inbound_mail", "triage", Triage),
]
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 30)
ROWS: list[tuple[str, dict[str, object]]] = [
    ("school", {"urn": "100001", "name": "Riverside", "local_authority": "Essex"}),
    (
        "pupil",
        {
            "upn": "A1",
            "first_name": "Sam",
            "last_name": "Taylor",
            "date_of_birth": date(2015, 3, 1),
            "school_urn": "100001",
            "year_group": "5",
        },
    ),
    ("parent", {"parent_id": "P1", "name": "Alex Taylor", "email": "alex@example.org"}),
    (
        "consent",
        {
            "id": 1,
            "parent_id": "P1",
            "email": "alex@example.org",
            "address_key": "alex@example.org",
            "method": "form",
            "given_on": DAY,
            "recorded_by": "office",
            "recorded_at": NOW,
        },
    ),
    (
        "notice",
        {
            "id": 1,
            "upn": "A1",
            "authority": "Essex",
            "issued_on": DAY,
            "issued_by": "office",
            "improvement": "attend every day",
            "max_further_sessions": 0,
            "trigger_sessions": 10,
            "window_start": DAY,
            "period_start": DAY,
            "period_end": DAY,
            "status": "breached",
            "breached_on": DAY,
        },
    ),
    (
        "notice_delivery",
        {
            "id": 1,
            "notice_id": 1,
            "parent_id": "P1",
            "route": "email",
            "state": "sent",
            "message_id": "<m1@school.test>",
        },
    ),
    (
        "outgoing_mail",
        {
            "id": 1,
            "message_id": "<m1@school.test>",
            "token": "tok1",
            "upn": "A1",
            "parent_id": "P1",
            "consent_id": 1,
            "template": "nti",
            "notice_id": 1,
            "formal": True,
            "recipient": "alex@example.org",
            "envelope_from": "bounce@school.test",
            "sha256": "0" * 64,
            "size": 10,
            "state": "sent",
            "attempts": 1,
            "next_attempt_at": NOW,
            "queued_at": NOW,
            "queued_by": "office",
            "sent_at": NOW,
        },
    ),
    (
        "send_attempt",
        {"id": 1, "mail_id": 1, "at": NOW, "worker": "w1", "outcome": "sent", "smtp_code": 250},
    ),
    (
        "inbound_mail",
        {
            "id": 1,
            "sha256": "1" * 64,
            "size": 5,
            "mailbox": "INBOX",
            "mail_class": "reply",
            "upn": "A1",
            "outgoing_id": 1,
            "quarantined": False,
            "received_at": NOW,
        },
    ),
    (
        "printed_letter",
        {
            "id": 1,
            "upn": "A1",
            "parent_id": "P1",
            "template": "nti",
            "notice_id": 1,
            "letter_sha256": "2" * 64,
            "slip_sha256": "3" * 64,
            "media_type": "application/pdf",
            "created_at": NOW,
            "created_by": "office",
            "delivered_how": "hand",
            "delivered_on": DAY,
        },
    ),
    (
        "alert_post",
        {
            "id": 1,
            "event_id": "e1",
            "destination": "slack:C1",
            "state": "posted",
            "started_at": NOW,
        },
    ),
]


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        reason = f"PostgreSQL is not reachable at {PG_ADMIN}: {str(e).strip().splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: storage tests must run on PostgreSQL)")
        pytest.skip(reason)
    name = f"sf_upgrade_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _engine(url: str) -> sa.Engine:
    engine = sa.create_engine(sync_url(url))
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda c, _: c.execute("PRAGMA foreign_keys=ON"))
    return engine


def _rows(engine: sa.Engine) -> dict[str, list[dict[str, object]]]:
    metadata = sa.MetaData()
    metadata.reflect(engine, only=list(dict.fromkeys(t for t, _ in ROWS)))
    with engine.connect() as conn:
        return {
            t.name: [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(*t.primary_key))]
            for t in metadata.sorted_tables
        }


def test_0008_keeps_every_row_and_refuses_unknown_states_afterwards(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0007")
    engine = _engine(empty_url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.begin() as conn:
        for table, values in ROWS:
            conn.execute(metadata.tables[table].insert().values(**values))
    before = _rows(engine)

    command.upgrade(config, "0008")  # later migrations add columns (0011: notice.met_on)

    assert _rows(engine) == before
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        with pytest.raises(sa.exc.IntegrityError, match="ck_outgoing_mail_state|CHECK"):
            conn.execute(sa.text("UPDATE outgoing_mail SET state = 'lost' WHERE id = 1"))
        conn.rollback()
        with pytest.raises(sa.exc.IntegrityError, match="ck_notice_status|CHECK"):
            conn.execute(sa.text("UPDATE notice SET status = 'done' WHERE id = 1"))
    engine.dispose()


def test_0008_downgrades_to_0007_and_back(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    command.downgrade(config, "0007")
    engine = _engine(empty_url)
    with engine.begin() as conn:  # no check any more
        conn.execute(sa.text("SELECT 1 FROM alert_post"))
        inspector = sa.inspect(conn)
        assert inspector.get_check_constraints("alert_post") == []
    engine.dispose()
    command.upgrade(config, "head")


def test_the_migrated_checks_say_what_the_tables_and_enums_say(db_url: str) -> None:
    engine = _engine(db_url)
    inspector = sa.inspect(engine)
    declared = {
        c.name: str(c.sqltext)
        for table in SQLModel.metadata.sorted_tables
        for c in table.constraints
        if isinstance(c, sa.CheckConstraint)
    }
    migrated = {
        c["name"]: c["sqltext"]
        for table in inspector.get_table_names()
        for c in inspector.get_check_constraints(table)
        if str(c["name"]).startswith("ck_")
    }
    engine.dispose()
    assert set(migrated) == set(declared) == {f"ck_{t}_{c}" for t, c, _ in STATES}
    for table, column, enum in STATES:
        values = set(re.findall(r"'([a-z_]+)'", migrated[f"ck_{table}_{column}"]))
        assert values == {v.value for v in enum}, (table, column)


def test_0011_gives_existing_penalty_notices_their_state(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0008")
    engine = _engine(empty_url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    notice = {"parent_id": "P1", "upn": "A1", "kind": "attendance", "offence_start": DAY}
    with engine.begin() as conn:
        for table, values in ROWS[:3]:  # the school, pupil and parent
            conn.execute(metadata.tables[table].insert().values(**values))
        penalties = metadata.tables["penalty_notice"]
        conn.execute(penalties.insert().values(id=1, issued_on=DAY, withdrawn=False, **notice))
        conn.execute(penalties.insert().values(id=2, issued_on=DAY, withdrawn=True, **notice))
    command.upgrade(config, "head")
    with engine.connect() as conn:
        states = conn.execute(sa.text("SELECT id, state FROM penalty_notice ORDER BY id")).all()
        assert [tuple(r) for r in states] == [(1, "issued"), (2, "withdrawn")]
        with pytest.raises(sa.exc.IntegrityError, match="ck_penalty_notice_state|CHECK"):
            conn.execute(sa.text("UPDATE penalty_notice SET state = 'lost' WHERE id = 1"))
    engine.dispose()


def test_0012_keeps_notices_and_checks_the_finding(empty_url: str) -> None:
    """0012 adds the period as served and the review's finding: existing notices keep every
    value (not served yet: re-planned by the next review); down again, `undecided` reopens."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0011")
    engine = _engine(empty_url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.begin() as conn:
        for table, values in [r for r in ROWS if r[0] in ("school", "pupil", "notice")]:
            conn.execute(metadata.tables[table].insert().values(**values))
    command.upgrade(config, "head")
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT status, breached_on, served_start, review_outcome FROM notice")
        ).one()
        # SQLite gives dates back as text from a plain query.
        assert (row[0], str(row[1]), row[2], row[3]) == ("breached", DAY.isoformat(), None, None)
        with pytest.raises(sa.exc.IntegrityError, match="ck_notice_review_outcome|CHECK"):
            conn.execute(sa.text("UPDATE notice SET review_outcome = 'fine' WHERE id = 1"))
        conn.rollback()
        conn.execute(
            sa.text("UPDATE notice SET status = 'undecided', review_outcome = 'undecided'")
        )
        conn.commit()
    command.downgrade(config, "0011")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM notice")).scalar_one() == "in_progress"
    engine.dispose()
