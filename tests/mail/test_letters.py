"""Letters from the templates: warm early letters, a complete NTI, nothing injected."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.caselog import LogRequest, log_entry
from casework.errors import NotFound, Refused
from casework.imports import import_csv
from casework.letters import LetterOptions, letter_for
from casework.notices import issue_nti
from casework.records import StaffRecord
from mail.letters import LetterRenderer, UnknownLetter
from tests import builders as b
from tests.fakes import FakeUnitOfWork
from tests.fakes_mail import fake_mailroom

NOW = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
STAFF = "PRIYA"  # the member of staff each letter names for parents to contact
PRIYA = StaffRecord(
    STAFF,
    "Ms Priya Patel",
    "attendance_officer",
    email="attendance@school.example",
    phone="01234 567890",
    all_schools=True,
)
RENDERER = LetterRenderer()


async def school(la: str = "Essex", parent_name: str = "Alex Taylor") -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    parents = b.csv_bytes(b.PARENTS_HEADER, [f'P1,{b.UPN_1},"{parent_name}",,mother,{b.ADDRESS_1}'])
    gone = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]
    marks = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 7), absent=gone, code="O")
    for kind, data in (
        ("schools", b.schools(la_a=la)),
        ("pupils", b.pupils(b.UPN_1)),
        ("calendar", b.calendar()),
        ("parents", parents),
        ("marks", b.csv_bytes(b.MARKS_HEADER, marks)),
    ):
        await import_csv(uow, kind, f"{kind}.csv", data, "officer", NOW)
    async with uow:
        await uow.chat.save_staff(PRIYA, NOW)
        await uow.commit()
    return uow


async def letter(uow: FakeUnitOfWork, template: str) -> object:
    return await letter_for(uow, RENDERER, template, b.UPN_1, "P1", STAFF, date(2025, 3, 10))


async def test_the_initial_concern_letter_is_warm_and_offers_ways_to_talk() -> None:
    result = await letter(await school(), "initial_concern")
    assert result.subject == "We would like to talk about Sam0's attendance"
    assert "Dear Alex Taylor," in result.text and "visit you at home" in result.text
    assert "penalty" not in result.text.lower() and "prosecut" not in result.text.lower()
    assert "Telephone: 01234 567890" in result.text and "Ms Priya Patel" in result.html


async def test_the_nti_states_every_element_the_law_asks_for() -> None:
    uow = await school(la="Suffolk")
    await log_entry(
        uow,
        LogRequest(
            b.UPN_1,
            "support_offered",
            "Ms Patel",
            date(2025, 3, 4),
            "Offered a place at breakfast club",
        ),
        NOW,
    )
    await issue_nti(
        uow,
        fake_mailroom(),
        b.UPN_1,
        "Ms Patel",
        "Sam0 attends every day",
        date(2025, 3, 7),
        0,
        NOW,
        ["A referral to Early Help services for your family"],
    )
    text = " ".join((await letter(uow, "nti")).text.split())
    for element in (
        "10 sessions of unauthorised absence in the 2 school weeks from 24 February 2025",
        "On 7 March 2025 this met the national threshold",  # the trigger
        "Monday 3 March 2025, morning and afternoon: O",  # the sessions counted
        "section 7 of the Education Act 1996",
        "Sam0 attends every day",  # improvement, once
        "If any further unauthorised absence is recorded",
        "4 March 2025: Offered a place at breakfast club",  # support offered
        "A referral to Early Help services for your family",  # as the officer chose it
        "Ms Priya Patel",
        "£80 if paid within 21 days",
        "From 10 March 2025 to 2 May 2025",
        "Local authority: Suffolk",
    ):
        assert element in text, element
    assert text.count("Sam0 attends every day") == 1


async def test_an_essex_school_gets_the_essex_notice() -> None:
    uow = await school(la="Essex")
    await issue_nti(
        uow, fake_mailroom(), b.UPN_1, "Ms Patel", "No further absence", date(2025, 3, 7), 0, NOW
    )
    assert "Essex Notice to Improve, 6 school weeks" in (await letter(uow, "nti")).text


async def test_names_from_the_mis_cannot_become_markup_or_headers() -> None:
    uow = await school(parent_name="<script>alert(1)</script> Taylor")
    result = await letter(uow, "initial_concern")
    assert "<script>" not in result.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in result.html
    assert "Dear <script>alert(1)</script> Taylor," in result.text  # plain text stays as given
    assert "\n" not in result.subject and "\r" not in result.subject


async def test_an_nti_letter_without_a_notice_and_unknown_names_are_refused() -> None:
    uow = await school()
    with pytest.raises(Refused, match="no Notice to Improve"):
        await letter(uow, "nti")
    with pytest.raises(UnknownLetter, match="use one of contract_failed, contract_invite, "):
        await letter(uow, "final_warning")
    with pytest.raises(NotFound, match="parent P9"):
        await letter_for(uow, RENDERER, "initial_concern", b.UPN_1, "P9", STAFF, date.today())


@pytest.mark.parametrize("template", RENDERER.available())
async def test_every_letter_renders_for_a_case_with_a_notice(template: str) -> None:
    uow = await school()
    await issue_nti(
        uow, fake_mailroom(), b.UPN_1, "Ms Patel", "No further absence", date(2025, 3, 7), 0, NOW
    )
    # The intend letter needs grounds: further absence, or non-engagement since the notice.
    missed = LogRequest(
        b.UPN_1, "engagement", "Ms Patel", date(2025, 3, 10), "Missed the review", engaged=False
    )
    await log_entry(uow, missed, NOW)
    meeting = await log_entry(
        uow,
        LogRequest(
            b.UPN_1, "meeting", "Ms Patel", date(2025, 3, 10), "Met", ways_offered=("phone",)
        ),
        NOW,
    )
    result = await letter_for(
        uow,
        RENDERER,
        template,
        b.UPN_1,
        "P1",
        STAFF,
        date(2025, 3, 10),
        LetterOptions(
            meeting="Tuesday 18 March at 9am",
            leave_from=date(2025, 3, 17),
            leave_to=date(2025, 3, 18),
            entry=meeting,
        ),
    )
    assert result.subject and "Alex Taylor" in result.text and "Alex Taylor" in result.html
    assert "{{" not in result.text and "{%" not in result.html


async def test_a_refused_leave_request_explains_the_consequence_gently() -> None:
    uow = await school()
    two_days = LetterOptions(leave_from=date(2025, 3, 17), leave_to=date(2025, 3, 18))
    refused = await letter_for(
        uow, RENDERER, "leave_request_response", b.UPN_1, "P1", STAFF, date(2025, 3, 10), two_days
    )
    granted = await letter_for(
        uow,
        RENDERER,
        "leave_request_response",
        b.UPN_1,
        "P1",
        STAFF,
        date(2025, 3, 10),
        LetterOptions(granted=True, leave_from=date(2025, 3, 17), leave_to=date(2025, 3, 18)),
    )
    text = " ".join(refused.text.split())
    assert "2 school days (4 sessions)" in text and "unauthorised" in text
    # Four sessions are not a holiday penalty on their own: they count towards the threshold.
    assert "would count towards the national threshold" in text and "£80" in text
    assert "agreed to this leave" in granted.text and "penalty" not in granted.text


@pytest.mark.parametrize(
    ("start", "end", "refusal"),
    [
        (None, date(2025, 3, 18), "needs the leave dates: --from DATE --to DATE"),
        (date(2025, 3, 18), date(2025, 3, 17), "--to 2025-03-17 is before --from 2025-03-18"),
        (date(2025, 4, 7), date(2025, 4, 11), "has no school days at this school"),
    ],
)
async def test_a_leave_response_needs_real_leave_dates(
    start: date | None, end: date, refusal: str
) -> None:
    uow = await school()
    with pytest.raises(Refused, match=refusal):
        await letter_for(
            uow,
            RENDERER,
            "leave_request_response",
            b.UPN_1,
            "P1",
            STAFF,
            date(2025, 3, 10),
            LetterOptions(leave_from=start, leave_to=end),
        )
