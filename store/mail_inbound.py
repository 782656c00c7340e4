"""Mail read from the inbox, in SQL: the rows the ingester files and how far each mailbox was
read. The batch methods (`emails_by_*`, `inbound_stored`, `inbound_counts`, `add_inbound_many`)
are what lets a batch of messages be filed in a few statements whatever its size."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.records import EmailRecord, EmailState, InboundRecord
from store.registry import chunks
from store.tables import InboundMail, MailboxState, OutgoingMail


def email_record(m: OutgoingMail) -> EmailRecord:
    assert m.id is not None
    values = m.model_dump()
    values["state"] = EmailState(m.state)
    return EmailRecord(**{k: values[k] for k in EmailRecord.__dataclass_fields__})


def inbound_record(m: InboundMail) -> InboundRecord:
    assert m.id is not None
    values = m.model_dump()
    return InboundRecord(**{k: values[k] for k in InboundRecord.__dataclass_fields__})


_COLUMNS = [f.name for f in fields(InboundRecord) if f.name != "id"]


def _outgoing() -> Table:
    return OutgoingMail.__table__  # type: ignore[attr-defined,no-any-return]


_EMAIL_COLUMNS = core_select(*(_outgoing().c[f.name] for f in fields(EmailRecord)))


def _row(record: InboundRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _COLUMNS}  # its values are all flat


class SqlInbound:
    session: AsyncSession
    postgres: bool

    async def _emails_where(self, column: str, keys: Iterable[str]) -> dict[str, EmailRecord]:
        """Core rows straight into records: an ingested batch looks up hundreds of emails, and
        ORM objects (with their pydantic dump) cost about half of its look-ups."""
        found: dict[str, EmailRecord] = {}
        emails = _outgoing()
        await self.session.flush()  # what is pending is seen, as exec() would flush it
        conn = await self.session.connection()
        for chunk in chunks(keys):
            rows = await conn.execute(
                _EMAIL_COLUMNS.where(emails.c[column].in_(chunk)).order_by(emails.c.id)
            )
            for row in rows.mappings():
                values = dict(row)
                values["state"] = EmailState(values["state"])
                found.setdefault(values[column], EmailRecord(**values))
        return found

    async def emails_by_tokens(self, tokens: Iterable[str]) -> dict[str, EmailRecord]:
        return await self._emails_where("token", {t.lower() for t in tokens})

    async def emails_by_message_ids(self, message_ids: Iterable[str]) -> dict[str, EmailRecord]:
        wanted = {f"<{m.strip().strip('<>')}>" for m in message_ids}
        return await self._emails_where("message_id", wanted)

    async def add_inbound(self, record: InboundRecord) -> int | None:
        # One statement: the same bytes read twice (or by two ingesters at once) are one row.
        statement = self._insert_new().values(**_row(record)).returning(self._table.c.id)
        conn = await self.session.connection()
        inserted = (await conn.execute(statement)).scalar_one_or_none()
        return int(inserted) if inserted is not None else None

    async def add_inbound_many(self, records: Sequence[InboundRecord]) -> set[str]:
        if not records:
            return set()
        conn = await self.session.connection()
        statement = self._insert_new().returning(self._table.c.sha256)
        result = await conn.execute(statement, [_row(r) for r in records])
        return {str(sha256) for sha256 in result.scalars()}

    @property
    def _table(self) -> Table:
        return InboundMail.__table__  # type: ignore[attr-defined,no-any-return]

    def _insert_new(self) -> Any:
        """An INSERT that skips bytes already stored (by another ingester, meanwhile)."""
        dialect_insert = pg_insert if self.postgres else sqlite_insert
        return dialect_insert(self._table).on_conflict_do_nothing(index_elements=["sha256"])

    async def inbound_stored(self, sha256s: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(sha256s):
            rows = await self.session.exec(
                select(InboundMail.sha256).where(col(InboundMail.sha256).in_(chunk))
            )
            found.update(rows)
        return found

    async def inbound(self, upn: str | None = None) -> list[InboundRecord]:
        stmt = select(InboundMail).order_by(col(InboundMail.id))
        if upn is not None:
            stmt = stmt.where(InboundMail.upn == upn)
        return [inbound_record(m) for m in await self.session.exec(stmt)]

    def _filed_since(self, since: datetime) -> Any:
        return col(InboundMail.received_at) >= since, col(InboundMail.quarantined).is_(False)

    async def inbound_count(
        self, since: datetime, *, upn: str | None = None, sender: str | None = None
    ) -> int:
        stmt = select(func.count()).select_from(InboundMail).where(*self._filed_since(since))
        if upn is not None:
            stmt = stmt.where(InboundMail.upn == upn)
        if sender is not None:
            stmt = stmt.where(func.lower(col(InboundMail.from_address)) == sender.lower())
        return int((await self.session.exec(stmt)).one())

    async def inbound_counts(
        self, since: datetime, senders: Iterable[str], upns: Iterable[str]
    ) -> tuple[dict[str, int], dict[str, int]]:
        by_sender: dict[str, int] = {}
        sender = func.lower(col(InboundMail.from_address))
        for chunk in chunks({s.lower() for s in senders}):
            rows = await self.session.exec(
                select(sender, func.count())
                .where(*self._filed_since(since), sender.in_(chunk))
                .group_by(sender)
            )
            by_sender.update({str(s): int(n) for s, n in rows})
        by_case: dict[str, int] = {}
        for chunk in chunks(upns):
            rows = await self.session.exec(
                select(InboundMail.upn, func.count())
                .where(*self._filed_since(since), col(InboundMail.upn).in_(chunk))
                .group_by(col(InboundMail.upn))
            )
            by_case.update({str(u): int(n) for u, n in rows})
        return by_sender, by_case

    async def inbound_by_message_id(self, message_id: str) -> InboundRecord | None:
        row = (
            await self.session.exec(select(InboundMail).where(InboundMail.message_id == message_id))
        ).first()
        return inbound_record(row) if row is not None else None

    async def mailbox_state(self, mailbox: str) -> tuple[int, int] | None:
        row = await self.session.get(MailboxState, mailbox)
        return (row.uidvalidity, row.last_uid) if row is not None else None

    async def save_mailbox_state(
        self, mailbox: str, uidvalidity: int, last_uid: int, now: datetime
    ) -> None:
        row = await self.session.get(MailboxState, mailbox)
        if row is None:
            row = MailboxState(
                mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=now
            )
        else:
            row.uidvalidity, row.last_uid, row.updated_at = uidvalidity, last_uid, now
        self.session.add(row)
        await self.session.flush()
