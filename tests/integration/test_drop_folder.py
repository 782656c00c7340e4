"""The drop folder with real `serve` processes: a file written slowly is imported once, when
it is whole (settled, or announced by its `.done` sidecar); a bad one lands in failed/ with its
errors and one ImportFailed alert; two `serve` on one PostgreSQL database import each file
once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from supportfirst.bootstrap import App
from tests import builders as b
from tests import mis_exports as m
from tests.integration.test_serve import line_with, start_serve


def cli(url: str, folder: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "supportfirst", *args, "--db", url],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr


def school(url: str, folder: Path) -> None:
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils()),
        ("calendar", b.calendar()),
    ):
        (folder / f"{kind}.csv").write_bytes(data)
        cli(url, folder, "import", kind, f"{kind}.csv")


def env(url: str, folder: Path, drop: Path, settle: float = 1.5) -> dict[str, str]:
    return {
        "SUPPORTFIRST_DATABASE_URL": url,
        "SUPPORTFIRST_DATA_DIR": str(folder / "data"),
        "SUPPORTFIRST_IMPORT_DIR": str(drop),
        "SUPPORTFIRST_IMPORT_SCAN_SECONDS": "0.3",
        "SUPPORTFIRST_IMPORT_SETTLE_SECONDS": str(settle),
    }


async def write_slowly(path: Path, data: bytes, pause: float = 0.6) -> None:
    """As an exporter does: in bursts, with pauses longer than the folder's scan."""
    step = len(data) // 4
    for i in range(0, len(data), step):
        with path.open("ab") as f:
            f.write(data[i : i + step])
        await asyncio.sleep(pause)


async def arrives(path: Path, timeout: float = 60) -> None:
    """The service moves files on its own time: look until `path` is there."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        await asyncio.sleep(0.2)


async def runs(app: App) -> list[tuple[str, str]]:
    async with app.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT kind, file_name FROM import_run WHERE kind = 'marks' ORDER BY id")
        )
        return [(r[0], r[1]) for r in rows.all()]


async def stop(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), 30) in (0, 130)


async def test_a_slow_file_is_imported_once_and_a_bad_one_fails_with_an_alert(
    app: App, tmp_path: Path
) -> None:
    school(app.url, tmp_path)
    drop = tmp_path / "drop"
    proc = await start_serve(env(app.url, tmp_path, drop), ready="importing what lands in")
    try:
        slow = drop / "marks_sims_100001_2025-03-14.csv"
        await write_slowly(slow, m.sims(m.contract_rows()))
        await arrives(drop / "done" / slow.name)
        bad = b.csv_bytes(b.MARKS_HEADER, ["C123456789012,100001,2025-03-03,AM,/"])
        (drop / "marks_2025-03-14.csv").write_bytes(bad)
        await arrives(drop / "failed" / "marks_2025-03-14.csv.errors.csv")
        assert proc.stdout is not None
        alert = await line_with(proc.stdout, "ALERT ImportFailed")
        assert "marks_2025-03-14.csv" in alert
        await asyncio.sleep(2)  # several more looks at the folder: no second import, no alert
    finally:
        await stop(proc)
    assert b"ImportFailed" not in await proc.stdout.read()
    assert await runs(app) == [("marks", slow.name)]
    report = (drop / "failed" / "marks_2025-03-14.csv.errors.csv").read_text().splitlines()
    assert report[1] == (
        "marks_2025-03-14.csv,2,upn,unknown pupil 'C123456789012' (import the pupils file first)"
    )
    assert list((drop / "processing").iterdir()) == []


async def test_a_file_with_a_done_sidecar_is_imported_when_the_sidecar_lands(
    app: App, tmp_path: Path
) -> None:
    """An exporter that pauses longer than any settle time says when it has finished."""
    school(app.url, tmp_path)
    drop = tmp_path / "drop"
    proc = await start_serve(env(app.url, tmp_path, drop, settle=600), ready="importing what")
    try:
        slow = drop / "marks_sims_100001_2025-03-14.csv"
        await write_slowly(slow, m.sims(m.contract_rows()))
        await asyncio.sleep(1.5)
        assert slow.exists() and not (drop / "done" / slow.name).exists()  # not settled yet
        (drop / f"{slow.name}.done").write_bytes(b"")
        await arrives(drop / "done" / slow.name)
    finally:
        await stop(proc)
    assert await runs(app) == [("marks", slow.name)]
    assert sorted(p.name for p in drop.iterdir()) == ["done", "failed", "processing"]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_two_serve_processes_import_each_file_once(app: App, tmp_path: Path) -> None:
    school(app.url, tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    rows = m.contract_rows()
    weeks = [rows[i : i + 20] for i in range(0, len(rows), 20)]
    names = [f"marks_sims_100001_part{i:02d}.csv" for i in range(len(weeks))]
    for name, part in zip(names, weeks, strict=True):
        (drop / name).write_bytes(m.sims(part))
    procs = [
        await start_serve(env(app.url, tmp_path / f"s{i}", drop), ready="importing what lands")
        for i in range(2)
    ]
    slow = drop / "marks_sims_100001_2025-03-14.xml"  # SIMS's CommandReporter, written slowly
    bad = drop / "marks_2025-03-14.csv"
    try:
        for name in names:
            await arrives(drop / "done" / name)
        await write_slowly(slow, m.sims_xml(m.contract_rows(b.UPN_2)))  # new marks: a run
        bad.write_bytes(b.csv_bytes(b.MARKS_HEADER, ["C123456789012,100001,2025-03-03,AM,/"]))
        await arrives(drop / "done" / slow.name)
        await arrives(drop / "failed" / f"{bad.name}.errors.csv")
        await asyncio.sleep(3)  # both look again, and deliver what alerts there are
    finally:
        for proc in procs:
            await stop(proc)
    said = [(await proc.stdout.read()).decode() for proc in procs if proc.stdout is not None]
    assert sum(out.count("ALERT ImportFailed") for out in said) == 1
    assert sorted(await runs(app)) == sorted([("marks", n) for n in [*names, slow.name]])
    assert sorted(p.name for p in (drop / "failed").iterdir()) == [
        bad.name,
        f"{bad.name}.errors.csv",
    ]


async def test_a_file_waiting_at_start_up_is_imported_before_the_first_review(
    app: App, tmp_path: Path
) -> None:
    """The evening's export is in before the review decides who met the threshold: the
    review at start-up raises the alert for the marks that were waiting in the folder."""
    school(app.url, tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "marks_sims_100001_2025-03-14.csv").write_bytes(m.sims(m.contract_rows()))
    proc = await start_serve(env(app.url, tmp_path, drop))
    try:
        assert proc.stdout is not None
        alert = await line_with(proc.stdout, "ALERT ThresholdMet")
        assert b.UPN_1 in alert
    finally:
        await stop(proc)
    assert (drop / "done" / "marks_sims_100001_2025-03-14.csv").exists()


async def test_a_file_goes_back_in_line_when_the_database_is_away(tmp_path: Path) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from supportfirst.bootstrap import bootstrap
    from supportfirst.dropfolder import DropFolder, import_one
    from supportfirst.settings import Settings

    away = bootstrap(
        Settings(data_dir=tmp_path / "data"), "postgresql://x@127.0.0.1:9/x", migrate=False
    )
    drop = DropFolder(tmp_path / "drop", 0)
    waiting = drop.folder / "pupils_2025-03-14.csv"
    waiting.write_bytes(b.pupils())
    try:
        with pytest.raises(SQLAlchemyError):
            await import_one(away, drop, waiting)
    finally:
        await away.close()
    assert waiting.exists() and list((drop.folder / "processing").iterdir()) == []
    assert list((drop.folder / "failed").iterdir()) == []


def test_what_a_name_says_a_file_is(tmp_path: Path) -> None:
    from supportfirst.dropfolder import NotAnImport, request_for

    def said(name: str) -> tuple[str, str | None, str | None]:
        r = request_for(tmp_path / name, tmp_path)
        return r.kind, r.format, r.school

    assert said("marks_sims_100001_2025-03-14.xml") == ("marks", "sims", "100001")
    assert said("marks_bromcom_100001_2025-03-14.csv") == ("marks", "bromcom", "100001")
    assert said("ctf_100002_x.xml") == ("ctf", None, "100002")
    assert said("pupils_2025-03-14.csv") == ("pupils", None, None)
    for name in ("marks_arbor_100001.xml", "marks_2025.xml", "notes.txt", "marks_sims_x.csv"):
        with pytest.raises(NotAnImport):
            request_for(tmp_path / name, tmp_path)


async def test_a_file_is_whole_when_a_sidecar_says_so_or_after_two_still_looks(
    tmp_path: Path,
) -> None:
    from supportfirst.dropfolder import DropFolder

    drop = DropFolder(tmp_path / "drop", 600)
    named = drop.folder / "marks_sims_100001_a.csv"
    stem = drop.folder / "marks_sims_100001_b.xml"
    for path in (named, stem):
        path.write_bytes(b"UPN,Date,Session,Mark\n")
    ready, soonest = drop.look()
    assert ready == [] and soonest is not None and soonest > 590  # both still settling
    (drop.folder / f"{named.name}.ready").write_bytes(b"")
    (drop.folder / "marks_sims_100001_b.done").write_bytes(b"")
    assert drop.look()[0] == sorted([named, stem], key=lambda p: (p.stat().st_mtime_ns, p.name))
    quick = DropFolder(tmp_path / "quick", 0)
    plain = quick.folder / "pupils_x.csv"
    plain.write_bytes(b"upn\n")
    assert quick.look()[0] == []  # seen once: not yet
    assert quick.look()[0] == [plain]  # the same at a second look
    plain.write_bytes(b"upn,first_name\n")
    assert quick.look()[0] == []  # changed since: settling again
