"""PDFs made in a pool of processes: WeasyPrint holds the GIL for the ~0.1–0.3 s a letter takes,
so made in the service's own process it would stop the event loop (and every other letter of a
batch) meanwhile. The workers start fresh (`spawn`: nothing of the parent's event loop, threads
or database connections is copied) and load WeasyPrint once each."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from types import TracebackType

from casework.letters import Letter
from casework.sending import Printable


def _load() -> None:
    import documents.pdf  # noqa: F401  WeasyPrint's ~0.6 s import, once per worker


def _pdf(html: str, subject: str, now: datetime) -> bytes:
    from documents.pdf import letter_pdf

    return letter_pdf(html, subject, now)


class PrintPool:
    """`casework.sending.Printer`: the postroom's printable copy, made by a worker process.
    The bytes are those `Postroom.printable` makes (documents.pdf is deterministic)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or min(os.cpu_count() or 1, 4)
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_load
        )

    async def printable(self, letter: Letter, name: str, now: datetime) -> Printable:
        loop = asyncio.get_running_loop()
        pdf = await loop.run_in_executor(self._pool, _pdf, letter.html, letter.subject, now)
        return Printable(pdf, "application/pdf", name)

    def warm(self) -> None:
        """Start every worker now (each loads WeasyPrint) rather than at the first letter."""
        for f in [self._pool.submit(_load) for _ in range(self.workers)]:
            f.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PrintPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
