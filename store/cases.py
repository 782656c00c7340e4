"""The chronology, threshold episodes, Notices to Improve and penalty notices."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from attendance.penalty import PenaltyKind, PenaltyRecord
from casework.records import Delivery, Entry, Episode, NoticeRecord
from store.tables import (
    CaseEntry,
    Notice,
    NoticeDelivery,
    PenaltyNotice,
    ThresholdEpisode,
)

OPEN_STATUSES = ("in_progress", "breached")


def _notice(n: Notice) -> NoticeRecord:
    assert n.id is not None
    return NoticeRecord(
        n.id,
        n.upn,
        n.authority,
        n.issued_on,
        n.issued_by,
        n.improvement,
        n.max_further_sessions,
        n.trigger_sessions,
        n.window_start,
        n.period_start,
        n.period_end,
        n.status,
        n.breached_on,
        n.ended_on,
    )


class SqlCases:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_entry(
        self,
        upn: str,
        on: date,
        kind: str,
        by: str,
        summary: str,
        details: dict[str, Any],
        now: datetime,
    ) -> int:
        entry = CaseEntry(
            upn=upn,
            occurred_on=on,
            recorded_at=now,
            kind=kind,
            by=by,
            summary=summary,
            details=json.dumps(details, sort_keys=True, default=str),
        )
        self.session.add(entry)
        await self.session.flush()
        assert entry.id is not None
        return entry.id

    async def entries(self, upn: str) -> list[Entry]:
        rows = await self.session.exec(
            select(CaseEntry)
            .where(CaseEntry.upn == upn)
            .order_by(col(CaseEntry.occurred_on), col(CaseEntry.id))
        )
        return [
            Entry(
                e.id or 0,
                e.upn,
                e.occurred_on,
                e.recorded_at,
                e.kind,
                e.by,
                e.summary,
                json.loads(e.details),
            )
            for e in rows
        ]

    async def open_episodes(self) -> dict[str, Episode]:
        rows = await self.session.exec(
            select(ThresholdEpisode).where(col(ThresholdEpisode.ended_on).is_(None))
        )
        return {
            e.upn: Episode(e.upn, e.first_met_on, e.unauthorised_sessions, e.window_start)
            for e in rows
        }

    async def open_episode(self, episode: Episode) -> None:
        self.session.add(ThresholdEpisode(**asdict(episode)))
        await self.session.flush()

    async def close_episode(self, upn: str, on: date) -> None:
        rows = await self.session.exec(
            select(ThresholdEpisode).where(
                ThresholdEpisode.upn == upn, col(ThresholdEpisode.ended_on).is_(None)
            )
        )
        for e in rows:
            e.ended_on = on
            self.session.add(e)
        await self.session.flush()

    async def add_notice(self, notice: NoticeRecord, deliveries: Sequence[Delivery]) -> int:
        values = asdict(notice)
        values.pop("id")
        row = Notice(**values)
        self.session.add(row)
        await self.session.flush()
        assert row.id is not None
        await self.add_deliveries(row.id, deliveries)
        return row.id

    async def add_deliveries(self, notice_id: int, deliveries: Sequence[Delivery]) -> None:
        for d in deliveries:
            self.session.add(NoticeDelivery(notice_id=notice_id, **asdict(d)))
        await self.session.flush()

    async def update_parent_delivery(self, notice_id: int, parent_id: str, **changes: Any) -> None:
        await self.session.exec(
            update(NoticeDelivery)
            .where(
                col(NoticeDelivery.notice_id) == notice_id,
                col(NoticeDelivery.parent_id) == parent_id,
            )
            .values(**changes)
        )

    async def update_delivery(self, message_id: str, **changes: Any) -> None:
        await self.session.exec(
            update(NoticeDelivery)
            .where(col(NoticeDelivery.message_id) == message_id)
            .values(**changes)
        )

    async def notices(self, upn: str | None = None, open_only: bool = False) -> list[NoticeRecord]:
        stmt = select(Notice).order_by(col(Notice.id))
        if upn is not None:
            stmt = stmt.where(Notice.upn == upn)
        if open_only:
            stmt = stmt.where(col(Notice.status).in_(OPEN_STATUSES))
        return [_notice(n) for n in await self.session.exec(stmt)]

    async def deliveries(self, notice_id: int) -> list[Delivery]:
        rows = await self.session.exec(
            select(NoticeDelivery)
            .where(NoticeDelivery.notice_id == notice_id)
            .order_by(col(NoticeDelivery.parent_id))
        )
        return [
            Delivery(d.parent_id, d.route, d.state, d.message_id, d.deemed_received_on)
            for d in rows
        ]

    async def update_notice(self, notice_id: int, **changes: Any) -> None:
        row = await self.session.get(Notice, notice_id)
        assert row is not None
        for k, v in changes.items():
            setattr(row, k, v)
        self.session.add(row)
        await self.session.flush()

    async def parents_with_failed_nti(self, parent_ids: Iterable[str]) -> set[str]:
        rows = await self.session.exec(
            select(NoticeDelivery.parent_id)
            .join(Notice, col(Notice.id) == col(NoticeDelivery.notice_id))
            .where(Notice.status == "not_improved")
            .where(col(NoticeDelivery.parent_id).in_(list(parent_ids)))
        )
        return set(rows)

    async def penalties(self, parent_id: str, upn: str) -> list[PenaltyRecord]:
        rows = await self.session.exec(
            select(PenaltyNotice).where(
                PenaltyNotice.parent_id == parent_id, PenaltyNotice.upn == upn
            )
        )
        return [
            PenaltyRecord(
                p.parent_id, p.upn, PenaltyKind(p.kind), p.issued_on, p.offence_start, p.withdrawn
            )
            for p in rows
        ]

    async def add_penalty(self, record: PenaltyRecord) -> None:
        values = asdict(record)
        values["kind"] = str(record.kind)
        self.session.add(PenaltyNotice(**values))
        await self.session.flush()
