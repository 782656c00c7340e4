"""Sending until nothing is due, pipelined: batch N+1 is claimed and on the wire while batch N
is being recorded, so the connections are not idle during the database's work.

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
    recording: asyncio.Future[BatchReport] | None = None
    in_flight: tuple[PreparedBatch, asyncio.Future[list[SendOutcome]]] | None = None
    stop = False
    try:
        while True:
            got = None
            if not stop:
                got = await prepare_batch(new_uow, evidence, journal, worker, clock, batch_size)
            if isinstance(got, PreparedBatch):
                in_flight = (got, asyncio.ensure_future(transport.send(got.items, journal)))
            if recording is not None:
                report, recording = await recording, None
                await seen(report)
                stop = stop or bool(report.journal_error)
            if in_flight is None:
                if isinstance(got, BatchReport):  # nothing sent: consent withdrawn, disk full
                    await seen(got)
                if not isinstance(got, BatchReport) or got.journal_error:  # idle, or stop
                    return
                continue
            batch, sending = in_flight
            outcomes, in_flight = await sending, None
            recording = asyncio.ensure_future(finish_batch(new_uow, worker, batch, outcomes, clock))
    finally:  # what was handed over is always recorded, in order, before we go
        if recording is not None:
            await seen(await asyncio.shield(recording))
        if in_flight is not None:
            batch, sending = in_flight
            outcomes = await asyncio.shield(sending)
            await seen(await finish_batch(new_uow, worker, batch, outcomes, clock))
