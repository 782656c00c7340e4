"""The SQL unit of work: one session, one transaction; rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.ports import Signer
from store.audit import SqlAudit
from store.cases import SqlCases
from store.chat import SqlChat
from store.consents import SqlConsents
from store.mail import SqlMail
from store.marks import SqlMarks
from store.outbox import SqlImportLog, SqlOutbox
from store.quarantine import SqlQuarantine
from store.registry import SqlRegistry
from store.sessions import SqlWebSessions


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine, signer: Signer | None = None) -> None:
        self.engine = engine
        self.signer = signer  # signs each audit entry (store/signing.py)
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        postgres = self.engine.dialect.name == "postgresql"
        self.registry = SqlRegistry(self.session)
        self.marks = SqlMarks(self.session, postgres)
        self.cases = SqlCases(self.session)
        self.consents = SqlConsents(self.session)
        self.outbox = SqlOutbox(self.session)
        self.mail = SqlMail(self.session, postgres)
        self.chat = SqlChat(self.session)
        self.audit = SqlAudit(self.session, postgres, self.signer)
        self.imports = SqlImportLog(self.session)
        self.sessions = SqlWebSessions(self.session)
        self.quarantine = SqlQuarantine(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()
        await self.session.close()

    async def snapshot(self) -> None:
        """PostgreSQL reads at READ COMMITTED by default: each statement may see later commits.
        REPEATABLE READ, set before the transaction's first statement, holds one snapshot.
        SQLite's transaction already reads one snapshot (WAL), so there is nothing to do."""
        if self.engine.dialect.name == "postgresql":
            await self.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    async def exclusive(self, name: str) -> None:
        """PostgreSQL: a transaction-scoped advisory lock keyed by the name's hash. SQLite: the
        unit of work began with BEGIN IMMEDIATE, so it already holds the one write lock."""
        if self.engine.dialect.name == "postgresql":
            conn = await self.session.connection()
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name}
            )

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
