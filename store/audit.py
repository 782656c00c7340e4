"""The append-only, hash-chained audit log (rules in casework/audit.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.audit import GENESIS, canonical, entry_hash
from casework.records import AuditRecord
from store.tables import AuditEntry

# Any constant: serialises appends across processes sharing one PostgreSQL database.
_AUDIT_LOCK = 0x5F_A0D17


def _record(e: AuditEntry) -> AuditRecord:
    return AuditRecord(e.seq, e.at, e.actor, e.action, e.subject, e.details, e.prev_hash, e.hash)


class SqlAudit:
    def __init__(self, session: AsyncSession, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres

    async def append(
        self, actor: str, action: str, subject: str, details: dict[str, Any], now: datetime
    ) -> AuditRecord:
        if self.postgres:
            conn = await self.session.connection()
            await conn.execute(text(f"SELECT pg_advisory_xact_lock({_AUDIT_LOCK})"))
        last = (
            await self.session.exec(
                select(AuditEntry).order_by(col(AuditEntry.seq).desc()).limit(1)
            )
        ).first()
        seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
        body = canonical(details)
        at = now.astimezone(UTC)  # hashed exactly as the database will hand it back
        entry = AuditEntry(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details=body,
            prev_hash=prev,
            hash=entry_hash(seq, at, actor, action, subject, body, prev),
        )
        self.session.add(entry)
        await self.session.flush()
        return _record(entry)

    async def all(self) -> list[AuditRecord]:
        rows = await self.session.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))
        return [_record(e) for e in rows]
