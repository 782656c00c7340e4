"""Sending until nothing is due, pipelined: batch N+1 is claimed while batch N is on the wire,
and on the wire while batch N is recorded, so the connections are not idle during the
database's work (and, on SQLite, the claim and the record never contend for the write lock).

The journal's promises are those of one batch at a time (casework/outgoing.py): each message's
"began" is durable before its DATA, and every outcome is in the worker's journal before it is
recorded, so a SIGKILL while batch N is recorded and N+1 sent leaves both to be settled from the
journal on restart, each email sent once or failed with an alert, never twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from casework.outgoing import (
    BatchReport,
    Journal,
    PreparedBatch,
    Transport,
    finish_batch,
    prepare_batch,
)
from casework.ports import Evidence, UnitOfWork
from casework.records import SendOutcome


async def drain(
    new_uow: Callable[[], UnitOfWork],
    evidence: Evidence,
    transport: Transport,
    journal: Journal,
    worker: str,
    clock: Callable[[], datetime],
    batch_size: int,
    seen: Callable[[BatchReport], Awaitable[None]],
) -> None:
    """Send batches until none is due (or the journal cannot be written); `seen` gets each
    batch's report, in order, once it is recorded."""
    in_flight: tuple[PreparedBatch, asyncio.Future[list[SendOutcome]]] | None = None
    stop = False
    try:
        while True:
            # Claim N+1 while N is on the wire; then send N+1 while N is recorded. One
            # transport.send at a time, so the connections stay as configured.
            got = None
            if not stop:
                got = await prepare_batch(new_uow, evidence, journal, worker, clock, batch_size)
            previous, in_flight = in_flight, None
            outcomes = await previous[1] if previous is not None else []
            if isinstance(got, PreparedBatch):
                in_flight = (got, asyncio.ensure_future(transport.send(got.items, journal)))
            if previous is not None:
                report = await finish_batch(new_uow, worker, previous[0], outcomes, clock)
                await seen(report)
                stop = stop or bool(report.journal_error)
            if in_flight is None:
                if isinstance(got, BatchReport):  # nothing sent: consent withdrawn, disk full
                    await seen(got)
                if not isinstance(got, BatchReport) or got.journal_error:  # idle, or stop
                    return
    finally:  # what was handed over is always recorded before we go
        if in_flight is not None:
            batch, sending = in_flight
            outcomes = await asyncio.shield(sending)
            await seen(await finish_batch(new_uow, worker, batch, outcomes, clock))
