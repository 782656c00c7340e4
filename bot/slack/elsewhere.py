"""Bolt's lazy listeners (the answers) run on another event loop, in a thread of its own.

`serve` builds its Bolt app with this runner: the listener's loop only checks a request's
signature, acks it and hands the answer over. Each `/attendance status` answer is ~13 ms of
database work; 50 at once on the listener's loop delayed the last ack of a round by ~650 ms
(bench/README.md, "The answers off the listener's loop"). The answers' dependencies must be
built from the other loop's engine: a connection belongs to the loop that opened it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable

from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest


class AnswersElsewhere(AsyncLazyListenerRunner):
    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = threading.Event()

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        job = to_runnable_function(internal_func=function, logger=self.logger, request=request)
        loop = self._loop
        if loop is None:  # not serving (yet, or any more): answered here, as Bolt would
            asyncio.ensure_future(job)
        else:
            asyncio.run_coroutine_threadsafe(job, loop)

    async def run_forever(self) -> None:
        """Take answers on the running loop until cancelled (then they run where they start)."""
        self._loop = asyncio.get_running_loop()
        self._running.set()
        try:
            await asyncio.Event().wait()
        finally:
            self._loop = None
            self._running.clear()

    async def running(self) -> None:
        """Wait (from another thread's loop) until `run_forever` takes answers."""
        await asyncio.to_thread(self._running.wait)
