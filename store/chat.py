"""Staff roles, alert routes, and the record of which alert was shown where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.records import AlertPostRecord, AlertState, StaffRecord
from store.chat_tables import AlertPost, AlertRoute, StaffMember


def _post(p: AlertPost) -> AlertPostRecord:
    return AlertPostRecord(
        event_id=p.event_id,
        destination=p.destination,
        state=AlertState(p.state),
        started_at=p.started_at,
        thread_key=p.thread_key,
        channel=p.channel,
        ts=p.ts,
    )


class SqlChat:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def staff(self, slack_user_id: str) -> StaffRecord | None:
        row = await self.session.get(StaffMember, slack_user_id)
        return StaffRecord(row.slack_user_id, row.name, row.role) if row else None

    async def save_staff(self, member: StaffRecord, now: datetime) -> None:
        row = await self.session.get(StaffMember, member.slack_user_id)
        if row is None:
            row = StaffMember(
                slack_user_id=member.slack_user_id, name=member.name, role=member.role, added_at=now
            )
        else:
            row.name, row.role = member.name, member.role
        self.session.add(row)
        await self.session.flush()

    async def all_staff(self) -> list[StaffRecord]:
        rows = await self.session.exec(select(StaffMember).order_by(col(StaffMember.name)))
        return [StaffRecord(r.slack_user_id, r.name, r.role) for r in rows]

    async def routes(self) -> list[tuple[str, str]]:
        rows = await self.session.exec(select(AlertRoute).order_by(col(AlertRoute.id)))
        return [(r.kind, r.destination) for r in rows]

    async def add_route(self, kind: str, destination: str, now: datetime) -> None:
        if (kind, destination) not in await self.routes():
            self.session.add(AlertRoute(kind=kind, destination=destination, added_at=now))
            await self.session.flush()

    async def remove_route(self, kind: str, destination: str) -> bool:
        result = await self.session.exec(
            delete(AlertRoute).where(
                col(AlertRoute.kind) == kind, col(AlertRoute.destination) == destination
            )
        )
        return bool(result.rowcount)

    async def posts(self, event_id: str) -> dict[str, AlertPostRecord]:
        rows = await self.session.exec(select(AlertPost).where(AlertPost.event_id == event_id))
        return {r.destination: _post(r) for r in rows}

    async def begin_post(self, post: AlertPostRecord) -> None:
        existing = (
            await self.session.exec(
                select(AlertPost).where(
                    AlertPost.event_id == post.event_id, AlertPost.destination == post.destination
                )
            )
        ).first()
        if existing is None:
            self.session.add(
                AlertPost(
                    event_id=post.event_id,
                    destination=post.destination,
                    state=AlertState.POSTING,
                    thread_key=post.thread_key,
                    started_at=post.started_at,
                )
            )
            await self.session.flush()

    async def finish_post(
        self, event_id: str, destination: str, channel: str | None, ts: str | None, now: datetime
    ) -> None:
        await self.session.exec(
            update(AlertPost)
            .where(col(AlertPost.event_id) == event_id, col(AlertPost.destination) == destination)
            .values(state=AlertState.POSTED, channel=channel, ts=ts, posted_at=now)
        )

    async def thread(self, thread_key: str, destination: str) -> AlertPostRecord | None:
        row = (
            await self.session.exec(
                select(AlertPost)
                .where(
                    AlertPost.thread_key == thread_key,
                    AlertPost.destination == destination,
                    AlertPost.state == AlertState.POSTED,
                )
                .order_by(col(AlertPost.id))
            )
        ).first()
        return _post(row) if row is not None else None
