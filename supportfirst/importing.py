"""One entry for every import, from the CLI and from the drop folder: our CSV files, an MIS's
marks export, a Common Transfer File. A rejected file's problems: all of them in an error
report (`FILE.errors.csv`), the first MAX_SHOWN where a person reads them."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from casework.errors import ImportRejected
from casework.imports import ImportSummary
from casework.spreadsheet import text_cell

if TYPE_CHECKING:
    from supportfirst.bootstrap import App

MAX_SHOWN = 20
MIS_FORMATS = ("sims", "arbor", "bromcom")


class ImportOptionError(ValueError):
    """Options that do not fit together (a format for a file that is not marks...)."""


@dataclass(frozen=True)
class ImportRequest:
    kind: str
    file: Path
    by: str = "cli"
    format: str | None = None
    school: str | None = None
    codes: Path | None = None
    columns: str | None = None
    date_format: str | None = None
    label: str | None = None  # how problems and the audit name the file (default: its path)


def check(request: ImportRequest) -> None:
    r = request
    mis = r.format is not None or r.columns is not None
    if r.format is not None and r.format not in MIS_FORMATS:
        raise ImportOptionError(f"--format: {r.format!r} is not one of {', '.join(MIS_FORMATS)}")
    if mis and r.kind != "marks":
        raise ImportOptionError("--format and --columns are for marks exports only")
    if mis and not r.school:
        raise ImportOptionError("an MIS export names no school: give --school URN")
    if r.kind not in ("marks", "ctf") and r.school:
        raise ImportOptionError(f"--school is for marks exports and CTFs, not {r.kind}")
    if (r.codes or r.date_format) and not mis:
        raise ImportOptionError("--codes and --date-format need --format or --columns")


async def import_file(
    application: App, request: ImportRequest, tick: Callable[[int], None] | None = None
) -> ImportSummary:
    """Import one file. ImportRejected keeps every problem; `shown` cuts it for a terminal."""
    check(request)
    name, now = request.label or str(request.file), application.clock.now()
    if request.kind == "ctf":
        from casework.ctf import check_size

        check_size(name, request.file.stat().st_size)  # before reading it into memory
    data = request.file.read_bytes()  # a file that cannot be read: the boundary names it
    uow = application.uow()
    if request.kind == "ctf":
        from casework.ctf import import_ctf

        return await import_ctf(uow, name, data, request.school, request.by, now)
    if request.format or request.columns:
        return await _import_export(application, request, name, data, tick)
    from casework.imports import import_csv

    return await import_csv(uow, request.kind, name, data, request.by, now, tick)


async def _import_export(
    application: App,
    r: ImportRequest,
    name: str,
    data: bytes,
    tick: Callable[[int], None] | None,
) -> ImportSummary:
    from casework.imports import import_parsed
    from casework.mis import LAYOUTS, MisError, custom_layout, local_codes, parse_export

    assert r.school is not None  # check() made sure
    try:
        base = LAYOUTS[r.format] if r.format else None
        layout = custom_layout(r.columns, base) if r.columns else base
        assert layout is not None
        codes = local_codes(str(r.codes), r.codes.read_bytes()) if r.codes else {}
        parsed, notes = parse_export(name, data, layout, r.school, codes, r.date_format, tick)
    except MisError as e:
        raise ImportRejected([str(e)]) from None
    summary = await import_parsed(
        application.uow(), "marks", name, data, parsed, r.by, application.clock.now()
    )
    return ImportSummary(summary.kind, summary.rows, summary.changed, (*notes, *summary.warnings))


def report_path(file: Path) -> Path:
    return file.with_name(file.name + ".errors.csv")


def error_report(name: str, problems: list[str]) -> bytes:
    """Every problem as a row of `file,line,field,reason`."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["file", "line", "field", "reason"])
    for p in problems:
        rest = p[len(name) + 1 :] if p.startswith(name + ":") else p
        line, _, rest = rest.partition(":") if rest.split(":", 1)[0].isdigit() else ("", "", rest)
        field, _, reason = rest.strip().partition(": ")
        w.writerow([text_cell(name), line, text_cell(field), text_cell(reason)])
    return out.getvalue().encode("utf-8")


def _field(problem: str, name: str) -> str:
    """The field a `FILE:LINE: field: reason` problem is about."""
    rest = problem[len(name) + 1 :] if problem.startswith(name + ":") else problem
    found = re.match(r"^\d+:\s*([^:]+):", rest)
    return found.group(1).strip() if found else ""


def shown(
    name: str, problems: list[str], report: Path | None, rows: int | None = None
) -> list[str]:
    """What a person reads: every problem when there are few, else the first MAX_SHOWN and
    where the rest are. A file whose every row fails on the same field is said so once, with
    the likely fix (`rows`: how many rows the file has; None when not known)."""
    where = f"all {len(problems)} are in {report}" if report else f"{len(problems)} in all"
    fields = Counter(_field(p, name) for p in problems)
    lines = {_line(p, name) for p in problems}
    same = len(fields) == 1 and len(problems) > 1
    every = same and (len(lines) == rows if rows is not None else len(problems) > MAX_SHOWN)
    if every:
        (field,) = fields
        hint = _date_hint(problems) if "date" in field.lower() else ""
        if len(problems) <= MAX_SHOWN:
            return [*problems, f"{name}: {field}: every one of {len(problems)} rows fails{hint}"]
        return [
            f"{name}: {field}: every one of {len(problems)} rows fails: {problems[0]}{hint}",
            f"{name}: {where}",
        ]
    if len(problems) <= MAX_SHOWN:
        return problems
    more = f"{name}: ... and {len(problems) - MAX_SHOWN} more ({where})"
    return [*problems[:MAX_SHOWN], more]


def _line(problem: str, name: str) -> str:
    rest = problem[len(name) + 1 :] if problem.startswith(name + ":") else problem
    return rest.split(":", 1)[0]


def _date_hint(problems: list[str]) -> str:
    if all(re.search(r"'\d{1,2}/\d{1,2}/\d{4}", p) for p in problems[:MAX_SHOWN]):
        return (
            "; every date is DD/MM/YYYY: use --format sims (or arbor, bromcom) or "
            "--date-format %d/%m/%Y"
        )
    return ""


def write_report(file: Path, problems: list[str]) -> Path:
    """FILE.errors.csv beside the file (0600: it names pupils)."""
    from supportfirst.cli.common import write_private

    path = report_path(file)
    write_private(path, error_report(str(file), problems))
    return path
