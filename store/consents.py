"""Each parent's consent to email, with the evidence it rests on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Table
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from attendance.consent import ConsentRecord, address_key
from store.registry import chunks
from store.tables import Consent, PupilParent

_CONSENTS: Table = Consent.__table__  # type: ignore[attr-defined]


def _record(c: Consent | Row[Any]) -> ConsentRecord:
    assert c.id is not None
    return ConsentRecord(
        c.id, c.parent_id, c.email, c.method, c.given_on, c.evidence_sha256, c.withdrawn_on
    )


class SqlConsents:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, record: ConsentRecord, evidence_name: str | None, by: str, now: datetime
    ) -> int:
        row = Consent(
            parent_id=record.parent_id,
            email=record.email,
            address_key=address_key(record.email),
            method=record.method,
            given_on=record.given_on,
            evidence_sha256=record.evidence_sha256,
            evidence_name=evidence_name,
            recorded_by=by,
            recorded_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        assert row.id is not None
        return row.id

    async def for_parent(self, parent_id: str) -> list[ConsentRecord]:
        rows = await self.session.exec(
            select(Consent).where(Consent.parent_id == parent_id).order_by(col(Consent.id))
        )
        return [_record(c) for c in rows]

    async def for_parents(self, parent_ids: Iterable[str]) -> dict[str, list[ConsentRecord]]:
        found: dict[str, list[ConsentRecord]] = {}
        await self.session.flush()  # what is pending is seen, as exec() would flush it
        conn = await self.session.connection()
        for chunk in chunks(parent_ids):
            rows = await conn.execute(  # rows, not ORM objects: a batch reads hundreds
                core_select(_CONSENTS)
                .where(col(Consent.parent_id).in_(chunk))
                .order_by(col(Consent.id))
            )
            for c in rows:
                found.setdefault(c.parent_id, []).append(_record(c))
        return found

    async def with_address(self, email: str) -> list[ConsentRecord]:
        rows = await self.session.exec(
            select(Consent)
            .where(Consent.address_key == address_key(email))
            .order_by(col(Consent.id))
        )
        return [_record(c) for c in rows]

    async def withdraw(self, consent_id: int, on: date) -> None:
        row = await self.session.get(Consent, consent_id)
        assert row is not None
        row.withdrawn_on = on
        self.session.add(row)
        await self.session.flush()

    async def listing(self, upn: str | None = None) -> list[ConsentRecord]:
        stmt = select(Consent).order_by(col(Consent.parent_id), col(Consent.id))
        if upn is not None:
            parents = select(PupilParent.parent_id).where(PupilParent.upn == upn)
            stmt = stmt.where(col(Consent.parent_id).in_(parents))
        return [_record(c) for c in await self.session.exec(stmt)]
