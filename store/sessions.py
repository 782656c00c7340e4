"""Sign-in links and case-page sessions in SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.session_records import SignInLink, WebSession
from store.web_tables import SignInLinkRow, WebSessionRow


class SqlWebSessions:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_link(self, link: SignInLink) -> None:
        self.session.add(
            SignInLinkRow(
                token_sha256=link.token_sha256,
                staff_id=link.staff_id,
                expires_at=link.expires_at,
                created_by=link.created_by,
            )
        )
        await self.session.flush()

    async def take_link(self, token_sha256: str, now: datetime) -> SignInLink | None:
        # One statement: two tabs redeeming the same link cannot both win.
        result = await self.session.exec(
            update(SignInLinkRow)
            .where(col(SignInLinkRow.token_sha256) == token_sha256)
            .where(col(SignInLinkRow.used_at).is_(None))
            .where(col(SignInLinkRow.expires_at) > now)
            .values(used_at=now)
        )
        if result.rowcount != 1:
            return None
        row = await self.session.get(SignInLinkRow, token_sha256)
        assert row is not None
        return SignInLink(
            token_sha256=row.token_sha256,
            staff_id=row.staff_id,
            expires_at=row.expires_at,
            created_by=row.created_by,
        )

    async def open(self, session: WebSession) -> None:
        self.session.add(
            WebSessionRow(
                token_sha256=session.token_sha256,
                staff_id=session.staff_id,
                csrf_token=session.csrf_token,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
                how=session.how,
            )
        )
        await self.session.flush()

    async def find(self, token_sha256: str) -> WebSession | None:
        row = await self.session.get(WebSessionRow, token_sha256)
        if row is None:
            return None
        return WebSession(
            token_sha256=row.token_sha256,
            staff_id=row.staff_id,
            csrf_token=row.csrf_token,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            how=row.how,
        )

    async def touch(self, token_sha256: str, now: datetime) -> None:
        await self.session.exec(
            update(WebSessionRow)
            .where(col(WebSessionRow.token_sha256) == token_sha256)
            .values(last_seen_at=now)
        )

    async def close(self, token_sha256: str) -> None:
        await self.session.exec(
            delete(WebSessionRow).where(col(WebSessionRow.token_sha256) == token_sha256)
        )
