"""Marks as SIMS, Arbor and Bromcom export them: the same register gives the same threshold;
their dates, session names, separators, encodings and local codes read; errors name the line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from casework.errors import ImportRejected
from casework.imports import import_csv
from casework.thresholds import threshold_report
from supportfirst.bootstrap import App
from supportfirst.importing import ImportRequest, import_file
from tests import builders as b
from tests import mis_exports as m

NOW = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)


@pytest.fixture
async def school(app: App) -> App:
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils()),
        ("calendar", b.calendar()),
    ):
        await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)
    return app


async def export(
    app: App,
    tmp_path: Path,
    fmt: str,
    data: bytes,
    codes: Path | None = None,
    columns: str | None = None,
) -> list[str]:
    path = tmp_path / f"{fmt}.csv"
    path.write_bytes(data)
    request = ImportRequest("marks", path, "me", fmt, b.SCHOOL_A, codes, columns)
    summary = await import_file(app, request)
    return list(summary.warnings)


async def threshold(app: App) -> list[tuple[str, int, date | None, bool]]:
    report = await threshold_report(app.uow(), date(2025, 3, 14), True)
    return [(r.upn, r.unauthorised_sessions, r.window_start, r.met) for r in report]


@pytest.mark.parametrize("fmt", ["contract", "sims", "sims-xml", "arbor", "bromcom"])
async def test_each_systems_export_of_one_register_gives_the_same_threshold(
    school: App, tmp_path: Path, fmt: str
) -> None:
    rows = m.contract_rows()
    if fmt == "contract":
        data = b.csv_bytes(b.MARKS_HEADER, [f"{u},{b.SCHOOL_A},{d},{s},{c}" for u, d, s, c in rows])
        await import_csv(school.uow(), "marks", "marks.csv", data, "me", NOW)
    else:
        codes = tmp_path / "codes.csv"
        codes.write_bytes(m.CODES)
        mapping = codes if fmt == "bromcom" else None
        make = {"sims": m.sims, "sims-xml": m.sims_xml, "arbor": m.arbor, "bromcom": m.bromcom}
        await export(school, tmp_path, fmt.removesuffix("-xml"), make[fmt](rows), mapping)
    assert await threshold(school) == [(b.UPN_1, 10, date(2025, 1, 6), True)]


async def test_a_windows_1252_export_is_read_and_said_so(school: App, tmp_path: Path) -> None:
    warnings = await export(school, tmp_path, "arbor", m.arbor(m.contract_rows()[:4]))
    assert warnings == [f"{tmp_path / 'arbor.csv'}: read as Windows-1252 (not UTF-8)"]


async def test_a_local_code_without_a_mapping_names_the_line_and_column(
    school: App, tmp_path: Path
) -> None:
    with pytest.raises(ImportRejected) as e:
        await export(school, tmp_path, "bromcom", m.bromcom(m.contract_rows()))
    first = e.value.problems[0]
    assert first == (
        f"{tmp_path / 'bromcom.csv'}:70: Code: unknown register code 'A' (not in the 2024 code "
        "set) (a school's own letter: map it with --codes)"
    )
    assert e.value.total == 10


async def test_an_export_without_its_columns_says_which_and_how_to_name_them(
    school: App, tmp_path: Path
) -> None:
    with pytest.raises(ImportRejected) as e:
        await export(school, tmp_path, "sims", b"Pupil,When,Mark\nX,01/01/2025,/\n")
    assert e.value.problems == [
        f"{tmp_path / 'sims.csv'}:1: header: no column 'UPN', 'Date' or 'Attendance Date' or "
        "'Session Date' in this SIMS export (it has Pupil, When, Mark); name them with --columns "
        "upn=…,date=…,session=…,code=…"
    ]
    rows = b.csv_bytes("Pupil,When,AM or PM,Mark", [f"{b.UPN_1},03/03/2025,AM,O"])
    await export(school, tmp_path, "sims", rows, columns="upn=Pupil,date=When,session=AM or PM")
    assert await threshold(school) == [(b.UPN_1, 1, date(2025, 3, 3), False)]


async def test_a_sims_commandreporter_record_with_a_bad_mark_names_its_line(
    school: App, tmp_path: Path
) -> None:
    rows = m.contract_rows()[:3]
    rows[2] = (*rows[2][:3], "?")
    with pytest.raises(ImportRejected) as e:
        await export(school, tmp_path, "sims", m.sims_xml(rows))
    assert e.value.problems == [
        f"{tmp_path / 'sims.csv'}:5: Mark: unknown register code '?' (not in the 2024 code set) "
        "(a school's own letter: map it with --codes)"
    ]


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<SuperStarReport><Record><UPN>&b;</UPN></Record></SuperStarReport>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<SuperStarReport><Record><UPN>&x;</UPN></Record></SuperStarReport>",
    ],
    ids=["entity-expansion", "external-entity"],
)
async def test_a_sims_xml_with_a_dtd_or_entity_is_refused_whole(
    school: App, tmp_path: Path, body: bytes
) -> None:
    with pytest.raises(ImportRejected) as e:
        await export(school, tmp_path, "sims", body)
    assert e.value.problems == [
        f"{tmp_path / 'sims.csv'}:1: XML: declares a DTD or an entity: refused (a report has "
        "neither)"
    ]
    assert await threshold(school) == []


async def test_session_names_are_read_as_the_systems_write_them(
    school: App, tmp_path: Path
) -> None:
    header = "UPN,Roll Call Date,Roll Call,Roll Call Mark"
    rows = [f"{b.UPN_1},03/03/2025,AM Roll Call,O", f"{b.UPN_1},03/03/2025,Roll Call PM,O"]
    await export(school, tmp_path, "arbor", b.csv_bytes(header, rows))
    assert await threshold(school) == [(b.UPN_1, 2, date(2025, 3, 3), False)]
