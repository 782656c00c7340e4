"""`supportfirst mail ingest --once` in a real process that SIGKILLs itself at one chosen point
of a batch: the instrument of tests/mail/test_ingest_restart.py.

    python -m tests.mail.ingest_killer POINT N

The process runs as the CLI would, except that the Nth time it reaches POINT it sends itself
SIGKILL: nothing is flushed, closed or rolled back on the way out, as when the machine's
operator or the kernel's OOM killer stops it.
"""

from __future__ import annotations

import functools
import inspect
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

import casework.inbound
from casework.inbound_case import CaseFiling
from mail.inbox import ImapInbox
from mail.reading_pool import ReadingPool
from store.evidence import EvidenceStore
from store.mail_inbound import SqlInbound
from supportfirst.cli import main as cli_main

# point -> (owner, attribute, killed before the call or after it returned)
POINTS: dict[str, tuple[Any, str, str]] = {
    "a blob half the batch in": (EvidenceStore, "_write", "before"),
    "the blobs written, not yet durable": (EvidenceStore, "_durable", "before"),
    "the batch being read (in the pool)": (ReadingPool, "read_all", "before"),
    "the blobs durable, the batch maybe still being read": (EvidenceStore, "put_many", "after"),
    "read, nothing looked up": (casework.inbound, "look_up", "before"),
    "the rows inserted, not committed": (SqlInbound, "add_inbound_many", "after"),
    "the entries inserted, not committed": (CaseFiling, "flush", "after"),
    "committed, not acknowledged": (ImapInbox, "acknowledge", "before"),
}


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _killing(fn: Callable[..., Any], nth: int, when: str) -> Callable[..., Any]:
    calls = 0

    def due() -> bool:
        nonlocal calls
        calls += 1
        return calls == nth

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
            dying = due()
            if dying and when == "before":
                _die()
            result = await fn(*args, **kwargs)
            if dying:
                _die()
            return result

        return wrapped_async

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        dying = due()
        if dying and when == "before":
            _die()
        result = fn(*args, **kwargs)
        if dying:
            _die()
        return result

    return wrapped


def main() -> None:
    point, nth = sys.argv[1], int(sys.argv[2])
    owner, name, when = POINTS[point]
    setattr(owner, name, _killing(getattr(owner, name), nth, when))
    sys.argv = ["supportfirst", "mail", "ingest", "--once"]
    cli_main()


if __name__ == "__main__":
    main()
