"""`supportfirst serve` on the embedded defaults: health, console alerts, a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from datetime import date
from pathlib import Path

import aiohttp

from tests import builders as b


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run(folder: Path, *args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "supportfirst",
        *args,
        cwd=folder,
        env={**os.environ, "SUPPORTFIRST_DATA_DIR": str(folder / "data")},
    )
    assert await proc.wait() == 0


async def start_serve(env: dict[str, str], ready: str = "serving on") -> asyncio.subprocess.Process:
    """`supportfirst serve` on a free port with `env` added, once it has printed `ready`."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-u",
        "-m",
        "supportfirst",
        "serve",
        "--port",
        str(free_port()),
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    await line_with(proc.stdout, ready)
    return proc


async def line_with(stream: asyncio.StreamReader, text: str, timeout: float = 90) -> str:
    """The first line holding `text`; a loaded CI machine may take a while to start Python."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        try:
            line = (await asyncio.wait_for(stream.readline(), max(left, 0.1))).decode()
        except TimeoutError:
            said = f"the service printed no {text!r} within {timeout:.0f} s"
            raise AssertionError(said) from None
        assert line, f"the service exited before printing {text!r}"
        if text in line:
            return line


async def test_serve_answers_healthz_and_prints_each_pending_alert_once(tmp_path: Path) -> None:
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils(b.UPN_1)),
        ("calendar", b.calendar()),
    ):
        (tmp_path / f"{kind}.csv").write_bytes(data)
        await run(tmp_path, "import", kind, f"{kind}.csv")
    gone = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]
    marks = b.marks(b.UPN_1, date(2025, 3, 3), date(2025, 3, 7), absent=gone)
    (tmp_path / "marks.csv").write_bytes(b.csv_bytes(b.MARKS_HEADER, marks))
    await run(tmp_path, "import", "marks", "marks.csv")
    await run(tmp_path, "review", "--on", "2025-03-07")

    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-u",
        "-m",
        "supportfirst",
        "serve",
        "--port",
        str(port),
        cwd=tmp_path,
        env={**os.environ, "SUPPORTFIRST_DATA_DIR": str(tmp_path / "data")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        await line_with(proc.stdout, "serving on")
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
        alert = await line_with(proc.stdout, "ALERT ")
        assert alert.startswith(f"ALERT ThresholdMet {b.UPN_1} ")
        logged = (tmp_path / "data" / "alerts.log").read_text()
        assert f"ALERT ThresholdMet {b.UPN_1} " in logged
    finally:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) in (0, 130)
