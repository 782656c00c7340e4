"""`supportfirst mail ingest --once` in a real process that SIGKILLs itself at one chosen point
of a batch: the instrument of tests/mail/test_ingest_restart.py.

    python -m tests.mail.ingest_killer POINT N

The process runs as the CLI would, except that the Nth time it reaches POINT it sends itself
SIGKILL: nothing is flushed, closed or rolled back on the way out, as when the machine's
operator or the kernel's OOM killer stops it.

The ingester reads batch N+1 while it files batch N, so a point of the read-ahead may come
before or after N is committed. A point named in WAITS dies only once the other side of the
overlap is where it says (the first batch filed, or the second being read), so that each run
files a known number of batches.

The blobs are written in the reading workers (other processes), so the point half-way through
a batch's blobs is reached there: the worker reading the second batch's first part to get
there writes half its blobs, waits until the first batch is filed, and SIGKILLs the ingester.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import casework.inbound
import mail.reading_pool
import supportfirst.ingesting
from casework.inbound_case import CaseFiling
from mail.inbox import ImapInbox
from mail.reading import Reading
from mail.reading_pool import ReadingPool
from store.evidence import EvidenceStore
from store.mail_inbound import SqlInbound
from supportfirst.cli import main as cli_main

IN_A_WORKER = "in a reading worker"
# point -> (owner, attribute, killed before the call or after it returned, or in a worker)
POINTS: dict[str, tuple[Any, str, str]] = {
    "a blob half the batch in": (mail.reading_pool, "_keep_and_read_in_worker", IN_A_WORKER),
    "the blobs written, not yet durable": (EvidenceStore, "make_durable", "before"),
    "the batch being read (in the pool)": (ReadingPool, "keep_and_read", "before"),
    "the blobs durable, nothing filed": (EvidenceStore, "make_durable", "after"),
    "the rows inserted, the next batch being read": (SqlInbound, "add_inbound_many", "after"),
    "read, nothing looked up": (casework.inbound, "look_up", "before"),
    "the rows inserted, not committed": (SqlInbound, "add_inbound_many", "after"),
    "the entries inserted, not committed": (CaseFiling, "flush", "after"),
    "committed, not acknowledged": (ImapInbox, "acknowledge", "before"),
}

FIRST_FILED = "the first batch filed"
SECOND_READ = "the second batch being read"
# point -> what must have happened before it dies: the read-ahead's points (in the second
# batch) wait for the first batch's commit; the overlap's own point for the second batch's read
WAITS: dict[str, str] = {
    "a blob half the batch in": FIRST_FILED,
    "the blobs written, not yet durable": FIRST_FILED,
    "the batch being read (in the pool)": FIRST_FILED,
    "the blobs durable, nothing filed": FIRST_FILED,
    "the rows inserted, the next batch being read": SECOND_READ,
}
_happened = {FIRST_FILED: threading.Event(), SECOND_READ: threading.Event()}
# (owner, attribute, its Nth call, what it signals, at the call's start or once it returned)
SIGNALS: list[tuple[Any, str, int, str, str]] = [
    (supportfirst.ingesting, "file_read", 1, FIRST_FILED, "after"),
    (ReadingPool, "keep_and_read", 2, SECOND_READ, "before"),
]
# Where the ingester tells its reading workers what has happened (a file for each event)
SIGNAL_FOLDER = "SUPPORTFIRST_KILLER_SIGNALS"


def _signal(event: str) -> None:
    _happened[event].set()
    (Path(os.environ[SIGNAL_FOLDER]) / event).touch()


def _half_kept_then_die(batch: int, raws: Sequence[bytes]) -> tuple[list[str], list[Reading]]:
    """A reading worker's part (mail.reading_pool._keep_and_read_in_worker): in the second
    batch, the first part to get here writes half its blobs, waits until the first batch is
    filed and SIGKILLs the ingester; every other part is kept and read as usual."""
    signals = Path(os.environ[SIGNAL_FOLDER])
    keep = mail.reading_pool._keep
    assert keep is not None
    if batch == 2:
        try:
            os.close(os.open(signals / "killing", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            pass  # another part kills it
        else:
            keep(raws[: max(1, len(raws) // 2)])
            for _ in range(6000):
                if (signals / FIRST_FILED).exists():
                    break
                time.sleep(0.01)
            ingester = multiprocessing.parent_process()
            assert ingester is not None and ingester.pid is not None
            os.kill(ingester.pid, signal.SIGKILL)
            time.sleep(60)  # the worker exits once it sees its ingester gone
    return keep(raws), mail.reading_pool._read_in_worker(batch, raws)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _signalling(fn: Callable[..., Any], nth: int, event: str, when: str) -> Any:
    """`fn`, setting `event` when its Nth call begins (`when` = "before") or has returned."""
    calls = 0

    @functools.wraps(fn)
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        mine = calls
        if mine == nth and when == "before":
            _signal(event)
        result = await fn(*args, **kwargs)
        if mine == nth:
            _signal(event)
        return result

    return wrapped


def _killing(
    fn: Callable[..., Any], nth: int, when: str, waited: threading.Event | None
) -> Callable[..., Any]:
    calls = 0

    def due() -> bool:
        nonlocal calls
        calls += 1
        return calls == nth

    if inspect.iscoroutinefunction(fn):

        async def die() -> None:
            if waited is not None:  # waited for in a thread: the loop runs the other side
                await asyncio.to_thread(waited.wait, 60)
            _die()

        @functools.wraps(fn)
        async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
            dying = due()
            if dying and when == "before":
                await die()
            result = await fn(*args, **kwargs)
            if dying:
                await die()
            return result

        return wrapped_async

    def die_here() -> None:
        if waited is not None:  # the sync points run in the blobs' thread, not the loop
            waited.wait(60)
        _die()

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        dying = due()
        if dying and when == "before":
            die_here()
        result = fn(*args, **kwargs)
        if dying:
            die_here()
        return result

    return wrapped


def main() -> None:
    point, nth = sys.argv[1], int(sys.argv[2])
    owner, name, when = POINTS[point]
    # Before the reading pool is started: its workers are handed this environment.
    os.environ[SIGNAL_FOLDER] = tempfile.mkdtemp(prefix="ingest-killer-")
    for where, attribute, n, event, moment in SIGNALS:
        setattr(where, attribute, _signalling(getattr(where, attribute), n, event, moment))
    if when == IN_A_WORKER:
        # Looked up when each part is handed to the pool, and pickled by name: the workers run it.
        setattr(owner, name, _half_kept_then_die)
    else:
        waited = _happened[WAITS[point]] if point in WAITS else None
        setattr(owner, name, _killing(getattr(owner, name), nth, when, waited))
    sys.argv = ["supportfirst", "mail", "ingest", "--once"]
    cli_main()


if __name__ == "__main__":
    main()
