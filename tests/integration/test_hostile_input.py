"""Hostile input never gives a traceback (issue 13 point 5).

Hypothesis drives every CLI import and the HTTP endpoints with bad UTF-8, huge fields, duplicate
headers, stray quotes and year 1 / 9999 dates. Each answer is an error naming where it went wrong
(one line, or an import's `FILE:LINE: field: reason` list) and a non-zero exit, or a 4xx; and a
refused import leaves the database exactly as it was. The CLI runs in-process, as its entry point
does, so that a traceback is an exception this test sees rather than text it has to recognise.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import io
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportfirst.cli import main
from tests import builders as b
from tests.cases import HEAD, HEAD_PHONE
from tests.slackapi import end_lazy_answers

HEADERS = {
    "schools": "urn,name,local_authority",
    "pupils": "upn,first_name,last_name,date_of_birth,school_urn,year_group",
    "parents": b.PARENTS_HEADER,
    "calendar": "school_urn,kind,start,end",
    "marks": b.MARKS_HEADER,
}

# Cells a careless export or an attacker produces: calendar edges, impossible dates, numbers that
# overflow, formula injection, NULs, BOMs, paths, markup; and real values, so that rows get past
# the first check and reach the deeper ones.
EDGES = [
    "",
    " ",
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2025-02-30",
    "2025-13-01",
    "31/12/2025",
    "2025-03-08",
    "1e309",
    "-1",
    "99999999999999999999",
    "NaN",
    "AM",
    "PM",
    "O",
    "U",
    "#",
    "Z",
    "G",
    "term",
    "closure",
    '"',
    "'",
    "=cmd|' /C calc'!A0",
    "\x00",
    "\ufeff",
    "\u202e",
    "../x",
    "<script>alert(1)</script>",
    "a@b",
    b.UPN_1,
    b.UPN_2,
    b.SCHOOL_A,
    "Essex",
    "mother",
]
CELLS = st.one_of(
    st.sampled_from(EDGES),
    st.text(max_size=12),
    st.sampled_from(["x" * 70_000, "9" * 5_000]),
)


@st.composite
def hostile_csv(draw: st.DrawFn, kind: str) -> bytes:
    """A file that starts as the kind's CSV and is then damaged the ways real files are."""
    header = HEADERS[kind].split(",")
    if draw(st.booleans()):  # a duplicated, missing or extra column
        header = draw(st.permutations(header + draw(st.lists(st.sampled_from(header), max_size=2))))
    width = st.integers(min_value=0, max_value=len(header) + 2)
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 2), max_size=6))
    rows = [row[: draw(width)] or row for row in rows]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])))
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8", "surrogatepass")
    damage = draw(st.sampled_from(["none", "bom", "bad-utf8", "cut", "nul", "latin1", "empty"]))
    if damage == "bom":
        data = b"\xef\xbb\xbf" + data
    elif damage == "bad-utf8":
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at]
            + draw(st.sampled_from([b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80"]))
            + data[at:]
        )
    elif damage == "cut":
        data = data[: draw(st.integers(0, len(data)))] + b'"'
    elif damage == "nul":
        data = data.replace(b",", b"\x00,", 1)
    elif damage == "latin1":
        data = data + "Zoë,Brontë\n".encode("latin-1")
    elif damage == "empty":
        data = b""
    return data


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def run_cli(data_dir: Path, *args: str) -> Ran:
    """`supportfirst ARGS` in this process, as the entry point runs it: any exception other than
    SystemExit escapes to the test, which is the traceback a user would have seen."""
    out, err = io.StringIO(), io.StringIO()
    saved_argv, saved_env = sys.argv, os.environ.get("SUPPORTFIRST_DATA_DIR")
    sys.argv = ["supportfirst", *args]
    os.environ["SUPPORTFIRST_DATA_DIR"] = str(data_dir)
    os.environ["SUPPORTFIRST_OPERATOR"] = HEAD  # acts are the school's head of attendance's
    code: int = 0
    umask = os.umask(0o022)  # main() sets 077 for the process: restored after, for the mail servers
    os.umask(umask)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        os.umask(umask)
        os.environ.pop("SUPPORTFIRST_OPERATOR", None)
        sys.argv = saved_argv
        if saved_env is None:
            os.environ.pop("SUPPORTFIRST_DATA_DIR", None)
        else:
            os.environ["SUPPORTFIRST_DATA_DIR"] = saved_env
    return Ran(code, out.getvalue(), err.getvalue())


def database_dump(data_dir: Path) -> list[str]:
    """Every row but the audit log's: a refused act is audited (who tried what), and that entry
    is the only change a refusal may make."""
    with contextlib.closing(sqlite3.connect(data_dir / "supportfirst.db")) as db:
        return [line for line in db.iterdump() if not line.startswith('INSERT INTO "audit_entry"')]


def seeded_school(folder: Path) -> Path:
    """One school, its pupils, parents, calendar and some marks, imported through the CLI."""
    env = {
        **os.environ,
        "SUPPORTFIRST_DATA_DIR": str(folder / "data"),
        "SUPPORTFIRST_OPERATOR": HEAD,
    }
    env.pop("SUPPORTFIRST_DATABASE_URL", None)
    head = ("staff", "add", HEAD, "--name", "Ms Patel", "--role", "attendance_officer")
    subprocess.run(
        [sys.executable, "-m", "supportfirst", *head, "--all-schools", "--phone", HEAD_PHONE],
        env={**env, "SUPPORTFIRST_OPERATOR": HEAD},
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=120,
    )
    files = {
        "schools": b.schools(),
        "pupils": b.pupils(),
        "parents": b.parents(),
        "calendar": b.calendar(),
        "marks": b.csv_bytes(
            b.MARKS_HEADER, b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 14))
        ),
    }
    for kind, data in files.items():
        (folder / f"{kind}.csv").write_bytes(data)
        done = subprocess.run(
            [sys.executable, "-m", "supportfirst", "import", kind, f"{kind}.csv"],
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    return folder / "data"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_school(tmp_path_factory.mktemp("hostile"))


@contextlib.contextmanager
def copy_of(template: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        shutil.copytree(template, data)
        yield data


def assert_refused_well(ran: Ran, name: str) -> None:
    """A refusal: non-zero, something on stderr, nothing that looks like a Python error, and
    every line either names the file (an import's problem list) or is the one-line reason."""
    assert ran.code != 0
    lines = ran.err.strip().splitlines()
    assert lines, "refused without saying why"
    assert "Traceback" not in ran.err and "Error:" not in ran.err.split(":", 1)[0]
    if len(lines) > 1:
        assert all(line.startswith(name) or line.startswith("supportfirst") for line in lines), (
            lines
        )


@pytest.mark.parametrize("kind", list(HEADERS))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_a_hostile_import_is_refused_in_words_and_changes_nothing(
    template: Path, kind: str, data: st.DataObject
) -> None:
    contents = data.draw(hostile_csv(kind), label="file")
    with copy_of(template) as folder:
        path = folder.parent / f"{kind}-hostile.csv"
        path.write_bytes(contents)
        before = database_dump(folder)
        ran = run_cli(folder, "import", kind, str(path))
        if ran.code == 0:  # a damaged file can still be a valid one; then it imported
            assert "Traceback" not in ran.err
            return
        assert_refused_well(ran, str(path))
        assert database_dump(folder) == before


@pytest.mark.parametrize(
    "args",
    [
        ["threshold", "--on", "0001-01-01", "--json"],
        ["threshold", "--on", "9999-12-31"],
        ["threshold", "--on", "2025-02-30"],
        ["review", "--on", "0001-01-03"],
        ["review", "--on", "9999-12-31"],
        ["case", "show", "../../etc/passwd"],
        ["case", "show", "\x00" * 3],
        [
            "case",
            "log",
            b.UPN_1,
            "--kind",
            "contact",
            "--summary",
            "x",
            "--by",
            "x",
            "--on",
            "9999-12-31",
        ],
        ["case", "checklist", b.UPN_1],
        ["nti", "issue", b.UPN_1, "--on", "9999-12-31", "--by", "nobody"],
        ["import", "marks", "/nonexistent/marks.csv"],
        ["import", "marks", "/"],
        ["import", "sessions", "marks.csv"],
        ["--db", "postgresql://user:secret@/nowhere", "threshold"],
        ["--db", "mysql://x", "threshold"],
    ],
    ids=lambda a: " ".join(a)[:40],
)
def test_hostile_arguments_get_one_line(template: Path, args: list[str]) -> None:
    with copy_of(template) as folder:
        before = database_dump(folder)
        ran = run_cli(folder, *args)
        if ran.code == 0:
            return  # an edge that is valid (a far future date) may simply answer
        assert len(ran.err.strip().splitlines()) == 1, ran.err
        assert "Traceback" not in ran.err and "secret" not in ran.err
        assert database_dump(folder) == before


# The HTTP side: a real `serve` web app on loopback in a thread of its own, spoken to over raw
# sockets so that requests can be as broken as an attacker makes them (aiohttp's own client
# would refuse to send most of these).


@dataclass
class Server:
    port: int

    def send(self, raw: bytes) -> int | None:
        """The status code answered to `raw`, or None when the server closed without one."""
        # No half-close after sending: aiohttp takes it as the client gone and drops the
        # request. A broken Content-Length leaves the server waiting for more: no answer.
        reply = b""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(raw)
            with contextlib.suppress(TimeoutError):
                while b"\r\n" not in reply:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
        first = reply.split(b"\r\n", 1)[0].split()
        return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


@pytest.fixture(scope="module")
def server(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import asyncio

    from aiohttp import web

    from supportfirst.alerting import slack_app
    from supportfirst.bootstrap import bootstrap
    from supportfirst.settings import Settings

    folder = tmp_path_factory.mktemp("served")
    shutil.copytree(template, folder / "data")
    settings_ = Settings(
        data_dir=folder / "data",
        slack_bot_token="xoxb-hostile",
        slack_signing_secret=SLACK_SECRET,
        slack_api_url="http://127.0.0.1:9/api/",  # discard port: nothing leaves the machine
    )
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, object] = {}

    async def start() -> None:
        from supportfirst.serve import make_web_app

        application = bootstrap(settings_, settings_.db_url, migrate=False)
        runner = web.AppRunner(make_web_app(application, slack_app(application)))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state.update(runner=runner, app=application)
        state["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=120)
    ready.wait(120)
    yield Server(int(state["port"]))  # type: ignore[call-overload]

    async def stop() -> None:
        await state["runner"].cleanup()  # type: ignore[attr-defined]
        await end_lazy_answers()
        await state["app"].close()  # type: ignore[attr-defined]

    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=60)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PATHS = [
    "/",
    "/healthz",
    "/style.css",
    "/signin",
    "/signin/x",
    "/signout",
    "/cases",
    f"/cases/{b.UPN_1}",
    "/cases/%00",
    "/cases/..%2f..%2fetc%2fpasswd",
    f"/cases/{b.UPN_1}/files/{'0' * 64}",
    f"/cases/{b.UPN_1}/acknowledge",
    f"/cases/{b.UPN_1}/decision",
    f"/cases/{b.UPN_1}/note",
    "/slack/events",
    "/slack/install",
    "/slack/oauth_redirect",
    "/inbox",
]
HEADER_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "99999999999999999999",
            "v0=" + "0" * 64,
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=",
            "chunked",
            "sid=" + "A" * 5000,
            "csrf=\x7f",
            "Thu, 01 Jan 0001 00:00:00 GMT",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)
HEADER_NAMES = st.sampled_from(
    [
        "Content-Type",
        "Content-Length",
        "Cookie",
        "X-Slack-Signature",
        "X-Slack-Request-Timestamp",
        "X-Slack-Retry-Num",
        "Transfer-Encoding",
        "Host",
        "Origin",
        "Referer",
        "If-Modified-Since",
        "Range",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"payload=%7B",
            b"payload=" + b"%7B%22type%22%3A%22block_actions%22%7D",
            b'{"type":"url_verification","challenge":"' + b"x" * 2000 + b'"}',
            b"command=%2Fattendance&text=" + b"%FF" * 50,
            b"token=x&team_id=T1&text=" + b"9" * 5000,
            b"csrf=x&reason=" + "é".encode() * 500,
            b"\xff\xfe\x00",
        ]
    ),
)


def slack_signed(body: bytes) -> list[bytes]:
    """Headers as Slack signs a request now: the body then gets past the signature check and
    into Bolt's parsing and the listeners, where hostile content does its damage."""
    stamp = str(int(time.time()))
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(SLACK_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return [
        f"X-Slack-Request-Timestamp: {stamp}".encode(),
        f"X-Slack-Signature: v0={digest}".encode(),
    ]


@st.composite
def hostile_request(draw: st.DrawFn) -> bytes:
    """Mostly well-formed HTTP carrying hostile content (so it reaches the handlers), sometimes
    broken HTTP (so the parser's refusals are covered too)."""
    broken = draw(st.integers(0, 9)) == 0
    methods = [b"GET", b"POST", b"PUT", b"HEAD", b"G\x00T"] if broken else [b"GET", b"POST"]
    method = draw(st.sampled_from(methods))
    path = draw(st.sampled_from(PATHS)).encode()
    if draw(st.booleans()):
        path += b"?" + draw(st.sampled_from([b"token=", b"upn=%ff", b"on=9999-12-31", b"a=" * 400]))
    body = draw(BODIES) if method != b"GET" else b""
    headers = [b"Host: 127.0.0.1"]
    names = (
        HEADER_NAMES
        if broken
        else HEADER_NAMES.filter(lambda n: n not in ("Content-Length", "Transfer-Encoding", "Host"))
    )
    for name, value in draw(st.lists(st.tuples(names, HEADER_VALUES), max_size=5)):
        headers.append(f"{name}: {value}".encode())  # duplicates allowed: a list, not a dict
    if path.startswith(b"/slack/") and draw(st.booleans()):
        headers += slack_signed(body)
    if not broken:
        headers.append(b"Content-Length: %d" % len(body))
    headers.append(b"Connection: close")
    return method + b" " + path + b" HTTP/1.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n" + body


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(raw=hostile_request())
def test_hostile_http_gets_a_4xx_never_a_5xx(server: Server, raw: bytes) -> None:
    status = server.send(raw)
    assert status is None or status < 500, raw[:300]
