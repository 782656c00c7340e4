"""The drop folder (SUPPORTFIRST_IMPORT_DIR): the MIS's scheduled export lands there and `serve`
imports it, all or nothing, before the daily review (and every few seconds besides).

A file is read only once it is whole: when the exporter says so with a sidecar (`NAME.done` or
`NAME.ready` beside `NAME`), or once it has settled (the same size and time at two looks at
least SUPPORTFIRST_IMPORT_SETTLE_SECONDS apart: an exporter still writing it is left alone). It
is never read while its name starts with `.` or ends in `.part`, `.tmp`, `.crdownload` or `~`
(an exporter that writes under a temporary name and renames it when done). It is claimed by
renaming it into `processing/`: a rename succeeds once, so two `serve` processes watching one
folder never import one file twice. Then it moves to `done/`, or to `failed/` with its error
report beside it and an ImportFailed alert.

What a file is, from its name (docs/imports.md):
    schools_*.csv, pupils_*.csv, parents_*.csv, calendar_*.csv, marks_*.csv   our CSV files
    marks_FORMAT_URN_*.csv (FORMAT sims, arbor or bromcom)                     an MIS export
    marks_sims_URN_*.xml                                    SIMS's CommandReporter output
    ctf_*.xml, or any *.xml; ctf_URN_*.xml names the destination school        a CTF
A school's own codes for its MIS export: `codes_URN.csv` in the folder (kept, not imported).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from casework.errors import ImportRejected
from supportfirst.importing import (
    MIS_FORMATS,
    ImportOptionError,
    ImportRequest,
    error_report,
    import_file,
)

if TYPE_CHECKING:
    from supportfirst.bootstrap import App

log = logging.getLogger("supportfirst")
CSV_KINDS = ("schools", "pupils", "parents", "calendar", "marks")
_URN = re.compile(r"^\d{6,7}$")
_TEMPORARY = (".part", ".tmp", "~", ".crdownload")
SIDECARS = (".done", ".ready")
# The review waits this long at most for an export still being written when it starts.
REVIEW_WAIT_SECONDS = 600.0  # an empty NAME.done beside NAME: the exporter has finished it


class NotAnImport(ValueError):
    """A file name that says neither what the file is nor, for an export, whose it is."""


def request_for(path: Path, folder: Path) -> ImportRequest:
    """What the name says this file is."""
    parts, suffix = path.stem.lower().split("_"), path.suffix.lower()
    if suffix == ".xml" and parts[0] != "marks":
        urn = parts[1] if parts[0] == "ctf" and len(parts) > 1 and _URN.match(parts[1]) else None
        return ImportRequest("ctf", path, "drop-folder", school=urn)
    if suffix not in (".csv", ".xml") or parts[0] not in CSV_KINDS:
        raise NotAnImport(
            f"{path.name}: the name says neither what it is nor whose it is: name it "
            "KIND_….csv (schools, pupils, parents, calendar, marks), marks_FORMAT_URN_….csv "
            "or ctf_….xml (docs/imports.md)"
        )
    if parts[0] == "marks" and len(parts) > 1 and parts[1] in MIS_FORMATS:
        if len(parts) < 3 or not _URN.match(parts[2]):
            raise NotAnImport(
                f"{path.name}: an MIS export's name gives the school: "
                f"marks_{parts[1]}_URN_…{suffix}"
            )
        if suffix == ".xml" and parts[1] != "sims":
            raise NotAnImport(f"{path.name}: of the MIS exports only SIMS's comes as XML")
        codes = folder / f"codes_{parts[2]}.csv"
        return ImportRequest(
            "marks", path, "drop-folder", parts[1], parts[2], codes if codes.exists() else None
        )
    if suffix == ".xml":
        raise NotAnImport(f"{path.name}: marks as XML are SIMS's: marks_sims_URN_….xml")
    return ImportRequest(parts[0], path, "drop-folder")


@dataclass
class DropFolder:
    folder: Path
    settle_seconds: float

    def __post_init__(self) -> None:
        # The review waits for an import this process has under way (supportfirst/serve.py).
        self.busy = asyncio.Lock()
        for sub in ("processing", "done", "failed"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
        self.owner = f"{socket.gethostname()}.{os.getpid()}"
        # what each file looked like when first seen so: (size, mtime), monotonic seconds
        self._seen: dict[Path, tuple[tuple[int, int], float]] = {}

    def _candidates(self) -> dict[Path, tuple[int, int]]:
        found = {}
        for p in self.folder.iterdir():
            if p.name.startswith(".") or p.name.endswith(_TEMPORARY + SIDECARS):
                continue
            if p.name.lower().startswith("codes_") or p.name.endswith(".errors.csv"):
                continue
            if not p.is_file():
                continue
            st = p.stat()
            found[p] = (st.st_size, st.st_mtime_ns)
        return found

    def sidecars(self, path: Path) -> list[Path]:
        """`NAME.done` or `NAME.ready` beside NAME (or, as some exporters write it, with NAME's
        extension replaced: `marks_sims_100001.done`)."""
        names = {path.name + s for s in SIDECARS} | {path.stem + s for s in SIDECARS}
        return [q for n in sorted(names) if (q := path.with_name(n)).exists()]

    def look(self) -> tuple[list[Path], float | None]:
        """The files whole now, oldest first; and how long until the next may be (None: no
        other file is waiting). A file is whole when its sidecar says so, or when its size and
        time were the same at a look settle_seconds ago."""
        now, found = time.monotonic(), self._candidates()
        seen, ready, soonest = {}, [], None
        for p, sig in found.items():
            old = self._seen.get(p)
            since = old[1] if old is not None and old[0] == sig else now
            seen[p] = (sig, since)
            left = self.settle_seconds - (now - since)
            if self.sidecars(p) or (old is not None and old[0] == sig and left <= 0):
                ready.append(p)
            else:
                soonest = left if soonest is None else min(soonest, left)
        self._seen = seen
        return sorted(ready, key=lambda p: (found[p][1], p.name)), soonest

    def claim(self, path: Path) -> Path | None:
        """Rename into processing/: None when another process took it first."""
        target = self.folder / "processing" / f"{self.owner}~{path.name}"
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        return target

    def recover(self) -> None:
        """Files a process of this host claimed and did not finish (it died): back in line."""
        host = socket.gethostname()
        for p in (self.folder / "processing").iterdir():
            owner, _, name = p.name.partition("~")
            o_host, _, pid = owner.rpartition(".")
            if o_host == host and pid.isdigit() and not _alive(int(pid)):
                os.rename(p, self.folder / name)

    def _finish(self, claimed: Path, to: str, report: bytes | None = None) -> Path:
        name = claimed.name.partition("~")[2]
        target = self.folder / to / name
        os.replace(claimed, target)
        if report is not None:
            path = target.with_name(name + ".errors.csv")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(report)
        return target


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def import_one(application: App, drop: DropFolder, path: Path) -> str | None:
    """Claim and import one settled file; what became of it, or None if another took it."""
    claimed = drop.claim(path)
    if claimed is None:
        return None
    for sidecar in drop.sidecars(path):  # said what it had to; a file put back settles again
        sidecar.unlink(missing_ok=True)
    name = path.name
    try:
        request = request_for(path, drop.folder)
        summary = await import_file(application, replace(request, file=claimed, label=name))
    except (ImportRejected, NotAnImport, ImportOptionError) as e:
        problems = e.problems if isinstance(e, ImportRejected) else [str(e)]
        done = drop._finish(claimed, "failed", error_report(name, problems))
        from casework.imports import import_failed

        report = f"{done.name}.errors.csv"
        await import_failed(application.uow(), name, problems, report, application.clock.now())
        log.warning(
            "drop folder: %s refused (%d problems): see %s",
            name,
            len(problems),
            done.with_name(report),
        )
        return "failed"
    except BaseException:
        # Not the file's fault (the database is away, the service stops): back in line.
        os.rename(claimed, path)
        raise
    drop._finish(claimed, "done")
    log.info("drop folder: %s imported: %d rows, %d changed", name, summary.rows, summary.changed)
    return "done"


async def import_settled(application: App, drop: DropFolder, wait: bool = False) -> dict[str, str]:
    """Every whole file, one at a time (the review sees them all imported). With `wait` (just
    before the review), files still being written are waited for, up to REVIEW_WAIT_SECONDS."""
    out: dict[str, str] = {}
    deadline = time.monotonic() + REVIEW_WAIT_SECONDS
    async with drop.busy:
        while True:
            ready, soonest = drop.look()
            for path in ready:
                result = await import_one(application, drop, path)
                if result is not None:
                    out[path.name] = result
            if not wait or soonest is None or time.monotonic() >= deadline:
                return out
            await asyncio.sleep(min(max(soonest, 0.0), 1.0))  # a sidecar may land meanwhile


async def watch_forever(application: App, drop: DropFolder, every: float) -> None:
    drop.recover()
    while True:
        try:
            await import_settled(application, drop)
        except Exception:  # the database may be away: the files wait for the next look
            log.exception("drop folder: could not import; will look again")
        await asyncio.sleep(every)
