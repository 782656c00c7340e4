"""Hostile MIS exports and CTFs never give a traceback either (issue 13 point 5, for the formats
of issue 15): a refusal in words, naming the file, and the database as it was."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import builders as b
from tests import ctfs as c
from tests.integration.test_hostile_input import (
    CELLS,
    assert_refused_well,
    copy_of,
    database_dump,
    run_cli,
    template,
)

__all__ = ["template"]  # the module's seeded school, a fixture
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
SIMS_HEADER = ["UPN", "Date", "Session", "Mark"]


@st.composite
def hostile_export(draw: st.DrawFn) -> bytes:
    header = draw(
        st.permutations(SIMS_HEADER + draw(st.lists(st.sampled_from(SIMS_HEADER), max_size=1)))
    )
    sep = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(CELLS, max_size=6), max_size=6))
    text = "\n".join(sep.join(r) for r in [header, *rows]) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return text.encode(encoding, "replace")


@st.composite
def hostile_ctf(draw: st.DrawFn) -> bytes:
    marks = draw(st.text(alphabet="/\\OGUNYCJHZ#-9x é", max_size=40))
    start = draw(st.sampled_from(["2024-09-02", "0001-01-01", "9999-12-31", "02/09/2024", ""]))
    pupil = c.Pupil(
        draw(st.sampled_from([c.UPN_MOVED, c.UPN_BAD, "", "<b>"])), years=[c.Year("2024", None, "")]
    )
    data = c.ctf([pupil]).replace(
        b"<Attendance>",
        f"<Attendance><YearData><AttendSessions><AttendanceStartDate>{start}"
        f"</AttendanceStartDate><AttendanceMarks>{marks}</AttendanceMarks></AttendSessions>"
        "</YearData>".encode(errors="replace"),
    )
    cut = draw(st.integers(0, len(data)))
    return data if draw(st.booleans()) else data[:cut]


@FUZZ
@given(data=st.data())
def test_a_hostile_mis_export_is_refused_in_words_and_changes_nothing(
    template: Path, data: st.DataObject
) -> None:
    contents = data.draw(hostile_export(), label="file")
    with copy_of(template) as folder:
        path = folder.parent / "export.csv"
        path.write_bytes(contents)
        before = database_dump(folder)
        ran = run_cli(
            folder, "import", "marks", str(path), "--format", "sims", "--school", b.SCHOOL_A
        )
        if ran.code == 0:
            assert "Traceback" not in ran.err
            return
        assert_refused_well(ran, str(path))
        assert database_dump(folder) == before


@FUZZ
@given(data=st.data())
def test_a_hostile_ctf_is_refused_in_words_and_changes_nothing(
    template: Path, data: st.DataObject
) -> None:
    contents = data.draw(hostile_ctf(), label="file")
    with copy_of(template) as folder:
        path = folder.parent / "in.xml"
        path.write_bytes(contents)
        before = database_dump(folder)
        ran = run_cli(folder, "import", "ctf", str(path))
        if ran.code == 0:
            assert "Traceback" not in ran.err
            return
        assert_refused_well(ran, str(path))
        assert database_dump(folder) == before
