"""The chronology, threshold episodes, Notices to Improve and penalty notices."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Table, insert, update
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from attendance.penalty import PenaltyKind, PenaltyRecord, PenaltyState
from casework import notice_changes as set_by
from casework.notice_changes import NoticeChange
from casework.records import (
    DELIVERED,
    OPEN_NOTICE,
    Delivery,
    DeliveryState,
    Entry,
    Episode,
    HowDelivered,
    NoticeRecord,
    NoticeStatus,
    Route,
)
from store.notice_changes import change_notices
from store.registry import chunks
from store.tables import (
    CaseEntry,
    Notice,
    NoticeDelivery,
    PenaltyNotice,
    ReviewRun,
    ThresholdEpisode,
)

OPEN_STATUSES = tuple(OPEN_NOTICE)
_ENTRIES: Table = CaseEntry.__table__  # type: ignore[attr-defined]
_NOTICES: Table = Notice.__table__  # type: ignore[attr-defined]


def _notice(n: Notice | Row[Any]) -> NoticeRecord:
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
        NoticeStatus(n.status),
        n.breached_on,
        n.ended_on,
        n.met_on,
        n.served_start,
        n.served_end,
        n.review_outcome,
        n.further_at_end,
        n.decided_by,
        n.decided_on,
        n.decision_reason,
    )


def _entry(e: CaseEntry | Row[Any]) -> Entry:
    return Entry(
        id=e.id or 0,
        upn=e.upn,
        on=e.occurred_on,
        recorded_at=e.recorded_at,
        kind=e.kind,
        by=e.by,
        summary=e.summary,
        details=json.loads(e.details),
    )


def _delivery(d: NoticeDelivery) -> Delivery:
    return Delivery(
        d.parent_id, Route(d.route), DeliveryState(d.state), d.message_id, d.deemed_received_on
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

    async def add_entries(self, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        table: Table = CaseEntry.__table__  # type: ignore[attr-defined]
        conn = await self.session.connection()
        await conn.execute(
            insert(table),
            [
                {
                    "upn": e.upn,
                    "occurred_on": e.on,
                    "recorded_at": e.recorded_at,
                    "kind": e.kind,
                    "by": e.by,
                    "summary": e.summary,
                    "details": json.dumps(e.details, sort_keys=True, default=str),
                }
                for e in entries
            ],
        )

    async def entries(self, upn: str) -> list[Entry]:
        rows = await self.session.exec(
            select(CaseEntry)
            .where(CaseEntry.upn == upn)
            .order_by(col(CaseEntry.occurred_on), col(CaseEntry.id))
        )
        return [_entry(e) for e in rows]

    async def entries_of_kinds(
        self, upns: Iterable[str], kinds: Iterable[str]
    ) -> dict[str, list[Entry]]:
        found: dict[str, list[Entry]] = {}
        kinds = sorted(set(kinds))
        await self.session.flush()  # what is pending is seen, as exec() would flush it
        conn = await self.session.connection()
        for chunk in chunks(upns):
            rows = await conn.execute(  # rows, not ORM objects: many cases at once
                core_select(_ENTRIES)
                .where(col(CaseEntry.upn).in_(chunk))
                .where(col(CaseEntry.kind).in_(kinds))
                .order_by(col(CaseEntry.occurred_on), col(CaseEntry.id))
            )
            for e in rows:
                found.setdefault(e.upn, []).append(_entry(e))
        return found

    async def reviewed(self, on: date) -> bool:
        return await self.session.get(ReviewRun, on) is not None

    async def record_review(self, on: date, now: datetime, events: int) -> None:
        run = await self.session.get(ReviewRun, on) or ReviewRun(
            reviewed_on=on, finished_at=now, events=0
        )
        run.finished_at, run.events = now, events
        self.session.add(run)

    async def open_episodes(self) -> dict[str, Episode]:
        rows = await self.session.exec(
            select(ThresholdEpisode).where(col(ThresholdEpisode.ended_on).is_(None))
        )
        return {
            e.upn: Episode(
                upn=e.upn,
                first_met_on=e.first_met_on,
                unauthorised_sessions=e.unauthorised_sessions,
                window_start=e.window_start,
            )
            for e in rows
        }

    async def open_episode(self, episode: Episode) -> None:
        self.session.add(ThresholdEpisode(**asdict(episode)))  # inserted at the next flush

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

    async def close_episodes(self, upns: Iterable[str], on: date) -> None:
        for chunk in chunks(upns):  # one statement for a day's hundreds, not two each
            await self.session.exec(
                update(ThresholdEpisode)
                .where(col(ThresholdEpisode.upn).in_(chunk))
                .where(col(ThresholdEpisode.ended_on).is_(None))
                .values(ended_on=on)
            )

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

    async def _deliveries(self, where: Any, **values: Any) -> None:
        await self.session.exec(update(NoticeDelivery).where(where).values(**values))

    async def delivery_sent(self, message_id: str, deemed_received_on: date) -> None:
        await self._deliveries(
            col(NoticeDelivery.message_id) == message_id,
            state=DeliveryState.SENT,
            deemed_received_on=deemed_received_on,
        )

    async def delivery_failed(self, message_id: str) -> None:
        await self._deliveries(
            col(NoticeDelivery.message_id) == message_id, state=DeliveryState.FAILED
        )

    async def delivery_confirmed(
        self, notice_id: int, parent_id: str, how: HowDelivered, deemed_received_on: date
    ) -> None:
        await self._deliveries(
            (col(NoticeDelivery.notice_id) == notice_id)
            & (col(NoticeDelivery.parent_id) == parent_id),
            state=DELIVERED[how],
            deemed_received_on=deemed_received_on,
        )

    async def notices(
        self,
        upn: str | None = None,
        open_only: bool = False,
        statuses: Iterable[NoticeStatus] | None = None,
    ) -> list[NoticeRecord]:
        stmt = core_select(_NOTICES).order_by(_NOTICES.c.id)
        if upn is not None:
            stmt = stmt.where(_NOTICES.c.upn == upn)
        if open_only:
            stmt = stmt.where(_NOTICES.c.status.in_(OPEN_STATUSES))
        if statuses is not None:
            stmt = stmt.where(_NOTICES.c.status.in_([str(s) for s in statuses]))
        await self.session.flush()  # what is pending is seen, as exec() would flush it
        conn = await self.session.connection()  # rows, not objects: a county's notices
        return [_notice(n) for n in await conn.execute(stmt)]

    async def deliveries(self, notice_id: int) -> list[Delivery]:
        return (await self.deliveries_of([notice_id])).get(notice_id, [])

    async def deliveries_of(self, notice_ids: Iterable[int]) -> dict[int, list[Delivery]]:
        found: dict[int, list[Delivery]] = {}
        for chunk in chunks(notice_ids):
            rows = await self.session.exec(
                select(NoticeDelivery)
                .where(col(NoticeDelivery.notice_id).in_(chunk))
                .order_by(col(NoticeDelivery.notice_id), col(NoticeDelivery.parent_id))
            )
            for d in rows:
                found.setdefault(d.notice_id, []).append(_delivery(d))
        return found

    async def notice(self, notice_id: int) -> NoticeRecord | None:
        row = await self.session.get(Notice, notice_id)
        return _notice(row) if row else None

    async def notices_by_id(self, notice_ids: Iterable[int]) -> list[NoticeRecord]:
        found: list[NoticeRecord] = []
        for chunk in chunks(notice_ids):
            stmt = select(Notice).where(col(Notice.id).in_(chunk))
            found += [_notice(n) for n in await self.session.exec(stmt)]
        return sorted(found, key=lambda n: n.id)

    async def _change(self, notice_id: int, **values: Any) -> None:
        # One UPDATE, not a read then a write: the daily review changes a county's notices.
        changed = await self.session.exec(
            update(Notice).where(col(Notice.id) == notice_id).values(**values)
        )
        assert changed.rowcount == 1

    async def notice_served(self, notice_id: int, start: date | None, end: date | None) -> None:
        await self._change(notice_id, **set_by.served(start, end))

    async def notice_breached(self, notice_id: int, on: date) -> None:
        await self._change(notice_id, **set_by.breached(on))

    async def change_notices(self, changes: Sequence[NoticeChange]) -> None:
        await change_notices(self.session, changes)

    async def notice_ended(
        self, notice_id: int, outcome: NoticeStatus, on: date, further: int = 0
    ) -> None:
        await self._change(notice_id, **set_by.ended(outcome, on, further))

    async def notice_decided(
        self, notice_id: int, status: NoticeStatus, by: str, reason: str, on: date
    ) -> None:
        await self._change(
            notice_id, status=status, decided_by=by, decided_on=on, decision_reason=reason
        )

    async def notice_reopened(self, notice_id: int, status: NoticeStatus) -> None:
        await self._change(notice_id, **set_by.reopened(status))

    async def parents_with_failed_nti(self, parent_ids: Iterable[str]) -> set[str]:
        rows = await self.session.exec(
            select(NoticeDelivery.parent_id)
            .join(Notice, col(Notice.id) == col(NoticeDelivery.notice_id))
            .where(Notice.status == NoticeStatus.NOT_IMPROVED)
            .where(col(NoticeDelivery.parent_id).in_(list(parent_ids)))
        )
        return set(rows)

    async def penalties(self, parent_id: str, upn: str) -> list[PenaltyRecord]:
        rows = await self.session.exec(
            select(PenaltyNotice).where(
                PenaltyNotice.parent_id == parent_id, PenaltyNotice.upn == upn
            )
        )
        return [_penalty(p) for p in rows]

    async def penalties_for(self, upn: str) -> list[PenaltyRecord]:
        rows = await self.session.exec(
            select(PenaltyNotice).where(PenaltyNotice.upn == upn).order_by(col(PenaltyNotice.id))
        )
        return [_penalty(p) for p in rows]

    async def add_penalty(self, record: PenaltyRecord) -> int:
        values = asdict(record)
        values.pop("id")
        values["kind"] = str(record.kind)
        values["state"] = str(record.state)
        row = PenaltyNotice(**values)
        self.session.add(row)
        await self.session.flush()
        assert row.id is not None
        return row.id

    async def penalty_state_changed(self, penalty_id: int, state: PenaltyState) -> None:
        row = await self.session.get(PenaltyNotice, penalty_id)
        if row is None:
            raise KeyError(penalty_id)
        row.state = str(state)
        row.withdrawn = state is PenaltyState.WITHDRAWN
        self.session.add(row)
        await self.session.flush()


def _penalty(p: PenaltyNotice) -> PenaltyRecord:
    assert p.id is not None
    return PenaltyRecord(
        p.parent_id,
        p.upn,
        PenaltyKind(p.kind),
        p.issued_on,
        p.offence_start,
        p.withdrawn,
        PenaltyState(p.state),
        p.id,
    )
