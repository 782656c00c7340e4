"""Serve's background loops in a child process: `python -m supportfirst.background`.

The sender, the ingester, the review, alert delivery and the drop folder are CPU-bound Python;
in a thread of serve's own process they hold the GIL that the HTTP listener needs to answer
Slack's acks (bench/README.md, "The ack off the busy loop"). In a process of their own they
share nothing with it but the database, and run at a lower CPU priority
(SUPPORTFIRST_BACKGROUND_NICE, set by the child itself) so the listener comes first for the
cores. The child builds its own App from the same settings and
database URL (handed over on its stdin, secrets included, never on its command line or in its
environment) and writes to serve's own stdout and stderr (the alerts printed, the log lines).

Its lifetime is serve's: it stops cleanly when its stdin closes (serve stopping) or on SIGTERM;
when serve dies (SIGKILL, a crash) the kernel kills it too (PR_SET_PDEATHSIG, Linux; elsewhere
the pipe closing stops it), as when the loops were threads of serve: no sender outlives its
serve to overlap with the next one, and the journal's SIGKILL promises cover it. If it ends
on its own, serve stops with it: LoopDied with the one line the child wrote on its report pipe
(the loop that died and why), or how it ended (killed by a signal). It is not restarted: a
service half-alive is worse than one that stops and says why (its supervisor, systemd for
instance, restarts the whole of serve).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys

from pydantic import SecretStr

from supportfirst.bootstrap import App, LoopDied
from supportfirst.settings import Settings, reveal

STOP_SECONDS = 30.0  # a clean stop closes the sender's connections: then SIGKILL


def handover(settings: Settings, url: str) -> bytes:
    """What the child needs to build the same App: every setting's value and the database URL,
    as one line of JSON."""
    values = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        values[name] = reveal(value) if isinstance(value, SecretStr) else value
    return json.dumps({"settings": values, "url": url}, default=str).encode() + b"\n"


async def in_own_process(application: App) -> None:
    """Run the background loops in a child process until it ends (then LoopDied, or a return
    if it was told to stop by SIGTERM) or until this is cancelled (then it is stopped first)."""
    report, report_w = os.pipe()
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "supportfirst.background",
            str(os.getpid()),
            str(report_w),
            stdin=asyncio.subprocess.PIPE,
            pass_fds=(report_w,),
        )
    except BaseException:
        os.close(report)
        raise
    finally:
        os.close(report_w)
    try:
        assert child.stdin is not None
        child.stdin.write(handover(application.settings, application.url))
        await child.stdin.drain()
        code = await child.wait()
    except BaseException:
        await _stop(child)
        raise
    finally:
        said = _read_all(report)
    if code == 0:  # stopped by SIGTERM (a service manager stopping both): serve stops too
        return
    if code < 0:
        raise LoopDied(said or f"the background process was killed by {signal.Signals(-code).name}")
    raise LoopDied(said or f"the background process exited with {code}")


async def _stop(child: asyncio.subprocess.Process) -> None:
    """Close its stdin (its signal to stop cleanly) and wait; SIGKILL after STOP_SECONDS."""
    if child.returncode is not None:
        return
    assert child.stdin is not None
    child.stdin.close()
    try:
        await asyncio.wait_for(asyncio.shield(child.wait()), STOP_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()


def _read_all(fd: int) -> str:
    """The child's report (it has exited, so all of it is there): without blocking, as a
    grandchild could still hold the pipe open."""
    os.set_blocking(fd, False)
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace").strip()
