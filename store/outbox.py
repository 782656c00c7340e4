"""The durable event outbox and the import log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.events import Event
from casework.records import PendingEvent
from store.tables import ImportRun, OutboxEvent


def _pending(e: OutboxEvent) -> PendingEvent:
    return PendingEvent(
        id=e.id,
        kind=e.kind,
        upn=e.upn,
        on=e.occurred_on,
        payload=json.loads(e.payload),
        created_at=e.created_at,
    )


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, event: Event, now: datetime) -> str:
        event_id = str(uuid.uuid4())
        self.session.add(
            OutboxEvent(
                id=event_id,
                kind=event.kind,
                upn=event.upn,
                occurred_on=event.on,
                payload=json.dumps(event.payload(), sort_keys=True),
                created_at=now,
            )
        )
        # Inserted in the order added at the next flush (the commit): a review raising
        # thousands of events does not pay a round trip for each.
        return event_id

    async def add_many(self, events: Sequence[Event], now: datetime) -> list[str]:
        if not events:
            return []
        # After what the session holds, so the delivery order is the order they were raised.
        await self.session.flush()
        ids = [str(uuid.uuid4()) for _ in events]
        rows = [
            {
                "id": event_id,
                "kind": e.kind,
                "upn": e.upn,
                "occurred_on": e.on,
                "payload": json.dumps(e.payload(), sort_keys=True),
                "created_at": now,
            }
            for event_id, e in zip(ids, events, strict=True)
        ]
        table: Table = OutboxEvent.__table__  # type: ignore[attr-defined]
        conn = await self.session.connection()
        await conn.execute(insert(table), rows)
        return ids

    async def undelivered(self, limit: int = 100) -> list[PendingEvent]:
        return [_pending(e) for e in await self.pending(limit)]

    async def recent(self, since: datetime, limit: int = 50) -> list[PendingEvent]:
        rows = await self.session.exec(
            select(OutboxEvent)
            .where(col(OutboxEvent.created_at) >= since)
            .order_by(col(OutboxEvent.seq).desc())
            .limit(limit)
        )
        return [_pending(e) for e in rows]

    async def delivered(self, event_id: str, now: datetime) -> None:
        await self.mark_delivered(event_id, now)

    async def event(self, event_id: str) -> PendingEvent | None:
        rows = await self.session.exec(select(OutboxEvent).where(OutboxEvent.id == event_id))
        row = rows.first()
        return _pending(row) if row is not None else None

    async def pending(self, limit: int = 100) -> list[OutboxEvent]:
        rows = await self.session.exec(
            select(OutboxEvent)
            .where(col(OutboxEvent.delivered_at).is_(None))
            .order_by(col(OutboxEvent.seq))
            .limit(limit)
        )
        return list(rows)

    async def mark_delivered(self, event_id: str, now: datetime) -> None:
        row = (
            await self.session.exec(select(OutboxEvent).where(OutboxEvent.id == event_id))
        ).first()
        if row is not None:
            row.delivered_at = now
            self.session.add(row)
            await self.session.flush()


class SqlImportLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, kind: str, file_name: str, sha256: str, rows: int, changed: int, now: datetime
    ) -> None:
        self.session.add(
            ImportRun(
                kind=kind,
                file_name=file_name,
                sha256=sha256,
                rows=rows,
                changed=changed,
                imported_at=now,
            )
        )
        await self.session.flush()
