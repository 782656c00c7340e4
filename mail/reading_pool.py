"""Reading a batch of inbound mail in a pool of processes (`casework.inbound.Reader`): the parse,
the classifier's rules and the DKIM checks are pure CPU and hold the GIL, so read in the
service's own process they use one core and stop the event loop meanwhile. The workers start
fresh (`spawn`: nothing of the parent's event loop, threads or connections is copied), each
with its own authenticator (DNS answers kept by their TTL, across batches); only the raw bytes
go in and the compact reading (class, tokens, references, proof) comes out. With
SUPPORTFIRST_INGEST_WORKERS 0 or 1 the batch is read here, in a thread.

Handed a `keep` (the evidence store's `write_unsynced`, by the composition root), the pool also
writes each message's blob where it reads it (`keep_and_read`): the worker already holds the
bytes, and ~7 system calls a blob made in the ingester's own process each waited there for the
GIL behind the event loop and the database's thread. The blobs are not durable yet: the caller
makes the whole batch durable in one pass before anything refers to them.

A worker that dies (killed, out of memory) fails the whole batch (ReadingFailed): nothing of it
is filed, a fresh pool is started, and the batch is read again on the next pass."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import TypeVar

from mail.authenticity import Authenticator, Resolver
from mail.reading import Reading, read_message

Keep = Callable[[Sequence[bytes]], list[str]]  # writes blobs, not yet durable; their names

_authenticator: Authenticator | None = None  # a worker's own, made when it starts
_keep: Keep | None = None  # how a worker writes the blobs of what it reads, if it does
_remembering: tuple[int, Authenticator] | None = None  # the batch it is reading, with its DNS


_Part = TypeVar("_Part")


class ReadingFailed(RuntimeError):
    """A reading worker died mid-batch: the batch is not filed and is read again."""


def _orphaned() -> None:
    """Exit as soon as the ingester is gone: killed (SIGKILL, the OOM killer), it cannot stop
    its workers, which would otherwise wait for work for ever and keep its pipes open."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        multiprocessing.connection.wait([parent.sentinel])
    os._exit(1)


def _start(trusted_ids: tuple[str, ...], dns_server: str | None, keep: Keep | None) -> None:
    global _authenticator, _keep
    _keep = keep
    threading.Thread(target=_orphaned, name="orphaned", daemon=True).start()
    # flufl.bounce logs a traceback on some hostile bounces before classify() recovers.
    logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)
    _authenticator = Authenticator(trusted_ids, Resolver(dns_server, keep_by_ttl=True))


def _read(raws: Sequence[bytes], authenticate: Authenticator) -> list[Reading]:
    return [read_message(raw, authenticate) for raw in raws]


def _read_in_worker(batch: int, raws: Sequence[bytes]) -> list[Reading]:
    """One part of batch number `batch`: the DNS answers are kept for every part of the batch
    this worker reads (its messages share a few domains), not beyond it."""
    global _remembering
    assert _authenticator is not None, "the pool's initializer makes it"
    if _remembering is None or _remembering[0] != batch:
        _remembering = (batch, _authenticator.remembering())
    return _read(raws, _remembering[1])


def _keep_and_read_in_worker(batch: int, raws: Sequence[bytes]) -> tuple[list[str], list[Reading]]:
    """One part's blobs written (not yet durable), then the part read."""
    assert _keep is not None, "a pool that keeps hands its workers `keep`"
    return _keep(raws), _read_in_worker(batch, raws)


def _answer() -> int:
    time.sleep(0.01)  # long enough for the task to go to a worker that has not answered yet
    return os.getpid()


def _parts(raws: Sequence[bytes], n: int) -> list[Sequence[bytes]]:
    size = -(-len(raws) // n)  # ceiling: n parts at most, in order
    return [raws[i : i + size] for i in range(0, len(raws), size)]


class ReadingPool:
    """Reads batches in `workers` processes (0 or 1: in a thread of this one). Made once per
    ingester and closed with it."""

    def __init__(
        self,
        workers: int,
        trusted_ids: Sequence[str],
        dns_server: str | None = None,
        keep: Keep | None = None,
    ) -> None:
        self.workers = workers
        self._keep = keep
        self._start_args = (tuple(trusted_ids), dns_server, keep)
        self._started: list[Future[int]] = []
        self._batches = 0  # batches handed to the pool: each worker's DNS memory is per batch
        self._here = Authenticator(self._start_args[0], Resolver(dns_server, keep_by_ttl=True))
        self._pool = self._new_pool() if workers > 1 else None

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=self._start_args,
        )
        # Started now, while the first batch is fetched.
        self._started = [pool.submit(int) for _ in range(self.workers)]
        return pool

    @property
    def keeps(self) -> bool:
        """Handed `keep`: `keep_and_read` writes the blobs of what it reads."""
        return self._keep is not None

    def warm(self) -> None:
        """Wait until every worker has started (each imports the parser and the checks, a
        second or more on a busy machine) and answered."""
        if self._pool is None:
            return
        seen: set[int] = set()
        while len(seen) < self.workers:
            seen.update(f.result() for f in [self._pool.submit(_answer) for _ in self._started])

    async def read_all(self, raws: Sequence[bytes]) -> list[Reading]:
        if self._pool is None or not raws:
            # DNS answers kept for the batch: its messages share a few domains.
            return await asyncio.to_thread(_read, raws, self._here.remembering())
        parts = await self._in_workers(_read_in_worker, raws)
        return [reading for part in parts for reading in part]

    async def keep_and_read(self, raws: Sequence[bytes]) -> tuple[list[str], list[Reading]]:
        """Write each message's blob (not yet durable) and read it: the names and the readings,
        in order."""
        keep = self._keep
        if keep is None:
            raise TypeError("this pool was not handed `keep`: it reads, it does not write")
        if self._pool is None or not raws:
            here = self._here.remembering()
            return await asyncio.to_thread(lambda: (keep(raws), _read(raws, here)))
        parts = await self._in_workers(_keep_and_read_in_worker, raws)
        return [s for names, _ in parts for s in names], [r for _, rs in parts for r in rs]

    async def _in_workers(
        self, work: Callable[[int, Sequence[bytes]], _Part], raws: Sequence[bytes]
    ) -> list[_Part]:
        assert self._pool is not None
        loop = asyncio.get_running_loop()
        self._batches += 1
        calls: list[asyncio.Future[_Part]] = []
        try:
            # Two parts a worker: one slowed by a busy neighbour holds up less of the batch.
            for part in _parts(raws, 2 * self.workers):
                calls.append(loop.run_in_executor(self._pool, work, self._batches, part))
            return await asyncio.gather(*calls)
        except BrokenProcessPool as e:  # a worker died: now or before this batch
            await asyncio.gather(*calls, return_exceptions=True)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            raise ReadingFailed(
                f"a reading worker died mid-batch ({e}): nothing of the batch was filed"
            ) from e

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ReadingPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
