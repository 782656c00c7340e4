"""A mistyped command is one line on stderr, never Typer's boxed panel: piped under CI=true
(where rich would force colour and boxes for CI logs), and on a real terminal (a pty); and a
`;`-separated parents or marks file, as Excel saves CSV where a comma is the decimal mark, is
read and said to be."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests import builders as b
from tests.integration.test_cli import Cli

MISTYPED = [
    (("consent", "record", "P1", "--email", "a@example.org"), "missing option '--method'"),
    (("threshold", "--when", "2025-03-14"), "no such option: --when"),
    (("import", "parents"), "missing argument 'FILE'"),
]
BOX = ("╭", "│", "╰", "─", "Usage:", "Try ")


def one_line(stderr: str, expected: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("supportfirst: ") and expected.lower() in lines[0].lower(), stderr
    assert not any(mark in stderr for mark in BOX), stderr


@pytest.mark.parametrize(("args", "expected"), MISTYPED)
def test_a_usage_error_under_ci_is_one_line(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    cli = Cli(tmp_path)
    cli.env.update(CI="true", GITHUB_ACTIONS="true", TERM="dumb", COLUMNS="200")
    out = cli(*args)
    assert out.returncode == 2 and out.stdout == ""
    one_line(out.stderr, expected)


@pytest.mark.parametrize(("args", "expected"), MISTYPED)
def test_a_usage_error_on_a_terminal_is_one_line(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    cli = Cli(tmp_path)
    env = {**cli.env, "TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("CI", None)
    main, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "supportfirst", *args],
            env=env,
            cwd=tmp_path,
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,  # what rich would box: on the terminal itself
            timeout=120,
        )
        os.close(terminal)
        shown = _read_all(main)
    finally:
        os.close(main)
    assert done.returncode == 2
    one_line(shown.replace("\r", ""), expected)


def _read_all(fd: int) -> str:
    """What the terminal showed (the other end of a closed pty reads as EIO when drained)."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.parametrize("kind", ["parents", "marks"])
def test_a_semicolon_separated_file_is_read_and_said_to_be(tmp_path: Path, kind: str) -> None:
    cli = Cli(tmp_path)
    cli.enrol()
    files = {
        "schools": b.schools(),
        "pupils": b.pupils(b.UPN_1),
        "calendar": b.calendar(),
        "parents": b.parents(),
        "marks": b.csv_bytes(b.MARKS_HEADER, [f"{b.UPN_1},{b.SCHOOL_A},2025-01-07,AM,/"]),
    }
    for name in ("schools", "pupils", "calendar"):
        assert cli("import", name, cli.file(f"{name}.csv", files[name])).returncode == 0
    semicolons = files[kind].replace(b",", b";")
    out = cli("import", kind, cli.file(f"{kind}.csv", semicolons))
    assert out.returncode == 0, out.stderr
    assert "read as `;`-separated, as Excel saves CSV" in out.stdout
    plain = cli("import", kind, cli.file(f"{kind}-commas.csv", files[kind]))
    assert plain.returncode == 0 and "0 changed" in plain.stdout  # the same rows as the `;` file
    assert "read as" not in plain.stdout
    mixed = semicolons.replace(b";", b",", 1)  # a header with both: neither reading has columns
    bad = cli("import", kind, cli.file(f"{kind}-mixed.csv", mixed))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "the header has both `;` and `,`: save the file with one separator" in bad.stderr
