"""The referral pack's chronology.pdf: all of the case on A4, the same bytes each time."""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from casework.packview import ChecklistLine, PackView, ParentLine, TimelineRow, WeekPoint
from documents.chart import attendance_chart_svg, week_label
from documents.chronology import chronology_html, chronology_pdf

SVG = "{http://www.w3.org/2000/svg}"
GENERATED = datetime(2025, 6, 9, 8, 15, tzinfo=UTC)
AUDIT_HEAD = "3f7a9c0e5b2d4f6a8c1e3b5d7f9a0c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a"
FIRST_MONDAY = date(2024, 9, 2)


def school_weeks(count: int) -> tuple[WeekPoint, ...]:
    """`count` consecutive school weeks with some absence, and the 10-week window totals."""
    sessions = [(3 * i + 1) % 5 if i >= 12 else i % 2 for i in range(count)]
    return tuple(
        WeekPoint(FIRST_MONDAY + timedelta(weeks=i), n, sum(sessions[max(0, i - 9) : i + 1]))
        for i, n in enumerate(sessions)
    )


def timeline(count: int) -> tuple[TimelineRow, ...]:
    kinds = ("Support offered", "Letter sent", "Meeting", "Phone call")
    hows = ("by email to alex@example.org", "by post", "meeting in school", "meeting by phone")
    return tuple(
        TimelineRow(
            on=FIRST_MONDAY + timedelta(days=i),
            by="Ms Priya Patel" if i % 3 else "Mr Tom Okafor",
            what=kinds[i % 4],
            how=hows[i % 4],
            summary=(
                f"Entry{i:03d}: discussed Sam's mornings & the walk to school; offered the "
                "breakfast club and a meeting with the family support worker <FSW>."
            ),
            outcome="sent 10 Mar 09:02 (250 queued as 4Xyz)" if i % 2 else "engaged",
        )
        for i in range(count)
    )


CHECKLIST = (
    ChecklistLine("Chronology of support and contact", "done", "200 entries"),
    ChecklistLine("Copies of letters sent", "done", "12 letters"),
    ChecklistLine("Attendance contract", "not_applicable", "the parents would not meet"),
    ChecklistLine("The three views (pupil, parents, school)", "missing", "no pupil's view"),
)


def pack(rows: int = 200, weeks: int = 40) -> PackView:
    return PackView(
        title="Referral pack: Sam Okafor-Smith",
        generated_at=GENERATED,
        school="Oakfield Primary School",
        authority="Suffolk County Council",
        pupil_name="Sam Okafor-Smith",
        upn="A123456789012",
        date_of_birth=date(2015, 5, 4),
        year_group="Year 5",
        parents=(
            ParentLine(
                "P1",
                "Alex Taylor",
                "mother",
                "email alex@example.org (consent 3, form, 1 Mar 2025)",
            ),
            ParentLine("P2", "Jo Smith", "father", "post: no consent to email"),
        ),
        contacts=("Ms Priya Patel, Attendance Officer", "Mr Tom Okafor, DSL"),
        timeline=timeline(rows),
        checklist=CHECKLIST,
        weeks=school_weeks(weeks),
        threshold=10,
        audit_head=AUDIT_HEAD,
    )


def pdf_text(pdf: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    return text, len(reader.pages)


def timed(view: PackView) -> tuple[bytes, float]:
    started = time.perf_counter()
    pdf = chronology_pdf(view)
    return pdf, time.perf_counter() - started


@pytest.fixture(scope="module")
def rendered() -> tuple[bytes, float]:
    chronology_pdf(pack(rows=3, weeks=3))  # fonts and WeasyPrint's caches warm, as in service
    return timed(pack())


def test_the_pack_prints_the_whole_case(rendered: tuple[bytes, float]) -> None:
    pdf, seconds = rendered
    text, pages = pdf_text(pdf)
    print(f"\nchronology.pdf: 200 rows, 40 weeks: {seconds:.2f} s, {pages} pages, {len(pdf)} B")

    assert pdf.startswith(b"%PDF-")
    assert pages >= 8
    for element in (
        "Referral pack: Sam Okafor-Smith",
        "Oakfield Primary School",
        "Suffolk County Council",
        "UPN A123456789012",
        "Page 1 of",
        f"Page {pages} of {pages}",
        "9 Jun 2025 09:15 BST",  # generated_at, in UK time
        AUDIT_HEAD,
        "Alex Taylor",
        "post: no consent to email",
        "Ms Priya Patel, Attendance Officer",
        "National threshold (10)",
        "When Who What How Summary Outcome",
        "Entry000: discussed Sam's mornings & the walk to school",
        "2 Sep 2024",
        "Entry199:",
        "20 Mar 2025",  # the last row's date
        "<FSW>",  # escaped, so shown as text
        "Not applicable — the parents would not meet",
        "MISSING — no pupil's view",
        "Not ready for referral: 1 item missing.",
    ):
        assert element in text, element
    for line in CHECKLIST:
        assert line.label in text, line.label
    # The header row repeats on each page of the chronology.
    assert text.count("When Who What How Summary Outcome") >= pages - 3


def test_the_same_pack_prints_to_the_same_bytes(rendered: tuple[bytes, float]) -> None:
    again, seconds = timed(pack())
    print(f"\nchronology.pdf again: {seconds:.2f} s")
    assert again == rendered[0]
    info = PdfReader(io.BytesIO(again)).metadata
    assert info is not None and info.title == "Referral pack: Sam Okafor-Smith"
    assert info["/CreationDate"] == info["/ModDate"] == "D:20250609081500+00'00"


def test_a_full_pack_of_250_entries() -> None:
    pdf, seconds = timed(pack(rows=250))
    text, pages = pdf_text(pdf)
    print(f"\nchronology.pdf: 250 rows, 40 weeks: {seconds:.2f} s, {pages} pages, {len(pdf)} B")
    assert "Entry249:" in text and pages > 10


def test_a_ready_case_says_so_and_data_cannot_become_markup() -> None:
    ready = replace(
        pack(rows=2, weeks=0),
        pupil_name='Sam <script>alert("x")</script>',
        checklist=CHECKLIST[:3],
    )
    html = chronology_html(ready)
    assert "Ready for referral: every item is done or not applicable." in html
    assert "MISSING" not in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "No registers imported" in html
    assert "Not ready for referral" in chronology_html(replace(ready, checklist=()))


def test_an_unknown_checklist_state_or_naive_time_is_refused() -> None:
    odd = replace(pack(rows=1, weeks=1), checklist=(ChecklistLine("x", "maybe", ""),))
    with pytest.raises(ValueError, match="maybe"):
        chronology_html(odd)
    with pytest.raises(ValueError, match="aware"):
        chronology_html(replace(pack(rows=1, weeks=1), generated_at=datetime(2025, 6, 9, 8)))


def test_the_chart_has_a_bar_a_week_the_threshold_and_readable_labels() -> None:
    weeks = school_weeks(40)
    svg = attendance_chart_svg(weeks, 10)
    root = ET.fromstring(svg)  # well-formed XML: no stray markup
    assert root.tag == f"{SVG}svg"
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == 40
    heights = [float(r.get("height", "nan")) for r in bars]
    assert heights.index(max(heights)) == [w.unauthorised for w in weeks].index(
        max(w.unauthorised for w in weeks)
    )
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "National threshold (10)" in texts
    assert [e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}image", f"{SVG}a")] == []
    assert "href" not in svg

    # Week labels are thinned (no overlaps at 40 weeks) but start at the first week.
    shown = [t for t in texts if t in {week_label(w.monday) for w in weeks}]
    assert shown[0] == "2 Sep" and 5 <= len(shown) < 40
    xs = [
        float(t.get("x", "nan")) for t in root.iter(f"{SVG}text") if "".join(t.itertext()) in shown
    ]
    assert min(b - a for a, b in zip(xs, xs[1:], strict=False)) > 6.2 * len("23 Sep")

    assert attendance_chart_svg(weeks, 10) == svg  # the same weeks, the same string


def test_the_chart_without_weeks_says_there_are_no_registers() -> None:
    root = ET.fromstring(attendance_chart_svg((), 10))
    assert "No registers imported" in "".join(root.itertext())
    assert [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"] == []


def test_the_chart_scale_reaches_above_the_highest_week() -> None:
    week = WeekPoint(FIRST_MONDAY, 10, 37)
    root = ET.fromstring(attendance_chart_svg([week], 10))
    scale = [
        int("".join(t.itertext())) for t in root.iter(f"{SVG}text") if (t.text or "").isdigit()
    ]
    assert scale[0] == 0 and max(scale) > 37


RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"


def test_the_chronology_is_archived_as_pdf_a(rendered: tuple[bytes, float]) -> None:
    """PDF/A-2b (veraPDF is not available here): the XMP metadata claims the part and
    conformance, the title and dates agree with the document information, an sRGB output
    intent with its ICC profile is embedded, and every font is embedded."""
    reader = PdfReader(io.BytesIO(rendered[0]))
    assert reader.pdf_header == "%PDF-1.7"
    catalog = reader.trailer["/Root"]
    packet = catalog["/Metadata"].get_object().get_data()
    xmp = ET.fromstring(packet.split(b"?>", 1)[1].rsplit(b"<?", 1)[0])  # inside the xpacket
    claims = {k: v for d in xmp.iter(f"{RDF}Description") for k, v in d.attrib.items()}
    assert claims[f"{PDFAID}part"] == "2" and claims[f"{PDFAID}conformance"] == "B"
    texts = {e.tag.rsplit("}", 1)[1]: (e.text or "") for e in xmp.iter()}
    assert texts["li"] == "Referral pack: Sam Okafor-Smith"
    assert texts["CreateDate"] == texts["ModifyDate"] == "2025-06-09T08:15:00+00:00"
    [intent] = catalog["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3 and profile.get_data()[36:40] == b"acsp"  # an ICC profile, RGB
    assert "sRGB" in str(intent.get("/OutputConditionIdentifier", ""))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()
            fonts = descendant.get("/DescendantFonts", [descendant])
            for f in fonts:
                descriptor = f.get_object()["/FontDescriptor"].get_object()
                assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), descriptor
    assert "/Encrypt" not in reader.trailer
