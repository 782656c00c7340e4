"""`serve`'s background loops in a child process (SUPPORTFIRST_BACKGROUND=process, the default)
or a thread (=thread): real processes, stopped by signals, killed, and a loop that dies."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import time
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from supportfirst.own_process import handover
from supportfirst.settings import Settings, reveal
from tests.integration.test_serve import free_port, line_with

BACKGROUND = "supportfirst.background"


@dataclass
class Serving:
    proc: asyncio.subprocess.Process
    port: int
    stderr: Path

    @property
    def stdout(self) -> asyncio.StreamReader:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def last_error(self) -> str:
        lines = self.stderr.read_text().splitlines()
        return lines[-1] if lines else ""


@asynccontextmanager
async def serving(folder: Path, **env: str) -> AsyncIterator[Serving]:
    """`supportfirst serve` on its data folder in `folder`, once the background loops have
    said where mail goes (the line is printed by them, in the child when there is one)."""
    port, stderr = free_port(), folder / "serve.stderr"
    with stderr.open("wb") as err:  # a pipe nobody reads would fill with log lines
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-u",
            "-m",
            "supportfirst",
            "serve",
            "--port",
            str(port),
            cwd=folder,
            env={**os.environ, "SUPPORTFIRST_DATA_DIR": str(folder / "data"), **env},
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
        )
    children: list[int] = []
    try:
        s = Serving(proc, port, stderr)
        await line_with(s.stdout, "serving on")
        await line_with(s.stdout, "sending through")
        children = background_children(proc.pid)
        yield s
    finally:
        for pid in (proc.pid, *children):  # whatever a failed assertion left running
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await proc.wait()


def background_children(pid: int) -> list[int]:
    """The background processes `pid` started (any of its threads)."""
    found = []
    with suppress(FileNotFoundError):  # it has exited
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                with suppress(FileNotFoundError):
                    cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
                    if BACKGROUND.encode() in cmdline:
                        found.append(int(child))
    return found


def running(pid: int) -> bool:
    """Still running: not gone, nor a zombie waiting for whoever inherited it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


async def until_gone(pid: int, timeout: float = 60) -> None:
    for _ in range(int(timeout * 10)):
        if not running(pid):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"process {pid} still running after {timeout:.0f} s")


@pytest.mark.parametrize(
    ("mode", "stop"),
    [("process", signal.SIGTERM), ("process", signal.SIGINT), ("thread", signal.SIGTERM)],
)
async def test_a_signal_stops_serve_and_its_background_cleanly(
    tmp_path: Path, mode: str, stop: signal.Signals
) -> None:
    async with serving(tmp_path, SUPPORTFIRST_BACKGROUND=mode) as s:
        children = background_children(s.proc.pid)
        assert len(children) == (1 if mode == "process" else 0)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{s.port}/healthz") as response,
        ):
            assert response.status == 200
        s.proc.send_signal(stop)
        assert await asyncio.wait_for(s.proc.wait(), 90) == 0, s.stderr.read_text()
        assert "stopped" in (await s.stdout.read()).decode()
        for child in children:
            assert not running(child)


async def test_sigkill_of_serve_does_not_leave_its_background_process_running(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path) as s:
        [child] = background_children(s.proc.pid)
        s.proc.send_signal(signal.SIGKILL)
        await s.proc.wait()
        await until_gone(child)
        with socket.socket() as probe:  # nor its embedded SMTP server, nor anything else
            assert probe.connect_ex(("127.0.0.1", s.port)) != 0


async def test_sigkill_of_the_background_process_stops_serve_saying_so(tmp_path: Path) -> None:
    async with serving(tmp_path) as s:
        [child] = background_children(s.proc.pid)
        os.kill(child, signal.SIGKILL)
        assert await asyncio.wait_for(s.proc.wait(), 90) == 1
        assert s.last_error() == "supportfirst: the background process was killed by SIGKILL"


async def test_a_loop_that_dies_in_the_background_process_stops_serve_with_its_line(
    tmp_path: Path,
) -> None:
    # A claim left by a process that died, whose file's name is now a folder's: the drop
    # folder cannot put it back in line, and its loop stops at start.
    drop = tmp_path / "drop"
    (drop / "processing").mkdir(parents=True)
    (drop / "processing" / f"{socket.gethostname()}.4194305~marks.csv").write_text("x")
    (drop / "marks.csv").mkdir()
    async with serving(tmp_path, SUPPORTFIRST_IMPORT_DIR=str(drop)) as s:
        assert await asyncio.wait_for(s.proc.wait(), 90) == 1
        said = s.last_error()
        assert said.startswith("supportfirst: the drop folder loop stopped: IsADirectoryError:")
        assert "marks.csv" in said


def test_the_background_process_is_handed_the_same_settings_secrets_included(
    tmp_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        SUPPORTFIRST_FROM="attendance@riverside.example",
        SLACK_BOT_TOKEN=SecretStr("xoxb-the-token"),
        SLACK_SIGNING_SECRET=SecretStr("s3cret"),
        review_time=time(7, 30),
        smtp_connections=4,
        import_dir=tmp_path / "drop",
    )
    url = "postgresql://sf:pw@db.example/sf"
    given = json.loads(handover(settings, url))
    assert given["url"] == url
    again = Settings(**given["settings"])
    assert again == settings
    assert reveal(again.slack_signing_secret) == "s3cret"


def niceness_of_threads(pid: int) -> set[int]:
    """The nice value of each thread of `pid` (Linux sets it per thread), from /proc."""
    return {
        int((task / "stat").read_text().rsplit(")", 1)[1].split()[16])
        for task in Path(f"/proc/{pid}/task").iterdir()
    }


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


@pytest.mark.parametrize(("env", "lower"), [({}, 10), ({"SUPPORTFIRST_BACKGROUND_NICE": "3"}, 3)])
async def test_the_background_process_runs_below_the_listener_s_cpu_priority(
    tmp_path: Path, env: dict[str, str], lower: int
) -> None:
    async with serving(tmp_path, **env) as s:
        own = os.getpriority(os.PRIO_PROCESS, s.proc.pid)
        [child] = background_children(s.proc.pid)
        assert niceness_of_threads(s.proc.pid) == {own}
        below = min(19, own + lower)
        for pid in (child, *descendants(child)):  # its threads, and its ingest workers
            assert niceness_of_threads(pid) == {below}
        assert len(list(Path(f"/proc/{child}/task").iterdir())) > 1


async def test_with_the_loops_in_a_thread_every_thread_keeps_serve_s_priority(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path, SUPPORTFIRST_BACKGROUND="thread") as s:
        own = os.getpriority(os.PRIO_PROCESS, s.proc.pid)
        assert background_children(s.proc.pid) == []
        assert niceness_of_threads(s.proc.pid) == {own}
