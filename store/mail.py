"""Emails queued and sent, printed letters, and mail read from the inbox.

Claims are how several workers (several `serve` processes on one PostgreSQL) share the queue
without sending anything twice: a claim moves an email from `queued` to `sending` for one worker
in one statement, `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite serialises writers anyway).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.records import (
    Accepted,
    Claimed,
    EmailRecord,
    EmailState,
    HowDelivered,
    PrintedCopy,
    QueuedEmail,
    SendOutcome,
)
from store.mail_inbound import SqlInbound, email_record
from store.tables import (
    Consent,
    OutgoingMail,
    PrintedLetter,
    Pupil,
    SendAttempt,
)

_email = email_record


def _in_force(withdrawn_on: date | None, given_on: date, on: date) -> bool:
    return given_on <= on and (withdrawn_on is None or withdrawn_on > on)


def _printed(p: PrintedLetter) -> PrintedCopy:
    fields = PrintedCopy.__dataclass_fields__
    values = {k: v for k, v in p.model_dump().items() if k in fields}
    if p.delivered_how is not None:
        values["delivered_how"] = HowDelivered(p.delivered_how)
    return PrintedCopy(**values)


def _claimed(m: OutgoingMail, in_force: bool) -> Claimed:
    values = m.model_dump()
    fields = set(Claimed.__dataclass_fields__) - {"consent_in_force"}
    return Claimed(**{k: values[k] for k in fields}, consent_in_force=in_force)


# Every outcome ends the worker's claim on the email.
UNCLAIMED = {"claimed_by": None, "claimed_until": None}


class SqlMail(SqlInbound):
    def __init__(self, session: AsyncSession, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres

    async def queue(self, email: QueuedEmail) -> int:
        row = OutgoingMail(
            **asdict(email), state=EmailState.QUEUED, attempts=0, next_attempt_at=email.queued_at
        )
        self.session.add(row)
        await self.session.flush()
        assert row.id is not None
        return row.id

    async def add_printed(self, copy: PrintedCopy) -> int:
        values = asdict(copy)
        values.pop("id")
        row = PrintedLetter(**values)
        self.session.add(row)
        await self.session.flush()
        assert row.id is not None
        return row.id

    async def _claimed(self, where: Any, on: date) -> list[Claimed]:
        rows = await self.session.exec(
            select(OutgoingMail, col(Consent.given_on), col(Consent.withdrawn_on))
            .join(Consent, col(Consent.id) == col(OutgoingMail.consent_id))
            .where(where)
            .order_by(col(OutgoingMail.id))
        )
        return [_claimed(m, _in_force(withdrawn, given, on)) for m, given, withdrawn in rows]

    async def claim(self, worker: str, now: datetime, until: datetime, limit: int) -> list[Claimed]:
        due = (
            select(OutgoingMail.id)
            .where(
                OutgoingMail.state == EmailState.QUEUED, col(OutgoingMail.next_attempt_at) <= now
            )
            .order_by(col(OutgoingMail.next_attempt_at), col(OutgoingMail.id))
            .limit(limit)
        )
        if self.postgres:
            due = due.with_for_update(skip_locked=True)
        ids = list(await self.session.exec(due))
        if not ids:
            return []
        await self.session.exec(
            update(OutgoingMail)
            .where(col(OutgoingMail.id).in_(ids), col(OutgoingMail.state) == EmailState.QUEUED)
            .values(state=EmailState.SENDING, claimed_by=worker, claimed_until=until)
        )
        return await self._claimed(
            col(OutgoingMail.id).in_(ids) & (OutgoingMail.claimed_by == worker), now.date()
        )

    async def claimed_by(self, worker: str, on: date) -> list[Claimed]:
        return await self._claimed(
            (OutgoingMail.state == EmailState.SENDING) & (OutgoingMail.claimed_by == worker), on
        )

    async def expired_claims(self, now: datetime) -> list[tuple[str, list[Claimed]]]:
        workers = await self.session.exec(
            select(OutgoingMail.claimed_by)
            .where(OutgoingMail.state == EmailState.SENDING, col(OutgoingMail.claimed_until) < now)
            .distinct()
        )
        return [(w, await self.claimed_by(w, now.date())) for w in workers if w is not None]

    async def _record(self, outcome: SendOutcome, worker: str, **values: Any) -> None:
        """Keep the attempt and apply what it did to the email (its claim ends)."""
        self.session.add(
            SendAttempt(
                mail_id=outcome.mail_id,
                at=outcome.at,
                worker=worker,
                outcome=outcome.outcome,
                smtp_code=outcome.code,
                smtp_text=outcome.text,
            )
        )
        await self.session.exec(
            update(OutgoingMail)
            .where(col(OutgoingMail.id) == outcome.mail_id)
            .values(**values, **UNCLAIMED)
        )
        await self.session.flush()

    async def mark_sent(self, accepted: Accepted, worker: str) -> None:
        o = accepted.outcome
        await self._record(
            o,
            worker,
            state=EmailState.SENT,
            sent_at=o.at,
            attempts=accepted.attempts,
            smtp_code=o.code,
            smtp_text=o.text,
            queue_id=o.queue_id,
            deemed_received_on=accepted.deemed_received_on,
        )

    async def retry_later(
        self, outcome: SendOutcome, worker: str, attempts: int, next_attempt_at: datetime
    ) -> None:
        await self._record(
            outcome,
            worker,
            state=EmailState.QUEUED,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            smtp_code=outcome.code,
            smtp_text=outcome.text,
        )

    async def mark_failed(
        self, outcome: SendOutcome, worker: str, attempts: int, failure: str
    ) -> None:
        await self._record(
            outcome,
            worker,
            state=EmailState.FAILED,
            failed_at=outcome.at,
            attempts=attempts,
            failure=failure,
            smtp_code=outcome.code,
            smtp_text=outcome.text,
        )

    async def requeue(self, outcome: SendOutcome, worker: str) -> None:
        await self._record(outcome, worker, state=EmailState.QUEUED)

    async def record_sent(self, accepted: Sequence[Accepted], worker: str) -> None:
        if not accepted:
            return
        conn = await self.session.connection()
        attempts: Table = SendAttempt.__table__  # type: ignore[attr-defined]
        table: Table = OutgoingMail.__table__  # type: ignore[attr-defined]
        await conn.execute(
            insert(attempts),
            [
                {
                    "mail_id": a.outcome.mail_id,
                    "at": a.outcome.at,
                    "worker": worker,
                    "outcome": "sent",
                    "smtp_code": a.outcome.code,
                    "smtp_text": a.outcome.text,
                }
                for a in accepted
            ],
        )
        await conn.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                state=EmailState.SENT,
                sent_at=bindparam("b_at"),
                attempts=bindparam("b_attempts"),
                smtp_code=bindparam("b_code"),
                smtp_text=bindparam("b_text"),
                queue_id=bindparam("b_queue"),
                deemed_received_on=bindparam("b_received"),
                **UNCLAIMED,
            ),
            [
                {
                    "b_id": a.outcome.mail_id,
                    "b_at": a.outcome.at,
                    "b_attempts": a.attempts,
                    "b_code": a.outcome.code,
                    "b_text": a.outcome.text,
                    "b_queue": a.outcome.queue_id,
                    "b_received": a.deemed_received_on,
                }
                for a in accepted
            ],
        )

    async def _one(self, where: Any) -> EmailRecord | None:
        row = (await self.session.exec(select(OutgoingMail).where(where))).first()
        return _email(row) if row is not None else None

    async def email(self, message_id: str) -> EmailRecord | None:
        bare = message_id.strip().strip("<>")
        return await self._one(OutgoingMail.message_id == f"<{bare}>")

    async def email_by_id(self, mail_id: int) -> EmailRecord | None:
        return await self._one(OutgoingMail.id == mail_id)

    async def email_by_token(self, token: str) -> EmailRecord | None:
        return await self._one(OutgoingMail.token == token.lower())

    async def emails_for(self, upn: str) -> list[EmailRecord]:
        rows = await self.session.exec(
            select(OutgoingMail).where(OutgoingMail.upn == upn).order_by(col(OutgoingMail.id))
        )
        return [_email(m) for m in rows]

    async def printed_for(self, upn: str) -> list[PrintedCopy]:
        rows = await self.session.exec(
            select(PrintedLetter).where(PrintedLetter.upn == upn).order_by(col(PrintedLetter.id))
        )
        return [_printed(p) for p in rows]

    async def printed(self, printed_id: int) -> PrintedCopy | None:
        row = await self.session.get(PrintedLetter, printed_id)
        return _printed(row) if row is not None else None

    async def printed_delivered(
        self, printed_id: int, how: HowDelivered, on: date, by: str, deemed_received_on: date
    ) -> None:
        await self.session.exec(
            update(PrintedLetter)
            .where(col(PrintedLetter.id) == printed_id)
            .values(
                delivered_how=how,
                delivered_on=on,
                delivered_by=by,
                deemed_received_on=deemed_received_on,
            )
        )

    async def attempts(self, mail_id: int) -> list[SendOutcome]:
        rows = await self.session.exec(
            select(SendAttempt).where(SendAttempt.mail_id == mail_id).order_by(col(SendAttempt.id))
        )
        return [SendOutcome(a.mail_id, a.outcome, a.at, a.smtp_code, a.smtp_text) for a in rows]

    async def counts(self, schools: Collection[str] | None = None) -> dict[str, int]:
        query = select(OutgoingMail.state, func.count())
        if schools is not None:
            query = query.join(Pupil, col(Pupil.upn) == col(OutgoingMail.upn)).where(
                col(Pupil.school_urn).in_(list(schools))
            )
        rows = await self.session.exec(query.group_by(col(OutgoingMail.state)))
        return {state: n for state, n in rows}
