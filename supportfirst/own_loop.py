"""Running a coroutine on an event loop of its own, in a thread of its own.

`serve` answers Slack's acks and the case pages on one loop and runs its background work (the
sender, the ingester, the review, alert delivery) on another: a sender step or a review that
holds its loop for tens of milliseconds then never delays an ack behind it (DESIGN.md: Slack
gets its ack within 3 seconds, always). bench/slack_ack.py measures it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def in_own_thread(make: Callable[[], Coroutine[Any, Any, T]], name: str) -> T:
    """Await `make()` run to its end on a new loop in a new thread: its result or its error
    comes back here. Cancelling the caller cancels it there and waits until it has finished
    (its `finally` blocks and context managers have run)."""
    here = asyncio.get_running_loop()
    finished: asyncio.Future[T] = here.create_future()
    started = threading.Event()
    running: list[asyncio.Task[Any]] = []

    def settle(outcome: Callable[..., object], *args: Any) -> None:
        if not finished.done():
            outcome(*args)

    def hand_back(outcome: Callable[..., object], *args: Any) -> None:
        # RuntimeError: the caller's loop is closed, nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            here.call_soon_threadsafe(settle, outcome, *args)

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        running.append(task)
        started.set()
        try:
            result = await make()
        except asyncio.CancelledError:
            hand_back(finished.cancel)
        except BaseException as e:  # everything goes back to the caller, nothing to stderr
            hand_back(finished.set_exception, e)
        else:
            hand_back(finished.set_result, result)

    thread = threading.Thread(target=asyncio.run, args=(main(),), name=name, daemon=True)
    thread.start()
    try:
        return await asyncio.shield(finished)
    finally:
        if not finished.done():  # the caller was cancelled: stop it there first
            await asyncio.to_thread(started.wait)
            running[0].get_loop().call_soon_threadsafe(running[0].cancel)
        await asyncio.to_thread(thread.join)
