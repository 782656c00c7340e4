"""Migration 0015 (audit signatures) upgrades a 0011 database with an audit chain in it, on
SQLite and PostgreSQL: every entry survives unchanged, unsigned; the service then signs new
entries, and `verify_chain` says from which entry signing starts. Going back drops the column
and keeps the entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from casework.audit import GENESIS, canonical, entry_hash, sign_entry, verify_chain
from casework.records import AuditRecord
from store.db import alembic_config
from store.signing import create_key
from tests.integration.test_store_upgrade import _engine, empty_url

__all__ = ["empty_url"]  # the fixture, on both databases

NOW = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)
COLUMNS = "seq, at, actor, action, subject, details, prev_hash, hash"


def _chain(n: int) -> list[AuditRecord]:
    records, prev = [], GENESIS
    for seq in range(1, n + 1):
        at, body = NOW + timedelta(seconds=seq), canonical({"n": seq})
        digest = entry_hash(seq, at, "office", "note", f"pupil:{seq}", body, prev)
        records.append(AuditRecord(seq, at, "office", "note", f"pupil:{seq}", body, prev, digest))
        prev = digest
    return records


def _entries(conn: sa.Connection) -> list[tuple[object, ...]]:
    rows = conn.execute(sa.text("SELECT seq, actor, details, prev_hash, hash FROM audit_entry"))
    return sorted(tuple(r) for r in rows)


def test_0015_keeps_the_chain_and_signing_starts_after_it(empty_url: str, tmp_path: Path) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0011")
    engine = _engine(empty_url)
    old = _chain(3)
    with engine.begin() as conn:
        for r in old:
            conn.execute(
                sa.text(
                    f"INSERT INTO audit_entry ({COLUMNS}) VALUES "
                    "(:seq, :at, :actor, :action, :subject, :details, :prev_hash, :hash)"
                ),
                {**r.__dict__},
            )
        before = _entries(conn)
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert _entries(conn) == before
        signatures = conn.execute(sa.text("SELECT signature FROM audit_entry")).scalars().all()
        assert signatures == [None, None, None]
    key = create_key(tmp_path / "k.pem")
    prev = old[-1].hash
    at, body = NOW + timedelta(seconds=10), canonical({})
    digest = entry_hash(4, at, "office", "note", "pupil:4", body, prev)
    signed = AuditRecord(
        4, at, "office", "note", "pupil:4", body, prev, digest, sign_entry(key, digest)
    )
    report = verify_chain([*old, signed], verifier=key.public())
    assert report.ok and report.signed_from == 4
    assert "signing starts at entry 4" in report.notes[0]
    command.downgrade(config, "0011")
    with engine.connect() as conn:
        assert _entries(conn) == before
    engine.dispose()
