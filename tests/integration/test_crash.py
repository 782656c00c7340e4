"""SIGKILL during an import leaves the database exactly before or exactly after it, never half."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from casework.records import MarkRow
from store.marks import week_deltas
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import HEAD, enrol

PUPILS = 400


def big_register(folder: Path) -> tuple[Path, int]:
    """A term of marks for 400 pupils (about 60,000 rows): long enough to be killed mid-way."""
    upns = [f"A{i:012d}" for i in range(PUPILS)]
    pupils = [f"{u},Pupil,{i},2015-01-01,{b.SCHOOL_A},5" for i, u in enumerate(upns)]
    header = "upn,first_name,last_name,date_of_birth,school_urn,year_group"
    (folder / "pupils.csv").write_bytes(b.csv_bytes(header, pupils))
    rows = [r for u in upns for r in b.marks(u, date(2024, 9, 4), date(2024, 12, 20))]
    (folder / "marks.csv").write_bytes(b.csv_bytes(b.MARKS_HEADER, rows))
    return folder / "marks.csv", len(rows)


def command(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "supportfirst", *args, "--by", HEAD, "--db", url]


def run(folder: Path, url: str, *args: str) -> None:
    done = subprocess.run(
        command(url, *args), cwd=folder, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr


async def state(app: App) -> tuple[int, int, dict[tuple[str, str], tuple[int, ...]]]:
    async with app.engine.connect() as conn:
        marks = (
            await conn.execute(text("SELECT upn, day, session, school_urn, code FROM mark"))
        ).all()
        runs = (
            await conn.execute(text("SELECT count(*) FROM import_run WHERE kind = 'marks'"))
        ).scalar_one()
        weeks = (
            await conn.execute(text("SELECT upn, monday, school, g, o, u, n FROM pupil_week"))
        ).all()
    stored = {(w[0], str(w[1])): tuple(w[2:]) for w in weeks}
    rows = [MarkRow(m[0], m[3], date.fromisoformat(str(m[1])), m[2], m[4]) for m in marks]
    expected = {(d[0], str(d[1])): tuple(d[3:]) for d in week_deltas(rows)}
    assert stored == expected, "the week summary does not match the marks"
    return len(marks), runs, stored


@pytest.mark.parametrize("delay", [0.7, 1.0, 1.4, 2.0])
async def test_a_killed_import_leaves_nothing_half_written_and_a_rerun_completes(
    app: App, tmp_path: Path, delay: float
) -> None:
    await enrol(app.uow)  # imports are in a member of staff's name
    for kind, data in (("schools", b.schools()), ("calendar", b.calendar())):
        (tmp_path / f"{kind}.csv").write_bytes(data)
    marks, count = big_register(tmp_path)
    for kind in ("schools", "pupils", "calendar"):
        run(tmp_path, app.url, "import", kind, f"{kind}.csv")
    proc = subprocess.Popen(
        command(app.url, "import", "marks", str(marks)),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)  # the kill lands at a random moment of the import: on purpose, not a wait
    proc.send_signal(signal.SIGKILL)
    code = proc.wait(60)
    stored, runs, _ = await state(app)
    assert (stored, runs) in ((0, 0), (count, 1)), f"half an import stored (exit {code})"
    run(tmp_path, app.url, "import", "marks", str(marks))
    assert (await state(app))[:2] == (count, 1)


def big_ctf(folder: Path) -> tuple[Path, int]:
    """A CTF of 300 pupils with an autumn term's marks each (about 40,000 sessions)."""
    from attendance.upn import check_letter
    from tests import ctfs

    start, end = date(2024, 9, 2), date(2024, 12, 22)
    marks = ctfs.marks_string(start, end)
    pupils = []
    for i in range(300):
        digits = f"{900000000000 + i:012d}"
        year = ctfs.Year("2024", start, marks)
        pupils.append(ctfs.Pupil(check_letter("X" + digits) + digits, years=[year]))
    (folder / "big.xml").write_bytes(ctfs.ctf(pupils))
    return folder / "big.xml", 300 * sum(ch not in "-" for ch in marks)


async def ctf_state(app: App) -> tuple[int, int, int, int]:
    async with app.engine.connect() as conn:
        counts = [
            (await conn.execute(text(sql))).scalar_one()
            for sql in (
                "SELECT count(*) FROM mark",
                "SELECT count(*) FROM pupil",
                "SELECT count(*) FROM school",
                "SELECT count(*) FROM import_run WHERE kind = 'ctf'",
            )
        ]
    return counts[0], counts[1], counts[2], counts[3]


@pytest.mark.parametrize("delay", [0.8, 1.6])
async def test_a_killed_ctf_import_stores_nothing_of_it_and_a_rerun_stores_it_all(
    app: App, tmp_path: Path, delay: float
) -> None:
    await enrol(app.uow)  # imports are in a member of staff's name
    for kind, data in (("schools", b.schools()), ("calendar", b.calendar())):
        (tmp_path / f"{kind}.csv").write_bytes(data)
        run(tmp_path, app.url, "import", kind, f"{kind}.csv")
    ctf, count = big_ctf(tmp_path)
    proc = subprocess.Popen(
        command(app.url, "import", "ctf", str(ctf)),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)  # the kill lands at a random moment of the import: on purpose
    proc.send_signal(signal.SIGKILL)
    code = proc.wait(60)
    assert await ctf_state(app) in ((0, 0, 2, 0), (count, 300, 3, 1)), f"half stored ({code})"
    run(tmp_path, app.url, "import", "ctf", str(ctf))
    assert await ctf_state(app) == (count, 300, 3, 1)
