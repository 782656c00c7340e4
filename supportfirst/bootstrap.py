"""The composition root: builds the engine and the unit of work for the CLI, `serve` and tests.

Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine

from casework.sending import Mailroom
from mail.letters import LetterRenderer
from mail.postroom import Postroom
from store.db import alembic_config, make_engine, prepare, sync_url, upgrade
from store.evidence import EvidenceStore
from store.uow import SqlUnitOfWork
from supportfirst.settings import Settings


def utcnow() -> datetime:
    """Aware UTC: how every timestamp is stored (and hashed in the audit chain)."""
    return datetime.now(UTC)


def today() -> date:
    return date.today()


def schema_is_current(url: str) -> bool:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    prepare(url)
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision() == head
    finally:
        engine.dispose()


def ensure_schema(url: str) -> bool:
    """Upgrade the database to the newest schema if it is not there; True if it was upgraded."""
    if schema_is_current(url):
        return False
    upgrade(url)
    return True


@dataclass
class App:
    settings: Settings
    url: str
    engine: AsyncEngine

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def evidence(self) -> EvidenceStore:
        return EvidenceStore(self.settings.data_dir / "evidence")

    def mailroom(self) -> Mailroom:
        return Mailroom(LetterRenderer(), Postroom(self.settings.from_address), self.evidence())

    async def close(self) -> None:
        await self.engine.dispose()


def bootstrap(settings: Settings | None = None, db: str | None = None, migrate: bool = True) -> App:
    settings = settings or Settings()
    url = db or settings.db_url
    if migrate:
        ensure_schema(url)
    return App(settings, url, make_engine(url))
