"""Staff roles, alert routes, and the record of which alert was shown where."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.records import AlertPostRecord, AlertState, StaffRecord
from store.chat_tables import (
    AlertPost,
    AlertRoute,
    SlackRequestSeen,
    SlackWorkspaceSchool,
    StaffMember,
    StaffSchool,
)


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

    async def _member(self, row: StaffMember | None) -> StaffRecord | None:
        if row is None:
            return None
        urns = await self.session.exec(
            select(StaffSchool.school_urn)
            .where(StaffSchool.staff_id == row.id)
            .order_by(col(StaffSchool.school_urn))
        )
        return StaffRecord(
            id=row.id,
            name=row.name,
            role=row.role,
            email=row.email,
            phone=row.phone,
            slack_user_id=row.slack_user_id,
            schools=tuple(urns),
            all_schools=row.all_schools,
        )

    async def staff(self, staff_id: str) -> StaffRecord | None:
        return await self._member(await self.session.get(StaffMember, staff_id))

    async def staff_for_slack(self, slack_user_id: str) -> StaffRecord | None:
        rows = await self.session.exec(
            select(StaffMember).where(StaffMember.slack_user_id == slack_user_id)
        )
        return await self._member(rows.first())

    async def save_staff(self, member: StaffRecord, now: datetime) -> None:
        row = await self.session.get(StaffMember, member.id)
        if row is None:
            row = StaffMember(id=member.id, name=member.name, role=member.role, added_at=now)
        row.name, row.role, row.email, row.phone = (
            member.name,
            member.role,
            member.email,
            member.phone,
        )
        row.slack_user_id, row.all_schools = member.slack_user_id, member.all_schools
        self.session.add(row)
        await self.session.exec(delete(StaffSchool).where(col(StaffSchool.staff_id) == member.id))
        await self.session.flush()
        for urn in member.schools:
            self.session.add(StaffSchool(staff_id=member.id, school_urn=urn))
        await self.session.flush()

    async def all_staff(self) -> list[StaffRecord]:
        rows = await self.session.exec(
            select(StaffMember).order_by(col(StaffMember.name), col(StaffMember.id))
        )
        return [m for r in rows.all() if (m := await self._member(r)) is not None]

    async def routes(self) -> list[tuple[str, str]]:
        return [(k, d) for k, d, urn in await self.school_routes() if not urn]

    async def school_routes(self) -> list[tuple[str, str, str]]:
        rows = await self.session.exec(select(AlertRoute).order_by(col(AlertRoute.id)))
        return [(r.kind, r.destination, r.school_urn) for r in rows]

    async def add_school_route(self, kind: str, destination: str, urn: str, now: datetime) -> None:
        if (kind, destination, urn) not in await self.school_routes():
            row = AlertRoute(kind=kind, destination=destination, school_urn=urn, added_at=now)
            self.session.add(row)
            await self.session.flush()

    async def remove_school_route(self, kind: str, destination: str, urn: str) -> bool:
        result = await self.session.exec(
            delete(AlertRoute).where(
                col(AlertRoute.kind) == kind,
                col(AlertRoute.destination) == destination,
                col(AlertRoute.school_urn) == urn,
            )
        )
        return bool(result.rowcount)

    async def workspace_schools(self, team_id: str) -> set[str]:
        rows = await self.session.exec(
            select(SlackWorkspaceSchool.school_urn).where(SlackWorkspaceSchool.team_id == team_id)
        )
        return set(rows)

    async def add_workspace_school(self, team_id: str, urn: str, now: datetime) -> None:
        if await self.session.get(SlackWorkspaceSchool, (team_id, urn)) is None:
            self.session.add(SlackWorkspaceSchool(team_id=team_id, school_urn=urn, added_at=now))
            await self.session.flush()

    async def add_route(self, kind: str, destination: str, now: datetime) -> None:
        await self.add_school_route(kind, destination, "", now)

    async def remove_route(self, kind: str, destination: str) -> bool:
        return await self.remove_school_route(kind, destination, "")

    async def remember_request(self, key: str, now: datetime) -> bool:
        table: Table = SlackRequestSeen.__table__  # type: ignore[attr-defined]
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(table)
            .values(signature=key, seen_at=now)
            .on_conflict_do_nothing()
            .returning(table.c.signature)  # a row only when this copy is the first
        )
        result = await self.session.exec(statement)
        return result.first() is not None

    async def forget_requests(self, before: datetime) -> None:
        await self.session.exec(
            delete(SlackRequestSeen).where(col(SlackRequestSeen.seen_at) < before)
        )

    async def forget_keys(self, keys: Sequence[str]) -> None:
        if keys:
            await self.session.exec(
                delete(SlackRequestSeen).where(col(SlackRequestSeen.signature).in_(keys))
            )

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
