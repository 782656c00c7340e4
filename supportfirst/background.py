"""`python -m supportfirst.background SERVE_PID REPORT_FD`: serve's background loops in the
child process serve starts (supportfirst/own_process.py; not a command for people to run).

Reads the settings and the database URL from its stdin (one line of JSON), builds its App,
and runs the loops (supportfirst.serve.background_loops) until its stdin closes or SIGTERM
(exit 0), or until a loop dies (the loop's one line on REPORT_FD, exit 1).
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import os
import signal
import sys

from supportfirst.bootstrap import LoopDied, bootstrap
from supportfirst.logs import configure_logging
from supportfirst.serve import background_loops
from supportfirst.settings import Settings

log = logging.getLogger("supportfirst")

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Killed with serve, however serve dies (Linux), as its threads would be: a clean stop is
    serve's to ask for (closing the stdin pipe, which also happens when it dies elsewhere)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # serve died before that was set
        sys.exit(0)


def _below_the_listener(steps: int) -> None:
    """Lower this process's CPU priority by `steps` below serve's before any work starts: when
    the listener and these loops are both runnable, the kernel runs the listener's acks first.
    Linux applies a nice value per thread, so this runs while the process has only its main
    thread: every thread started after it (aiosqlite's, the executor's) inherits it."""
    if steps:
        os.nice(steps)


class _UntilClosed(asyncio.Protocol):
    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop.set()


async def _run(given: dict[str, object]) -> str | None:
    """The loops until told to stop (None), or the one line saying why they stopped."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await loop.connect_read_pipe(lambda: _UntilClosed(stop), sys.stdin)
    try:
        settings = Settings(**given["settings"])  # type: ignore[arg-type]
        _below_the_listener(settings.background_nice)
        application = bootstrap(settings, str(given["url"]), migrate=False)  # serve migrated
    except Exception as e:
        return f"the background process could not start: {type(e).__name__}: {e}"
    loops = asyncio.create_task(background_loops(application))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait((loops, stopping), return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not loops.done():
        loops.cancel()
    await asyncio.wait((loops,))
    if loops.cancelled() or (error := loops.exception()) is None:
        return None
    while isinstance(error, BaseExceptionGroup):  # the TaskGroup's: the first loop to die
        error = error.exceptions[0]
    if isinstance(error, LoopDied):
        return str(error)
    log.error("the background loops stopped", exc_info=error)
    return f"the background loops stopped: {type(error).__name__}: {error}"


def main() -> None:
    parent, report = int(sys.argv[1]), int(sys.argv[2])
    os.set_inheritable(report, False)
    os.umask(0o077)  # as the CLI's entry: every file written holds personal data
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is serve's, which then stops this
    _die_with(parent)
    line = sys.stdin.buffer.readline()
    if not line:  # serve went away before handing over
        sys.exit(0)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # alerts, as printed
    configure_logging()
    said = asyncio.run(_run(json.loads(line)))
    if said is not None:
        os.write(report, said.encode() + b"\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
