"""The quarantine in SQL: inbound_mail rows still quarantined, and staff's triage of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.records import InboundRecord, Triage
from store.mail_inbound import inbound_record as _inbound
from store.tables import InboundMail


class SqlQuarantine:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def waiting(self) -> list[InboundRecord]:
        stmt = (
            select(InboundMail)
            .where(col(InboundMail.quarantined).is_(True))
            .where(col(InboundMail.triage).is_(None))
            .order_by(col(InboundMail.id))
        )
        return [_inbound(m) for m in await self.session.exec(stmt)]

    async def triaged_since(self, since: datetime) -> list[InboundRecord]:
        stmt = (
            select(InboundMail)
            .where(col(InboundMail.triaged_at) >= since)
            .order_by(col(InboundMail.triaged_at).desc(), col(InboundMail.id).desc())
        )
        return [_inbound(m) for m in await self.session.exec(stmt)]

    async def message(self, inbound_id: int) -> InboundRecord | None:
        row = await self.session.get(InboundMail, inbound_id)
        return _inbound(row) if row is not None else None

    async def settle(
        self,
        inbound_id: int,
        triage: Triage,
        by: str,
        reason: str,
        at: datetime,
        upn: str | None = None,
        parent_id: str | None = None,
    ) -> bool:
        values: dict[str, object] = {
            "triage": triage,
            "triaged_by": by,
            "triaged_at": at,
            "triage_reason": reason,
        }
        if triage is Triage.ATTACHED:  # filed to the case: no longer in quarantine
            values.update(upn=upn, parent_id=parent_id, quarantined=False)
        result = await self.session.exec(
            update(InboundMail)
            .where(col(InboundMail.id) == inbound_id)
            .where(col(InboundMail.quarantined).is_(True))
            .where(col(InboundMail.triage).is_(None))
            .values(**values)
        )
        return bool(result.rowcount == 1)
