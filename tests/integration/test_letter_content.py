"""What the letters say (issue 12 point 3), on SQLite and PostgreSQL, read back from what a
parent receives: the email's text part and its PDF copy, and the printed letter (pypdf).

The NTI states the day the threshold was met and each session counted, the window as it
really is, the s7 duty, the support offered with its dates and the support still available as
the officer chose it, sufficient improvement once, the period, the penalty amounts and that
prosecution may follow. The leave response states the leave dates, the amounts and the
escalation, and records the request; meeting notes go to the parents; the same letter twice
in one day needs `again`.
"""

from __future__ import annotations

import email
import email.policy
import io
from datetime import UTC, date, datetime
from email.message import EmailMessage

import pytest
from pypdf import PdfReader

from attendance.penalty import PenaltyKind, PenaltyRecord
from casework.caselog import LogRequest, log_entry
from casework.consent import record_consent
from casework.errors import Refused
from casework.imports import import_csv
from casework.letters import LetterOptions
from casework.notices import issue_nti
from casework.sending import send_letter
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import HEAD, HEAD_EMAIL, HEAD_PHONE, enrol, school_contacts

NOW = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
ISSUED = date(2025, 3, 7)
STAFF = HEAD  # Ms Patel, the attendance officer the letters name for parents to contact
# Absent all of the first week of March, and one morning in December: 11 sessions in all.
GONE = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]
DECEMBER = (date(2024, 12, 10), "AM")
AVAILABLE = ["Breakfast club every morning from 8am", "A weekly check-in with Mrs Green"]


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return flat(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages))


async def _school(app: App, absent: list[tuple[date, str]], start: date) -> App:
    marks = b.marks(b.UPN_1, start, date(2025, 3, 7), absent=absent, code="O")
    for kind, data in (
        ("schools", b.schools(la_a="Suffolk")),
        ("pupils", b.pupils(b.UPN_1)),
        ("calendar", b.calendar()),
        ("parents", b.parents()),
        ("marks", b.csv_bytes(b.MARKS_HEADER, marks)),
    ):
        await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)
    await enrol(app.uow, phone=HEAD_PHONE, email=HEAD_EMAIL)
    await school_contacts(app.uow)
    # Alex (P1) agreed in writing to email; Jo (P2) gets printed letters.
    await record_consent(
        app.uow(),
        app.evidence(),
        "P1",
        "alex@example.org",
        "form",
        date(2024, 9, 10),
        STAFF,
        NOW,
        ("consent.txt", b"Signed consent form: P1\n"),
    )
    return app


@pytest.fixture
async def school(app: App) -> App:
    """Registers from 2 December: eleven school weeks up to 7 March (half-terms and the
    Christmas holiday are not school weeks), so the window is the last ten."""
    return await _school(app, [*GONE, DECEMBER, (date(2024, 12, 3), "PM")], date(2024, 12, 2))


async def _log(app: App, kind: str, on: date, summary: str, **extra: object) -> int:
    request = LogRequest(b.UPN_1, kind, STAFF, on, summary, **extra)
    return await log_entry(app.uow(), request, NOW)


async def _support(app: App) -> None:
    await _log(app, "support_offered", date(2025, 1, 14), "Offered a place at breakfast club")
    await _log(
        app,
        "meeting",
        date(2025, 2, 11),
        "Met Alex at school to talk about mornings",
        ways_offered=("phone", "in_person"),
        engaged=True,
    )


async def _email(app: App, template: str) -> tuple[str, str]:
    """The text part of the email to Alex and the text of the PDF it carries (if any)."""
    async with app.uow() as uow:
        sent = [e for e in await uow.mail.emails_for(b.UPN_1) if e.template == template]
    message = email.message_from_bytes(
        app.evidence().get(sent[-1].sha256), policy=email.policy.default
    )
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    pdfs = [
        part.get_content()
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]
    return flat(body.get_content()), pdf_text(pdfs[0]) if pdfs else ""


async def _printed(app: App, printed_id: int | None) -> str:
    assert printed_id is not None
    async with app.uow() as uow:
        copy = await uow.mail.printed(printed_id)
    assert copy is not None
    return pdf_text(app.evidence().get(copy.letter_sha256))


async def _issue(app: App, available: list[str] | None = None) -> tuple[tuple[str, ...], int]:
    n = await issue_nti(
        app.uow(),
        app.mailroom(),
        b.UPN_1,
        STAFF,
        "Sam0 is in school every day, on time",
        ISSUED,
        0,
        NOW,
        AVAILABLE if available is None else available,
    )
    printed = next(r.printed_id for r in n.deliveries if r.parent_id == "P2")
    assert printed is not None
    return n.warnings, printed


NTI_STATES = (
    # the threshold: the day it was met, the window as it is, every session counted
    "11 sessions of unauthorised absence in the 10 school weeks from 9 December 2024 to "
    "7 March 2025",
    "On 7 March 2025 this met the national threshold for legal intervention",
    "Tuesday 10 December 2024, morning: O (other unauthorised absence)",
    "Monday 3 March 2025, morning and afternoon: O (other unauthorised absence)",
    "Friday 7 March 2025, morning and afternoon: O (other unauthorised absence)",
    # the parent's duty
    "section 7 of the Education Act 1996",
    # the support offered, with dates, and what remains available as the officer chose it
    "14 January 2025: Offered a place at breakfast club",
    "11 February 2025: Meeting: Met Alex at school to talk about mornings",
    "Breakfast club every morning from 8am",
    "A weekly check-in with Mrs Green",
    # sufficient improvement, the period
    "Sam0 is in school every day, on time",
    "From 10 March 2025 to 2 May 2025",
    # the penalty amounts and prosecution
    "£80 if paid within 21 days",
    "£160 if paid within 28 days",
    "second penalty notice for the same child within 3 years is £160",
    "prosecute in the magistrates' court",
    # who to contact
    f"Telephone: {HEAD_PHONE}",
)


async def test_the_nti_by_email_and_in_print_states_what_the_law_asks(school: App) -> None:
    await _support(school)
    warnings, printed = await _issue(school)
    assert warnings == ()
    text, attached = await _email(school, "nti")
    on_paper = await _printed(school, printed)
    for copy in (text, attached, on_paper):
        for element in NTI_STATES:
            assert element in copy, element
        # The counted sessions and nothing else: 3 December is outside the window.
        assert "3 December 2024" not in copy
        assert "(none recorded)" not in copy
        # What sufficient improvement means is said once.
        assert copy.count("Sam0 is in school every day, on time") == 1
    assert "Dear Jo Taylor" in on_paper and "Dear Alex Taylor" in text


async def test_the_window_is_said_as_it_is_when_fewer_than_ten_school_weeks_exist(
    app: App,
) -> None:
    # Registers from 6 January: eight school weeks to 7 March (the half-term is not one).
    school = await _school(app, GONE, date(2025, 1, 6))
    await _support(school)
    _, printed = await _issue(school)
    on_paper = await _printed(school, printed)
    assert (
        "10 sessions of unauthorised absence in the 8 school weeks from 6 January 2025 to "
        "7 March 2025 (all of Sam0's school weeks up to that day)" in on_paper
    )


async def test_a_notice_with_no_support_logged_warns_and_never_says_none_recorded(
    school: App,
) -> None:
    warnings, printed = await _issue(school, available=[])
    assert any("no support has been logged" in w for w in warnings)
    assert any("no support was named as still available" in w for w in warnings)
    on_paper = await _printed(school, printed)
    assert "(none recorded)" not in on_paper and "support we have already offered" not in on_paper
    assert "Please contact us so that we can agree together what support would help Sam0" in (
        on_paper
    )
    async with school.uow() as uow:
        issued = [e for e in await uow.cases.entries(b.UPN_1) if e.kind == "nti_issued"]
    assert issued[0].details["warnings"] == list(warnings)


async def test_a_parent_with_an_earlier_penalty_notice_is_told_the_second_amount(
    school: App,
) -> None:
    async with school.uow() as uow:
        record = PenaltyRecord(
            "P2", b.UPN_1, PenaltyKind.ATTENDANCE, date(2024, 10, 1), date(2024, 9, 9)
        )
        await uow.cases.add_penalty(record)
        await uow.commit()
    await _support(school)
    _, printed = await _issue(school)
    on_paper = await _printed(school, printed)
    assert "a penalty notice was issued to you for Sam0 on 1 October 2024" in on_paper
    assert "your second: £160, payable within 28 days" in on_paper
    assert "£80" not in on_paper
    text, _ = await _email(school, "nti")  # Alex has had none: the first-notice terms
    assert "£80 if paid within 21 days" in text


async def _leave(app: App, granted: bool = False, again: bool = False) -> list[int | None]:
    sent = await send_letter(
        app.uow(),
        app.mailroom(),
        "leave_request_response",
        b.UPN_1,
        STAFF,
        date(2025, 3, 10),
        NOW,
        LetterOptions(granted=granted, leave_from=date(2025, 3, 17), leave_to=date(2025, 3, 21)),
        again,
        ("request.txt", b"Please may Sam0 come to Spain with us 17-21 March. Alex\n"),
    )
    return [r.printed_id for r in sent.parents if r.route == "post"]


async def test_the_leave_response_states_the_dates_the_amounts_and_records_the_request(
    school: App,
) -> None:
    printed = await _leave(school)
    text, _ = await _email(school, "leave_request_response")
    on_paper = await _printed(school, printed[0])
    for copy in (text, on_paper):
        for element in (
            "from Monday 17 March 2025 to Friday 21 March 2025: 5 school days (10 sessions)",
            "recorded as unauthorised absence (code G",
            "enough for the school to ask Suffolk to issue a penalty notice to each parent",
            "£80 if paid within 21 days",
            "£160 if paid within 28 days",
            "within 3 years is £160",
            "prosecute in the magistrates' court",
            "section 7 of the Education Act 1996",
        ):
            assert element in copy, element
    async with school.uow() as uow:
        entries = await uow.cases.entries(b.UPN_1)
    requests = [e for e in entries if e.kind == "leave_request"]
    assert len(requests) == 1
    request = requests[0].details
    assert (request["leave_from"], request["leave_to"], request["sessions"]) == (
        "2025-03-17",
        "2025-03-21",
        10,
    )
    assert request["granted"] is False
    kept = school.evidence().get(str(request["request_sha256"]))
    assert kept.startswith(b"Please may Sam0 come to Spain")


async def test_a_granted_leave_request_says_so_and_when_to_come_back(school: App) -> None:
    await _leave(school, granted=True)
    text, _ = await _email(school, "leave_request_response")
    assert "The headteacher has agreed to this leave" in text
    assert "back in school on Monday 24 March 2025" in text
    assert "penalty" not in text.lower() and "£" not in text


async def test_the_same_letter_twice_in_a_day_needs_again(school: App) -> None:
    await _leave(school)
    with pytest.raises(Refused, match=r"already sent to parent P1, P2 on 2025-03-10.*--again"):
        await _leave(school)
    await _leave(school, again=True)
    # A different answer to the request is a different letter.
    await _leave(school, granted=True)
    async with school.uow() as uow:
        entries = await uow.cases.entries(b.UPN_1)
    sent = [e for e in entries if e.kind == "letter_sent"]
    assert [e.details.get("again", False) for e in sent] == [False, False, True, True, False, False]
    # The request is in the case once per answer, not once per copy.
    assert len([e for e in entries if e.kind == "leave_request"]) == 2


async def test_the_notes_of_a_meeting_go_to_the_parents(school: App) -> None:
    meeting = await _log(
        school,
        "meeting",
        date(2025, 3, 10),
        "Talked about mornings; agreed Sam0 will try breakfast club from Monday",
        ways_offered=("in_person",),
        engaged=True,
    )
    note = await _log(school, "note", date(2025, 3, 10), "Internal note")
    options = LetterOptions(entry=meeting, notes="1. Mornings are hard.\n2. Breakfast club.")
    sent = await send_letter(
        school.uow(),
        school.mailroom(),
        "meeting_notes",
        b.UPN_1,
        STAFF,
        date(2025, 3, 10),
        NOW,
        options,
    )
    text, attached = await _email(school, "meeting_notes")
    assert attached == ""  # not a formal notice: no PDF copy
    on_paper = await _printed(school, sent.parents[1].printed_id)
    for copy in (text, on_paper):
        assert "Thank you for meeting with us on Monday 10 March 2025" in copy
        assert "1. Mornings are hard. 2. Breakfast club." in copy
    with pytest.raises(Refused, match=f"entry {note} is a note, not a discussion"):
        await send_letter(
            school.uow(),
            school.mailroom(),
            "meeting_notes",
            b.UPN_1,
            STAFF,
            date(2025, 3, 10),
            NOW,
            LetterOptions(entry=note),
        )
    with pytest.raises(Refused, match="--entry ID"):
        await send_letter(
            school.uow(), school.mailroom(), "meeting_notes", b.UPN_1, STAFF, date(2025, 3, 11), NOW
        )
    # The entry's own summary stands in for the notes when no notes file is given.
    await send_letter(
        school.uow(),
        school.mailroom(),
        "meeting_notes",
        b.UPN_1,
        STAFF,
        date(2025, 3, 11),
        NOW,
        LetterOptions(entry=meeting),
    )
    text, _ = await _email(school, "meeting_notes")
    assert "agreed Sam0 will try breakfast club from Monday" in text
