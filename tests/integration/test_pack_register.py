"""The referral pack as the compliance team reads it (issue 12 point 5): the cover, the register
extract in chronology.pdf and register.csv checked against the marks in the store, the proof
that each parent was served the notice, the period on the chart, and UK dates throughout."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from pypdf import PdfReader

from casework.pack import build_pack
from casework.packview import PackView
from casework.thresholds import daily_review
from documents.chronology import chronology_html, chronology_pdf
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import HEAD, enrol, school_contacts
from tests.integration.test_notice_service import NOW, case, deliver, issue  # noqa: F401
from tests.integration.test_notices import absent, load

SEEN: list[PackView] = []


def render(view: PackView) -> bytes:
    SEEN.append(view)
    return chronology_pdf(view)


async def served_case(app: App) -> int:
    """Sam met the threshold on Fri 7 Mar; Hillside Academy marked him `D` (attending the other
    school) on Tue 4 Mar AM beside Riverside's `O`; the notice issued on 7 Mar was posted first
    class to both parents on Mon 10 Mar (deemed received Wed 12th, so it runs from Thu 13th); he
    missed Fri 14 Mar."""
    await enrol(app.uow)
    await school_contacts(app.uow)
    await load(app, "calendar", b.calendar(b.SCHOOL_B))
    other = b.csv_bytes(b.MARKS_HEADER, [f"{b.UPN_1},{b.SCHOOL_B},2025-03-04,AM,D"])
    await load(app, "marks", other)
    await daily_review(app.uow(), date(2025, 3, 7), NOW)
    notice_id = await issue(app)
    await deliver(app, "post", date(2025, 3, 10))
    await absent(app, ["2025-03-14"], start="2025-03-10", end="2025-03-14")
    return notice_id


def pdf_pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


async def test_the_register_extract_is_every_mark_the_store_holds_for_the_window_and_period(
    case: App,  # noqa: F811
) -> None:
    notice_id = await served_case(case)
    pack = await build_pack(case.uow(), case.evidence(), render, b.UPN_1, NOW, "Ms Patel")
    async with case.uow() as uow:
        recorded = await uow.marks.recorded(b.UPN_1)
        [met] = [e for e in await uow.cases.entries(b.UPN_1) if e.kind == "threshold_met"]
        notice = await uow.cases.notice(notice_id)
    assert notice is not None and notice.served_start == date(2025, 3, 13)
    assert notice.served_end is not None
    window = (date.fromisoformat(met.details["window_start"]), met.on)
    period = (notice.served_start, notice.served_end)
    expected = {
        (m.day.isoformat(), str(m.session), m.code, m.school)
        for m in recorded
        if any(start <= m.day <= end for start, end in (window, period))
    }
    files = {f.path: f.content for f in pack.files}
    reader = csv.DictReader(io.StringIO(files["register.csv"].decode()))
    assert reader.fieldnames is not None  # the columns CONTRACT.md fixes come first
    assert reader.fieldnames[:5] == ["upn", "school_urn", "date", "session", "code"]
    rows = list(reader)
    assert {r["upn"] for r in rows} == {b.UPN_1}
    assert {(r["date"], r["session"], r["code"], r["school_urn"]) for r in rows} == expected
    assert len(rows) == len(expected) == 25  # 24 Feb - 7 Mar: 20 and the D; 13-14 Mar: 4
    assert ("2025-03-10", "AM") not in {(r["date"], r["session"]) for r in rows}  # not served
    by_key = {(r["date"], r["session"], r["school_urn"]): r for r in rows}
    hillside = by_key[("2025-03-04", "AM", b.SCHOOL_B)]
    assert hillside["school"] == "Hillside Academy" and hillside["stands"] == "no"
    assert hillside["counted"] == "no"
    riverside = by_key[("2025-03-04", "AM", b.SCHOOL_A)]
    assert (riverside["code"], riverside["stands"], riverside["counted"]) == ("O", "yes", "yes")
    assert riverside["meaning"] == "other unauthorised absence"
    assert riverside["weekday"] == "Tuesday"
    assert sum(r["counted"] == "yes" for r in rows) == 12  # 10 in the window, 2 on 14 Mar
    assert "improvement period" in by_key[("2025-03-14", "PM", b.SCHOOL_A)]["covers"]

    pages = pdf_pages(files["chronology.pdf"])
    register = " ".join(p for p in pages if "Register extract" in p or "(100001)" in p)
    assert register.count(f"Riverside Primary ({b.SCHOOL_A})") == 24
    assert register.count(f"Hillside Academy ({b.SCHOOL_B})") == 1
    for shown in ("Mon 24 Feb 2025", "Tue 4 Mar 2025", "Fri 14 Mar 2025", "no: does not stand"):
        assert shown in register, shown
    assert "13 Mar 2025 to " in register and f"Notice to Improve {notice_id}'s" in register


async def test_the_cover_identifies_school_pupil_parents_and_who_prepared_it(
    case: App,  # noqa: F811
) -> None:
    await served_case(case)
    pack = await build_pack(case.uow(), case.evidence(), render, b.UPN_1, NOW, HEAD)
    cover = pdf_pages(pack.files[0].content)[0]
    for shown in (
        f"School Riverside Primary (URN {b.SCHOOL_A})",
        "Local authority Essex",
        "Pupil Sam0 Taylor",
        "Date of birth 1 Mar 2015",
        f"UPN {b.UPN_1}",
        "Year group 5",
        "Alex Taylor (mother)",
        "12 Mill Lane, Colchester, CO1 1AA",
        "Jo Taylor (father)",
        "Flat 3, 40 Station Road, Chelmsford, CM1 2AB",
        "post: no consent to email",
        "School address 1 River Road, Colchester CO1 2AA",
        "School contact 01206 500100; attendance@riverside.example",
        "Prepared by Ms Patel (Attendance Officer)",
        "Generated 7 Mar 2025 12:00 GMT",
        pack.audit_head,
    ):
        assert shown in cover, shown


async def test_each_parent_s_receipt_of_the_notice_is_shown_with_its_proof(
    case: App,  # noqa: F811
) -> None:
    notice_id = await served_case(case)
    pack = await build_pack(case.uow(), case.evidence(), render, b.UPN_1, NOW, "Ms Patel")
    view = SEEN[-1]
    paths = {f.path for f in pack.files}
    assert [(s.notice_id, s.parent.split(" (")[0], s.route) for s in view.service] == [
        (notice_id, "Alex Taylor", "post"),
        (notice_id, "Jo Taylor", "post"),
    ]
    for line in view.service:
        assert line.served and line.received == "deemed received 12 Mar 2025"
        assert line.evidence == "posted first class on 10 Mar 2025 by Ms Patel"
        assert line.file in paths and line.file.endswith("-slip.pdf")
    text = " ".join(pdf_pages(pack.files[0].content))
    assert "Service of formal notices" in text and "posted first class on 10 Mar 2025" in text

    html = chronology_html(view)  # the improvement period is drawn on the chart
    assert 'class="period"' in html and f">NTI {notice_id}<" in html
    assert "NTI improvement period" in html
    # One way of writing dates: no ISO dates and no command names anywhere a reader sees.
    assert re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text) == []
    assert "(letter delivered)" not in text and "nti close" not in text
