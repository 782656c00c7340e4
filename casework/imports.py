"""Import one CSV file: all or nothing, every problem listed, re-import changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from casework.csvfiles import Parsed, parse
from casework.errors import ImportRejected
from casework.events import ImportFailed
from casework.mark_columns import MarkColumns
from casework.ports import UnitOfWork
from casework.records import Change, MarkConflict, ParentRow


@dataclass(frozen=True)
class ImportSummary:
    kind: str
    rows: int
    changed: int
    # Things the file was imported with but someone must fix: two schools' marks in conflict.
    warnings: tuple[str, ...] = ()
    separator: str = ","  # `;` when the file was read as Excel saves it where `,` is a decimal mark


def _duplicates(
    name: str, rows: list[tuple[int, Any]], key: Callable[[Any], Hashable], what: str
) -> tuple[list[tuple[int, Any]], list[str]]:
    """Drop exact repeats; report the same key with different values, naming both lines."""
    keys = [key(row) for _, row in rows]
    if len(set(keys)) == len(keys):
        return rows, []  # the usual file: every key once
    seen: dict[Hashable, tuple[int, Any]] = {}
    kept, problems = [], []
    for line, row in rows:
        k = key(row)
        if k not in seen:
            seen[k] = (line, row)
            kept.append((line, row))
        elif seen[k][1] != row:
            first_line, first = seen[k]
            diff = next(f for f, v in asdict(row).items() if asdict(first)[f] != v)
            problems.append(
                f"{name}:{line}: {diff}: {what} already given a different {diff} on line "
                f"{first_line} ({asdict(first)[diff]!r} vs {asdict(row)[diff]!r})"
            )
    return kept, problems


def _mark_duplicates(name: str, parsed: Parsed) -> tuple[MarkColumns, list[str]]:
    """As `_duplicates`, over a register file's columns: the usual file has one mark a session."""
    marks = parsed.marks if parsed.marks is not None else MarkColumns.numbered(parsed.rows)
    if marks.one_per_session:
        return marks, []
    key, what = _KEYS["marks"]
    kept, problems = _duplicates(name, marks.numbered_rows(), key, what)
    return MarkColumns.numbered(kept), problems


async def _missing(
    uow: UnitOfWork, name: str, lines: Sequence[int], values: Sequence[str], field: str, table: str
) -> list[str]:
    lookup = uow.registry.pupil_upns if table == "pupil" else uow.registry.school_urns
    known = await lookup(set(values))
    return [
        f"{name}:{line}: {field}: unknown {table} {value!r}"
        + (" (import the pupils file first)" if table == "pupil" else "")
        for line, value in zip(lines, values, strict=True)
        if value not in known
    ]


async def _references(
    uow: UnitOfWork, name: str, kind: str, rows: list[tuple[int, Any]] | MarkColumns
) -> list[str]:
    """Every row naming a pupil or school not on the register."""
    problems = []
    for field, table in _REFERENCES.get(kind, []):
        if isinstance(rows, MarkColumns):
            lines, values = rows.lines, getattr(rows, field)
        else:
            lines, values = [line for line, _ in rows], [getattr(r, field) for _, r in rows]
        problems += await _missing(uow, name, lines, values, field, table)
    return problems


_KEYS: dict[str, tuple[Callable[[Any], Hashable], str]] = {
    "schools": (lambda r: r.urn, "this school was"),
    "pupils": (lambda r: r.upn, "this pupil was"),
    "parents": (lambda r: (r.parent_id, r.upn), "this parent and pupil were"),
    "calendar": (lambda r: r, "this range was"),
    # Registers are per school: two schools may each record the session.
    "marks": (lambda r: (r.upn, r.day, r.session, r.school_urn), "this session was"),
}
_REFERENCES: dict[str, list[tuple[str, str]]] = {
    "pupils": [("school_urn", "school")],
    "parents": [("upn", "pupil")],
    "calendar": [("school_urn", "school")],
    "marks": [("upn", "pupil"), ("school_urn", "school")],
}


def _parent_consistency(name: str, rows: list[tuple[int, ParentRow]]) -> list[str]:
    """A parent is one person: the same name and address on every row that names them."""
    first: dict[str, tuple[int, ParentRow]] = {}
    problems = []
    for line, r in rows:
        line0, r0 = first.setdefault(r.parent_id, (line, r))
        for f in ("name", "email", "address", "phone"):
            if getattr(r, f) != getattr(r0, f):
                problems.append(
                    f"{name}:{line}: {f}: parent {r.parent_id} has a different {f} on line {line0}"
                )
    return problems


async def not_school_days(uow: UnitOfWork, name: str, marks: MarkColumns) -> list[str]:
    """The calendar governs: a mark other than `#` on a day the school was not open is a
    recording error, not an absence (DOMAIN.md, "What makes a case fail")."""
    urns, days = marks.school_urn, marks.day
    calendars = {urn: await uow.registry.calendar(urn) for urn in set(urns)}
    closed: dict[tuple[str, date], str] = {}
    for urn, day in set(zip(urns, days, strict=True)):  # a day's file: one day per school
        if why := calendars[urn].why_closed(day):
            closed[urn, day] = why
    if not closed:
        return []
    return [
        f"{name}:{line}: date: {day} is not a school day at {urn} ({closed[urn, day]})"
        for line, urn, day, code in zip(marks.lines, urns, days, marks.code, strict=True)
        if code != "#" and (urn, day) in closed
    ]


async def import_csv(
    uow: UnitOfWork,
    kind: str,
    name: str,
    data: bytes,
    actor: str,
    now: datetime,
    tick: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import one file of CONTRACT.md's CSV; `tick(rows)` is told as rows are read."""
    parsed = parse(kind, name, data, tick)
    return await import_parsed(uow, kind, name, data, parsed, actor, now)


async def import_parsed(
    uow: UnitOfWork, kind: str, name: str, data: bytes, parsed: Parsed, actor: str, now: datetime
) -> ImportSummary:
    """Check and store rows already read from `data` (our CSV or an MIS export)."""
    problems = parsed.problems
    key, what = _KEYS[kind]
    rows: list[tuple[int, Any]] | MarkColumns
    if kind == "marks":
        rows, dupes = _mark_duplicates(name, parsed)
    else:
        rows, dupes = _duplicates(name, parsed.rows, key, what)
    problems += dupes
    async with uow:
        problems += await _references(uow, name, kind, rows)
        if isinstance(rows, MarkColumns):
            problems += await not_school_days(uow, name, rows)
        elif kind == "parents":
            problems += _parent_consistency(name, rows)
        if problems:
            raise ImportRejected(sorted_problems(problems), rows=_rows_read(name, parsed))
        # A register file goes to the store as its columns, not one object per mark.
        stored = rows if isinstance(rows, MarkColumns) else [r for _, r in rows]
        changed, corrections, warnings = await store_rows(uow, kind, stored, name, now)
        await record_import(uow, kind, name, data, len(rows), changed, corrections, actor, now)
        return ImportSummary(kind, len(rows), changed, tuple(warnings), parsed.separator)


def _rows_read(name: str, parsed: Parsed) -> int:
    """The file's rows: those read well and those (one problem each) that were not."""
    at = name + ":"
    bad = {p[len(at) :].split(":", 1)[0] for p in parsed.problems if p.startswith(at)}
    return parsed.count() + len(bad - {"1"})  # line 1 is the header


async def record_import(
    uow: UnitOfWork,
    kind: str,
    name: str,
    data: bytes,
    rows: int,
    changed: int,
    corrections: list[Change],
    actor: str,
    now: datetime,
) -> None:
    """The import run and its audit entries, then commit; nothing when nothing changed."""
    if not changed:
        return
    sha = hashlib.sha256(data).hexdigest()
    await uow.imports.record(kind, name, sha, rows, changed, now)
    await uow.audit.append(
        actor, f"import.{kind}", name, {"sha256": sha, "rows": rows, "changed": changed}, now
    )
    # A change to something already stored keeps its own entry: who, when, old, new.
    await uow.audit.append_many(
        actor,
        [
            (f"{kind}.corrected", c.subject, {"old": c.old, "new": c.new, "source": name})
            for c in corrections
        ],
        now,
    )
    await uow.commit()


def sorted_problems(problems: list[str]) -> list[str]:
    return sorted(problems, key=_line_of)


def _line_of(problem: str) -> tuple[int, str]:
    parts = problem.split(":")
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0, problem)


def conflict_warning(name: str, found: MarkConflict) -> str:
    """One line naming both schools, for a session they recorded different real marks for."""
    c = found.conflict
    both = " but ".join(f"school {school} recorded {code}" for school, code in c.marks)
    return (
        f"{name}: warning: pupil {found.upn}, {c.day} {c.session}: {both}; one school must "
        "correct its register before a notice or penalty can be decided"
    )


async def store_rows(
    uow: UnitOfWork, kind: str, rows: Sequence[Any], name: str, now: datetime
) -> tuple[int, list[Change], list[str]]:
    """Store the rows; return how many changed anything, the changes to stored values, and
    the warnings."""
    changes: list[Change]
    if kind == "marks":
        result = await uow.marks.upsert(rows, now, name)
        warnings = [conflict_warning(name, c) for c in result.conflicts]
        return result.inserted + len(result.corrections), result.corrections, warnings
    if kind == "schools":
        changes = await uow.registry.upsert_schools(rows)
    elif kind == "pupils":
        changes = await uow.registry.upsert_pupils(rows)
    elif kind == "parents":
        changes = await uow.registry.upsert_parents(rows)
        # A new address is a new version, kept beside the old ones from the day it was seen.
        changes += await uow.registry.record_addresses(rows, now.date(), name)
    else:
        changes = await uow.registry.add_calendar(rows)
    return len(changes), [c for c in changes if c.old], []


async def import_failed(
    uow: UnitOfWork, file: str, problems: list[str], report: str, now: datetime
) -> None:
    """Staff are told that a file was refused (the ImportFailed alert), in its own
    transaction: the import itself stored nothing."""
    async with uow:
        first = problems[0] if problems else ""
        await uow.outbox.add(ImportFailed("", now.date(), file, len(problems), first, report), now)
        await uow.audit.append(
            "drop-folder", "import.failed", file, {"problems": len(problems)}, now
        )
        await uow.commit()
