"""A batch of inbound mail is filed in a few statements whatever its size (issue 16), and no
row is written before every blob it names is durable; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from casework.inbound import Arrived, ReadHere, file_messages
from casework.records import EmailRecord, InboundRecord
from store.evidence import EvidenceStore
from store.mail_inbound import SqlInbound
from supportfirst.bootstrap import App
from tests.integration.test_inbound_limits import (
    NOW,
    PROVEN,
    emailed,
    reading,
    test_domains_are_valid,
)

__all__ = ["emailed", "test_domains_are_valid"]


async def _file(app: App, email: EmailRecord, first: int, n: int) -> None:
    by_bytes = {
        f"message {i}".encode(): reading(email, i, "reply", PROVEN) for i in range(first, first + n)
    }
    arrived = [Arrived(raw, "INBOX") for raw in by_bytes]
    await file_messages(app.uow(), app.evidence(), ReadHere(by_bytes.__getitem__), arrived, NOW)


async def test_a_batch_costs_the_same_few_statements_at_ten_messages_or_sixty(
    app: App, emailed: EmailRecord
) -> None:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(app.engine.sync_engine, "before_cursor_execute", count)
    try:
        await _file(app, emailed, 0, 10)
        ten = len(statements)
        statements.clear()
        await _file(app, emailed, 10, 60)
        sixty = len(statements)
    finally:
        event.remove(app.engine.sync_engine, "before_cursor_execute", count)
    # The first batch also inserts its alert; the second raises none (the hour's is given).
    assert sixty == ten - 1 and ten <= 20, statements
    async with app.uow() as uow:
        filed = await uow.mail.inbound()
        entries = [e for e in await uow.cases.entries(emailed.upn) if e.kind == "parent_replied"]
        alerts = await uow.outbox.undelivered(1000)
    assert len(filed) == 70 and all(m.upn == emailed.upn for m in filed)
    # The first reply raised the hour's alert; the other 69 were held back, and say so.
    assert [e.details["alerted"] for e in entries] == [True] + [False] * 69
    assert [a.kind for a in alerts].count("ParentReplied") == 1


async def test_no_row_names_a_blob_before_it_is_durable(
    app: App, emailed: EmailRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    durable: set[str] = set()
    checked: list[str] = []
    real_durable, real_add = EvidenceStore._durable, SqlInbound.add_inbound_many

    def made_durable(store: EvidenceStore, targets: Any) -> None:
        targets = list(targets)
        real_durable(store, targets)
        durable.update(t.name for t in targets)

    async def add(self: SqlInbound, records: list[InboundRecord]) -> set[str]:
        for r in records:
            assert r.sha256 in durable, f"{r.sha256} stored before its blob was made durable"
            checked.append(r.sha256)
        return await real_add(self, records)

    monkeypatch.setattr(EvidenceStore, "_durable", made_durable)
    monkeypatch.setattr(SqlInbound, "add_inbound_many", add)
    await _file(app, emailed, 0, 25)
    assert len(checked) == 25
    assert all(app.evidence().verify(sha256) for sha256 in checked)
