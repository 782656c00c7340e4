"""Parents' postal addresses (issue 12 point 1), on SQLite and PostgreSQL: the versions kept
across imports, the address block of a printed letter where a window envelope shows it, the
slip's address, a printed letter refused for a parent with no address, and address checks."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from casework.addresses import record_address_check
from casework.errors import ImportRejected, NotFound, Refused
from casework.imports import import_csv
from casework.pack import build_pack
from casework.schools import set_school
from casework.sending import send_letter
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import enrol, school_contacts
from tests.conftest import dump

NOW = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)
LATER = datetime(2025, 5, 2, 9, 0, tzinfo=UTC)
ON_14 = date(2025, 3, 14)
STAFF = "PRIYA"  # the attendance officer each letter names for parents to contact
MOVED = "7 New Street,,Braintree,CM7 9ZZ,"
MM = 72 / 25.4  # PDF points per millimetre


async def load(app: App, kind: str, data: bytes, now: datetime = NOW, name: str = "") -> int:
    summary = await import_csv(app.uow(), kind, name or f"{kind}.csv", data, "officer", now)
    return summary.changed


@pytest.fixture
async def school(app: App) -> App:
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils(b.UPN_1)),
        ("calendar", b.calendar()),
        ("parents", b.parents()),
    ):
        await load(app, kind, data)
    await enrol(
        app.uow, STAFF, "Ms Priya Patel", phone="01234 567890", email="attendance@school.example"
    )
    await school_contacts(app.uow)
    return app


def _moved_parents() -> bytes:
    return b.csv_bytes(
        b.PARENTS_HEADER,
        [
            f"P1,{b.UPN_1},Alex Taylor,alex@example.org,mother,{b.ADDRESS_1}",
            f"P2,{b.UPN_1},Jo Taylor,,father,{MOVED}",
        ],
    )


async def test_an_address_change_keeps_the_old_address_with_the_day_each_was_first_seen(
    school: App,
) -> None:
    assert await load(school, "parents", b.parents()) == 0  # the same file again: no change
    assert await load(school, "parents", _moved_parents(), LATER, "parents-may.csv") == 1
    async with school.uow() as uow:
        history = await uow.registry.addresses("P2")
        parent = await uow.registry.parent("P2")
        audit = await uow.audit.all()
    assert [(v.address.one_line(), v.first_seen_on, v.source) for v in history] == [
        ("Flat 3, 40 Station Road, Chelmsford, CM1 2AB", date(2025, 3, 14), "parents.csv"),
        ("7 New Street, Braintree, CM7 9ZZ", date(2025, 5, 2), "parents-may.csv"),
    ]
    assert parent is not None and parent.address == history[-1].address
    corrected = [a for a in audit if a.action == "parents.corrected"]
    assert [a.subject for a in corrected] == ["parent:P2:address"]
    assert "Station Road" in corrected[0].details and "New Street" in corrected[0].details
    # A parents file without the address columns leaves the addresses on file as they are.
    assert (
        await load(
            school,
            "parents",
            b.csv_bytes(
                b.PARENTS_HEADER.split(",address")[0],
                [
                    f"P2,{b.UPN_1},Jo Taylor,,father",
                ],
            ),
        )
        == 0
    )
    async with school.uow() as uow:
        assert len(await uow.registry.addresses("P2")) == 2


async def test_a_phone_is_kept_and_a_file_without_phones_leaves_it(school: App) -> None:
    async with school.uow() as uow:
        assert (await uow.registry.parent("P1")).phone == "01206 555123"  # type: ignore[union-attr]
    await load(
        school,
        "parents",
        b.csv_bytes(
            b.PARENTS_HEADER.split(",address")[0],
            [
                f"P1,{b.UPN_1},Alex Taylor,alex@example.org,mother",
            ],
        ),
    )
    async with school.uow() as uow:
        assert (await uow.registry.parent("P1")).phone == "01206 555123"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            "12 Mill Lane,,Colchester,CO1 1A,",
            "parents.csv:2: postcode: 'CO1 1A' is not a UK postcode (e.g. SW1A 1AA)",
        ),
        (
            "12 Mill Lane,,,CO1 1AA,",
            "parents.csv:2: town: is empty: an address needs address_line_1, town and postcode",
        ),
        (
            "12 Mill Lane,,Colchester,CO1 1AA,12345",
            "parents.csv:2: phone: '12345' is not a phone number (10 or 11 digits, "
            "e.g. 01234 567890)",
        ),
    ],
)
async def test_a_bad_address_rejects_the_file_naming_line_and_field(
    school: App, row: str, problem: str
) -> None:
    before = await dump(school)
    bad = b.csv_bytes(b.PARENTS_HEADER, [f"P1,{b.UPN_1},Alex Taylor,alex@example.org,mother,{row}"])
    with pytest.raises(ImportRejected) as e:
        await load(school, "parents", bad)
    assert e.value.problems == [problem]
    assert await dump(school) == before


def _lines_at(pdf: bytes) -> dict[str, tuple[float, float]]:
    """Each line of text on the first page → (mm from the left edge, mm from the top edge)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    height = float(page.mediabox.height)
    found: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            found.setdefault(text.strip(), (x / MM, (height - y) / MM))

    page.extract_text(visitor_text=visit)
    return found


async def test_a_printed_letter_carries_the_address_where_the_envelope_window_shows_it(
    school: App,
) -> None:
    sent = await send_letter(
        school.uow(), school.mailroom(), "initial_concern", b.UPN_1, STAFF, date(2025, 3, 14), NOW
    )
    assert [r.route for r in sent.parents] == ["post", "post"]
    async with school.uow() as uow:
        copy = await uow.mail.printed(sent.parents[1].printed_id or 0)
        entries = await uow.cases.entries(b.UPN_1)
    assert copy is not None and copy.parent_id == "P2"
    letter = _lines_at(school.evidence().get(copy.letter_sha256))
    block = ["Jo Taylor", "Flat 3", "40 Station Road", "Chelmsford", "CM1 2AB"]
    for line in block:
        left, top = letter[line]
        # A C5/DL window: 20 mm from the left edge, from about 45 mm down, 35 mm tall.
        assert 19 <= left <= 22, (line, left)
        assert 45 <= top <= 80, (line, top)
    assert letter["Jo Taylor"][1] < 52  # the first line at the top of the window
    assert letter["Dear Jo Taylor,"][1] > 80  # the letter starts below the window
    slip_text = PdfReader(io.BytesIO(school.evidence().get(copy.slip_sha256))).pages[0]
    text = " ".join(slip_text.extract_text().split())
    assert "Address delivered to Flat 3, 40 Station Road, Chelmsford, CM1 2AB" in text
    # Either way of serving it, with boxes to write in: posted first class, or by hand.
    for box in ("Posted first class on (date)", "Posted by (name)", "Delivered by hand", "Time"):
        assert box in text, box
    assert "Address on the envelope Flat 3, 40 Station Road, Chelmsford, CM1 2AB" in text
    assert len(PdfReader(io.BytesIO(school.evidence().get(copy.slip_sha256))).pages) == 1
    logged = [e for e in entries if e.kind == "letter_sent" and e.details["parent_id"] == "P2"]
    assert logged[0].details["address"] == "Flat 3, 40 Station Road, Chelmsford, CM1 2AB"


async def test_every_printed_letter_names_the_person_to_contact_with_phone_and_email(
    school: App,
) -> None:
    for template in ("initial_concern", "meeting_invite"):
        sent = await send_letter(
            school.uow(), school.mailroom(), template, b.UPN_1, STAFF, date(2025, 3, 14), NOW
        )
        async with school.uow() as uow:
            copy = await uow.mail.printed(sent.parents[0].printed_id or 0)
        assert copy is not None
        page = PdfReader(io.BytesIO(school.evidence().get(copy.letter_sha256))).pages[0]
        text = " ".join(page.extract_text().split())
        contact = text.split("Who to contact", 1)[1]
        assert "Ms Priya Patel, Attendance Officer, Riverside Primary" in contact
        assert (
            "Telephone: 01234 567890" in contact and "Email: attendance@school.example" in contact
        )
        assert "Our Senior Attendance Champion is Mr Okafor." in contact
        assert "1 River Road, Colchester CO1 2AA" in text.split("Dear", 1)[0]  # the letterhead


async def test_a_letter_from_staff_with_no_phone_anywhere_is_refused_saying_how_to_add_one(
    school: App,
) -> None:
    await enrol(school.uow, "NEWBIE", "Mr New", email="new@school.example")
    await set_school(school.uow(), b.SCHOOL_A, {"phone": ""}, STAFF, NOW)
    before = await dump(school)
    with pytest.raises(Refused) as e:
        await send_letter(
            school.uow(),
            school.mailroom(),
            "initial_concern",
            b.UPN_1,
            "NEWBIE",
            date(2025, 3, 14),
            NOW,
        )
    assert "no phone number on file for Mr New or school 100001" in str(e.value)
    assert "supportfirst staff add NEWBIE --phone P" in str(e.value)
    assert await dump(school) == before


async def test_a_printed_letter_for_a_parent_with_no_address_is_refused_with_the_reason(
    school: App,
) -> None:
    await load(
        school,
        "parents",
        b.csv_bytes(b.PARENTS_HEADER, [f"P9,{b.UPN_1},Sam Moss,,carer,,,,,"]),
        name="carer.csv",
    )
    before = await dump(school)
    with pytest.raises(Refused) as e:
        await send_letter(
            school.uow(),
            school.mailroom(),
            "initial_concern",
            b.UPN_1,
            STAFF,
            date(2025, 3, 14),
            NOW,
        )
    assert str(e.value).startswith(
        "parent P9 (Sam Moss) has no postal address on file and cannot be emailed (no consent "
        "to email on file): a printed Letter of initial concern could not be posted or delivered"
    )
    assert await dump(school) == before  # nothing printed or logged for the other parents


async def test_an_address_check_is_logged_for_each_child_and_audited(school: App) -> None:
    check = await record_address_check(school.uow(), "P2", date(2025, 3, 12), "Ms Patel", NOW)
    assert check.address.postcode == "CM1 2AB"
    async with school.uow() as uow:
        entries = [e for e in await uow.cases.entries(b.UPN_1) if e.kind == "address_checked"]
        audit = await uow.audit.all()
    assert len(entries) == 1 and entries[0].on == date(2025, 3, 12) and entries[0].by == "Ms Patel"
    assert entries[0].details["parent_id"] == "P2" and entries[0].details["on"] == "2025-03-12"
    assert audit[-1].action == "parent.address_checked" and audit[-1].subject == "parent:P2"
    with pytest.raises(Refused, match="in the future"):
        await record_address_check(school.uow(), "P2", date(2025, 3, 15), "Ms Patel", NOW)
    with pytest.raises(NotFound):
        await record_address_check(school.uow(), "P404", date(2025, 3, 12), "Ms Patel", NOW)


async def test_the_pack_lists_every_address_with_the_day_first_seen_and_the_last_check(
    school: App,
) -> None:
    from documents.chronology import chronology_pdf

    await load(school, "parents", _moved_parents(), LATER, "parents-may.csv")
    await record_address_check(school.uow(), "P2", date(2025, 5, 2), "Ms Patel", LATER)
    pack = await build_pack(
        school.uow(), school.evidence(), chronology_pdf, b.UPN_1, LATER, "Ms Patel"
    )
    pdf = next(f.content for f in pack.files if f.path == "chronology.pdf")
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    assert "Addresses on file" in text
    assert "Flat 3, 40 Station Road, Chelmsford, CM1 2AB 14 Mar 2025 parents.csv" in text
    assert "7 New Street, Braintree, CM7 9ZZ (current) 2 May 2025 parents-may.csv" in text
    assert "last checked 2 May 2025" in text and "phone 01206 555123" in text
