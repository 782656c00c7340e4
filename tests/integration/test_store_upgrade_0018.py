"""Migration 0018 (parents' addresses) upgrades a 0011 database with parents and consents in it,
on SQLite and PostgreSQL: the rows survive, each parent's file email and each consent get the
mailbox key that sees through plus-tags and Gmail's dots, and going back restores the old keys."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import command

from store.db import alembic_config
from tests.integration.test_store_upgrade import _engine, empty_url

__all__ = ["empty_url"]  # the fixture, on both databases

PARENTS = [
    {"parent_id": "P1", "name": "Alex Taylor", "email": "Alex+School@Example.org"},
    {"parent_id": "P2", "name": "Jo Taylor", "email": None},
]
CONSENT = (
    "INSERT INTO consent (id, parent_id, email, address_key, method, given_on, recorded_by, "
    "recorded_at) VALUES (1, 'P2', 'Jo.Taylor@googlemail.com', 'jo.taylor@googlemail.com', "
    "'form', :on, 'o', :at)"
)


def _people(conn: sa.Connection) -> list[tuple[object, ...]]:
    rows = conn.execute(sa.text("SELECT parent_id, name, email FROM parent ORDER BY parent_id"))
    return [tuple(r) for r in rows]


def test_0018_keeps_parents_and_consents_and_rekeys_their_mailboxes(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0011")
    engine = _engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO parent (parent_id, name, email) VALUES (:parent_id, :name, :email)"
            ),
            PARENTS,
        )
        conn.execute(sa.text(CONSENT), {"on": date(2025, 3, 1), "at": datetime.now(UTC)})
        before = _people(conn)
    command.upgrade(config, "0018")
    with engine.begin() as conn:
        assert _people(conn) == before
        keys = conn.execute(sa.text("SELECT parent_id, email_key, phone FROM parent ORDER BY 1"))
        assert [tuple(r) for r in keys] == [("P1", "alex@example.org", None), ("P2", None, None)]
        consent = conn.execute(sa.text("SELECT address_key FROM consent")).scalar_one()
        assert consent == "jotaylor@gmail.com"
        assert conn.execute(sa.text("SELECT count(*) FROM parent_address")).scalar_one() == 0
        conn.execute(
            sa.text(
                "INSERT INTO parent_address (parent_id, line_1, line_2, town, postcode, "
                "first_seen_on, source) VALUES ('P1', '1 Mill Lane', '', 'Colchester', "
                "'CO1 1AA', :on, 'parents.csv')"
            ),
            {"on": date(2025, 3, 1)},
        )
    command.downgrade(config, "0011")
    with engine.begin() as conn:
        assert _people(conn) == before
        consent = conn.execute(sa.text("SELECT address_key FROM consent")).scalar_one()
        assert consent == "jo.taylor@googlemail.com"
        assert "parent_address" not in sa.inspect(conn).get_table_names()
    command.upgrade(config, "head")
    engine.dispose()
