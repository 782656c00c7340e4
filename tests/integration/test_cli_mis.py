"""`import ctf` and `import marks --format …` through the command line, with the examples;
an error report for many problems; a progress bar on a terminal only."""

from __future__ import annotations

import csv
import io
import os
import pty
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests import builders as b
from tests.integration.test_cli import Cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    run = Cli(tmp_path)
    run.enrol()
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils()),
        ("calendar", b.calendar()),
    ):
        assert run("import", kind, run.file(f"{kind}.csv", data)).returncode == 0
    return run


def test_the_example_ctf_imports_its_pupils_and_their_earlier_school(cli: Cli) -> None:
    out = cli("import", "ctf", str(EXAMPLES / "ctf" / "transfer.xml"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1].endswith("transfer.xml: 2 pupils, 156 changed")
    assert "check: pupil P123456789013: 1 session(s) from 2024-10-24 to 2024-10-24" in lines[0]
    again = cli("import", "ctf", str(EXAMPLES / "ctf" / "transfer.xml"))
    assert again.stdout.splitlines()[-1].endswith("2 pupils, 0 changed")


@pytest.mark.parametrize("example", ["sims.csv", "sims.xml", "arbor.csv", "bromcom.csv"])
def test_each_example_export_imports_with_its_format(cli: Cli, example: str) -> None:
    fmt = example.partition(".")[0]
    extra = ["--codes", str(EXAMPLES / "mis" / "codes.csv")] if fmt == "bromcom" else []
    path = str(EXAMPLES / "mis" / example)
    out = cli("import", "marks", path, "--format", fmt, "--school", b.SCHOOL_A, *extra)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == f"{path}: 88 marks rows, 88 changed"
    met = cli("threshold", "--on", "2025-03-14")
    assert met.stdout.splitlines()[-1] == "1 pupil meets the threshold on 2025-03-14"


def test_an_export_needs_its_school(cli: Cli) -> None:
    out = cli("import", "marks", str(EXAMPLES / "mis" / "sims.csv"), "--format", "sims")
    assert (out.returncode, out.stderr) == (
        1,
        "supportfirst: an MIS export names no school: give --school URN\n",
    )


def test_many_bad_dates_are_said_once_and_all_written_to_the_report(cli: Cli) -> None:
    rows = [
        f"{b.UPN_1},{b.SCHOOL_A},{d:%d/%m/%Y},AM,/"
        for d in b.school_days(date(2025, 1, 7), date(2025, 2, 14))
    ]
    out = cli("import", "marks", cli.file("m.csv", b.csv_bytes(b.MARKS_HEADER, rows)))
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    assert lines == [
        f"m.csv: date: every one of {len(rows)} rows fails: m.csv:2: date: '07/01/2025' is not "
        "a date (YYYY-MM-DD); every date is DD/MM/YYYY: use --format sims (or arbor, bromcom) "
        "or --date-format %d/%m/%Y",
        f"m.csv: all {len(rows)} are in m.csv.errors.csv",
        f"supportfirst: nothing was imported: {len(rows)} problems",
    ]
    report = list(csv.reader(io.StringIO((cli.folder / "m.csv.errors.csv").read_text())))
    assert report[0] == ["file", "line", "field", "reason"]
    assert report[1] == ["m.csv", "2", "date", "'07/01/2025' is not a date (YYYY-MM-DD)"]
    assert len(report) == len(rows) + 1


def test_a_few_bad_dates_are_each_shown_and_said_once_with_the_fix(cli: Cli) -> None:
    days = b.school_days(date(2025, 1, 7), date(2025, 1, 13))
    rows = [f"{b.UPN_1},{b.SCHOOL_A},{d:%d/%m/%Y},AM,/" for d in days]
    out = cli("import", "marks", cli.file("m.csv", b.csv_bytes(b.MARKS_HEADER, rows)))
    lines = out.stderr.splitlines()
    assert (out.returncode, len(lines)) == (1, len(rows) + 2)
    assert lines[0] == "m.csv:2: date: '07/01/2025' is not a date (YYYY-MM-DD)"
    assert lines[-2] == (
        f"m.csv: date: every one of {len(rows)} rows fails; every date is DD/MM/YYYY: use "
        "--format sims (or arbor, bromcom) or --date-format %d/%m/%Y"
    )
    assert not (cli.folder / "m.csv.errors.csv").exists()  # all of them are on the terminal


def test_many_bad_dates_among_good_rows_are_not_said_to_be_every_row(cli: Cli) -> None:
    days = b.school_days(date(2025, 1, 7), date(2025, 2, 14))
    rows = [f"{b.UPN_1},{b.SCHOOL_A},{d:%d/%m/%Y},AM,/" for d in days[1:]]
    rows.insert(0, f"{b.UPN_1},{b.SCHOOL_A},{days[0]},AM,/")
    out = cli("import", "marks", cli.file("m.csv", b.csv_bytes(b.MARKS_HEADER, rows)))
    lines = out.stderr.splitlines()
    assert len(lines) == 22 and "every one" not in out.stderr
    assert lines[0] == "m.csv:3: date: '08/01/2025' is not a date (YYYY-MM-DD)"
    assert (
        lines[20]
        == f"m.csv: ... and {len(rows) - 21} more (all {len(rows) - 1} are in m.csv.errors.csv)"
    )


def test_many_mixed_problems_show_the_first_twenty(cli: Cli) -> None:
    days = b.school_days(date(2025, 1, 7), date(2025, 2, 10))
    rows = [f"{b.UPN_1},{b.SCHOOL_A},{d},AM,H" for d in days]
    rows += [f"{b.UPN_1},{b.SCHOOL_A},not a day,AM,/"]
    out = cli("import", "marks", cli.file("m.csv", b.csv_bytes(b.MARKS_HEADER, rows)))
    lines = out.stderr.splitlines()
    assert len(lines) == 22
    assert lines[20] == "m.csv: ... and 6 more (all 26 are in m.csv.errors.csv)"
    assert lines[-1] == "supportfirst: nothing was imported: 26 problems"


def big_file(folder: Path) -> Path:
    upns = [f"A{i:012d}" for i in range(150)]
    header = "upn,first_name,last_name,date_of_birth,school_urn,year_group"
    pupils = [f"{u},P,{i},2015-01-01,{b.SCHOOL_A},5" for i, u in enumerate(upns)]
    (folder / "many.csv").write_bytes(b.csv_bytes(header, pupils))
    rows = [r for u in upns for r in b.marks(u, date(2024, 9, 4), date(2024, 12, 20))]
    (folder / "big.csv").write_bytes(b.csv_bytes(b.MARKS_HEADER, rows))
    return folder / "big.csv"


def test_a_long_import_shows_progress_on_a_terminal_and_nothing_in_a_pipe(cli: Cli) -> None:
    big = big_file(cli.folder)
    assert cli("import", "pupils", "many.csv").returncode == 0
    piped = cli("import", "marks", str(big))
    assert piped.returncode == 0 and piped.stderr == ""
    seen = on_a_terminal(cli, "import", "marks", str(big))
    assert b"rows/s" in seen and b"reading big.csv" in seen


def on_a_terminal(cli: Cli, *args: str) -> bytes:
    """What the command writes to a terminal (stdout and stderr both)."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "supportfirst", *args],
        cwd=cli.folder,
        env={**cli.env, "COLUMNS": "120"},
        stdin=child,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(120) == 0, seen
    return seen


def test_pack_shows_its_steps_on_a_terminal_and_nothing_in_a_pipe(cli: Cli) -> None:
    path = str(EXAMPLES / "mis" / "sims.csv")
    imported = cli("import", "marks", path, "--format", "sims", "--school", b.SCHOOL_A)
    assert imported.returncode == 0, imported.stderr
    piped = cli("pack", b.UPN_1, "--out", "piped.zip")
    assert (piped.returncode, piped.stderr) == (0, ""), piped.stderr
    seen = on_a_terminal(cli, "pack", b.UPN_1, "--out", "shown.zip")
    assert b"reading the case" in seen and b"drawing chronology.pdf" in seen
    assert b"writing shown.zip" in seen and b"shown.zip: " in seen
