"""The append-only, hash-chained audit log (rules in casework/audit.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.audit import GENESIS, canonical, entry_hash, sign_entry
from casework.ports import Signer
from casework.records import AuditRecord, ChainTip
from store.tables import AuditEntry

# Any constant: serialises appends across processes sharing one PostgreSQL database.
_AUDIT_LOCK = 0x5F_A0D17


def _record(e: AuditEntry) -> AuditRecord:
    return AuditRecord(
        e.seq, e.at, e.actor, e.action, e.subject, e.details, e.prev_hash, e.hash, e.signature
    )


class SqlAudit:
    def __init__(self, session: AsyncSession, postgres: bool, signer: Signer | None = None) -> None:
        self.session = session
        self.postgres = postgres
        self.signer = signer  # every entry is signed once the service has its key

    async def append(
        self, actor: str, action: str, subject: str, details: dict[str, Any], now: datetime
    ) -> AuditRecord:
        return (await self.append_many(actor, [(action, subject, details)], now))[-1]

    async def append_many(
        self, actor: str, items: Sequence[tuple[str, str, dict[str, Any]]], now: datetime
    ) -> list[AuditRecord]:
        """Append entries in order, chained, in one statement (a re-export can correct
        thousands of marks at once)."""
        if self.postgres:
            conn = await self.session.connection()
            await conn.execute(text(f"SELECT pg_advisory_xact_lock({_AUDIT_LOCK})"))
        last = (
            await self.session.exec(
                select(AuditEntry).order_by(col(AuditEntry.seq).desc()).limit(1)
            )
        ).first()
        seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
        at = now.astimezone(UTC)  # hashed exactly as the database will hand it back
        records = []
        for action, subject, details in items:
            seq, body = seq + 1, canonical(details)
            digest = entry_hash(seq, at, actor, action, subject, body, prev)
            signature = sign_entry(self.signer, digest)
            records.append(
                AuditRecord(seq, at, actor, action, subject, body, prev, digest, signature)
            )
            prev = digest
        if records:
            conn = await self.session.connection()
            await conn.execute(insert(AuditEntry), [asdict(r) for r in records])
        return records

    async def head(self) -> str | None:
        row = (
            await self.session.exec(
                select(AuditEntry.hash).order_by(col(AuditEntry.seq).desc()).limit(1)
            )
        ).first()
        return row

    async def all(self) -> list[AuditRecord]:
        rows = await self.session.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))
        return [_record(e) for e in rows]

    async def tip(self) -> ChainTip:
        last = (
            await self.session.exec(
                select(AuditEntry.seq, AuditEntry.hash)
                .order_by(col(AuditEntry.seq).desc())
                .limit(1)
            )
        ).first()
        first_signed = (
            await self.session.exec(
                select(func.min(AuditEntry.seq)).where(col(AuditEntry.signature).is_not(None))
            )
        ).first()
        if last is None:
            return ChainTip(0, GENESIS, None)
        return ChainTip(last[0], last[1], first_signed)
