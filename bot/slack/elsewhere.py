"""Bolt's lazy listeners (the answers) run on another event loop, in a thread of its own.

`serve` builds its Bolt app with this runner: the listener's loop only checks a request's
signature, acks it and hands the answer over. Each `/attendance status` answer is ~13 ms of
database work; 50 at once on the listener's loop delayed the last ack of a round by ~650 ms
(bench/README.md, "The answers off the listener's loop"). The answers' dependencies must be
built from the other loop's engine: a connection belongs to the loop that opened it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest

# An answer waits at most this long for the listener's loop to have no request left to ack.
MOST_DEFERRED = 2.0
LOOK_EVERY = 0.005


class AnswersElsewhere(AsyncLazyListenerRunner):
    """Answers start when no request is waiting for its ack (`acking`), or after MOST_DEFERRED:
    the answers' thread is CPU-bound Python sharing the GIL with the listener's, and each time
    the listener's thread wakes it would wait behind them."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = threading.Event()
        self._queue: asyncio.Queue[Coroutine[Any, Any, None]] | None = None
        self._acking = 0  # requests on the listener's loop not yet answered (only touched there)
        self._quiet = threading.Event()
        self._quiet.set()

    @contextlib.contextmanager
    def acking(self) -> Iterator[None]:
        """Around one request on the listener's loop, until its ack is sent."""
        self._acking += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._acking -= 1
            if self._acking == 0:
                self._quiet.set()

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        job = to_runnable_function(internal_func=function, logger=self.logger, request=request)
        loop, queue = self._loop, self._queue
        if loop is None or queue is None:  # not serving (yet, or any more): here, as Bolt would
            asyncio.ensure_future(job)
        else:
            try:
                loop.call_soon_threadsafe(self._take, queue, job)
            except RuntimeError:  # that loop closed just now: nobody will run it
                job.close()

    def _take(
        self, queue: asyncio.Queue[Coroutine[Any, Any, None]], job: Coroutine[Any, Any, None]
    ) -> None:
        """On the answers' loop: queue the answer, or close it if `run_forever` has ended."""
        if self._queue is queue:
            queue.put_nowait(job)
        else:
            job.close()

    async def run_forever(self) -> None:
        """Take answers on the running loop until cancelled (then they run where they start)."""
        queue: asyncio.Queue[Coroutine[Any, Any, None]] = asyncio.Queue()
        answering: set[asyncio.Task[None]] = set()
        self._queue, self._loop = queue, asyncio.get_running_loop()
        self._running.set()
        job: Coroutine[Any, Any, None] | None = None
        try:
            while True:
                job = await queue.get()
                await self._after_the_acks()
                task = asyncio.create_task(job)
                job = None
                answering.add(task)
                task.add_done_callback(answering.discard)
        finally:
            self._loop = self._queue = None
            self._running.clear()
            for task in answering:
                task.cancel()
            # Wait for them: an answer cancelled mid-query gives its connection back before
            # the caller disposes of this loop's engine (else it is collected still open).
            await asyncio.gather(*answering, return_exceptions=True)
            # Answers handed over but never started are closed, not left for the collector
            # (which would warn "never awaited" at some later, unrelated moment).
            if job is not None:
                job.close()
            while not queue.empty():
                queue.get_nowait().close()

    async def _after_the_acks(self) -> None:
        # Sleeping here leaves the GIL to the listener's thread.
        waited = 0.0
        while not self._quiet.is_set() and waited < MOST_DEFERRED:
            await asyncio.sleep(LOOK_EVERY)
            waited += LOOK_EVERY

    async def running(self) -> None:
        """Wait (from another thread's loop) until `run_forever` takes answers."""
        await asyncio.to_thread(self._running.wait)
