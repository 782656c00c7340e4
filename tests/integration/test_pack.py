"""The referral pack: every email byte for byte, consent, slips, a manifest; `verify` names
each changed, missing or extra file."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime
from email import message_from_bytes
from typing import Any

import pytest

from casework.caselog import LogRequest, log_entry
from casework.consent import record_consent
from casework.inbound import Arrived, ReadHere, file_messages
from casework.letters import LetterOptions
from casework.pack import Pack, build_pack
from casework.packview import PackView
from casework.packzip import export_pack, pack_zip, read_zip, verify_files
from casework.sending import send_letter
from mail.reading import read_message
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import HEAD, one_family

FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")

NOW = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)
SEEN: list[PackView] = []


def fake_pdf(view: PackView) -> bytes:
    SEEN.append(view)
    return b"%PDF-1.7 chronology of " + view.upn.encode()


@pytest.fixture
async def case(app: App) -> App:
    await one_family(app, NOW, marks_from=date(2025, 1, 6))
    await record_consent(
        app.uow(),
        app.evidence(),
        "P1",
        "alex@example.org",
        "form",
        date(2025, 3, 1),
        "o",
        NOW,
        ("form.pdf", b"%PDF-1.4 the signed consent form"),
    )
    await log_entry(
        app.uow(),
        LogRequest(b.UPN_1, "support_offered", "Ms Patel", date(2025, 3, 10), "Breakfast club"),
        NOW,
    )
    sent = await send_letter(
        app.uow(),
        app.mailroom(),
        "initial_concern",
        b.UPN_1,
        HEAD,
        date(2025, 3, 10),
        NOW,
    )
    original = app.evidence().get((await _email(app, str(sent.parents[0].message_id))).sha256)
    reply = (
        b"From: Alex Taylor <alex@example.org>\r\nTo: attendance@localhost\r\nSubject: Re: hi\r\n"
        b"In-Reply-To: " + _header(original, b"Message-ID") + b"\r\nMessage-ID: <r1@example.org>"
        b"\r\n\r\nThank you, we can meet.\r\n"
    )
    await file_messages(
        app.uow(), app.evidence(), ReadHere(read_message), [Arrived(reply, "test")], NOW
    )
    return app


async def _email(app: App, message_id: str):  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        return await uow.mail.email(message_id)


def _header(raw: bytes, name: bytes) -> bytes:
    return str(message_from_bytes(raw)[name.decode()]).strip().encode()


async def pack_of(app: App) -> Pack:
    return await build_pack(app.uow(), app.evidence(), fake_pdf, b.UPN_1, NOW, "Ms Patel")


async def test_the_pack_holds_every_email_as_stored_and_a_manifest_of_them(case: App) -> None:
    pack = await pack_of(case)
    paths = [f.path for f in pack.files]
    assert paths[0] == "chronology.pdf"
    sent = [f for f in pack.files if f.path.startswith("emails/sent/")]
    received = [f for f in pack.files if f.path.startswith("emails/received/")]
    assert len(sent) == 1 and len(received) == 1
    async with case.uow() as uow:
        [email] = await uow.mail.emails_for(b.UPN_1)
        [inbound] = await uow.mail.inbound(b.UPN_1)
    assert sent[0].content == case.evidence().get(email.sha256)
    assert received[0].content == case.evidence().get(inbound.sha256)
    assert any(p.startswith("consent/consent-1-P1") and p.endswith(".pdf") for p in paths)
    assert sum(p.startswith("slips/") for p in paths) == 2  # P2: the letter and its slip
    manifest = json.loads(pack.manifest())
    assert [f["path"] for f in manifest["files"]] == paths
    assert manifest["audit_head"] == pack.audit_head and len(pack.audit_head) == 64


async def test_the_chronology_view_has_the_timeline_checklist_and_weeks(case: App) -> None:
    await pack_of(case)
    view = SEEN[-1]
    whats = [r.what for r in view.timeline]
    assert "Support offered" in whats and "Letter sent" in whats and "Parent replied" in whats
    [emailed] = [r for r in view.timeline if r.what == "Letter sent" and "email" in r.how]
    assert "alex@example.org" in emailed.how
    assert any(line.state == "missing" for line in view.checklist)
    assert max(w.window_total for w in view.weeks) == 10 and view.threshold == 10


REQUEST = ("request.pdf", b"%PDF-1.4 May Sam miss 17 to 21 March? Alex Taylor\r\n\x00\xff")


async def test_the_leave_request_goes_in_the_pack_byte_for_byte_and_the_chronology_names_it(
    case: App,
) -> None:
    leave = LetterOptions(leave_from=date(2025, 3, 17), leave_to=date(2025, 3, 21))
    await send_letter(
        case.uow(),
        case.mailroom(),
        "leave_request_response",
        b.UPN_1,
        HEAD,
        date(2025, 3, 11),
        NOW,
        leave,
        request=REQUEST,
    )
    pack = await pack_of(case)
    [filed] = [f for f in pack.files if f.path.startswith("requests/")]
    assert filed.path.endswith("-leave-request-request.pdf") and filed.content == REQUEST[1]
    [row] = [r for r in json.loads(pack.manifest())["files"] if r["path"] == filed.path]
    assert row["sha256"] == hashlib.sha256(REQUEST[1]).hexdigest()
    assert "term-time leave from 2025-03-17 to 2025-03-21" in row["what"]
    [asked] = [r for r in SEEN[-1].timeline if r.what == "Request for term-time leave"]
    assert filed.path in asked.how and "request.pdf" in asked.how
    files = read_zip(pack_zip(pack))
    assert files[filed.path] == REQUEST[1] and verify_files(files) == []


class CountingTransactions:
    """The app's unit of work, counting the transactions a use case opens on it."""

    def __init__(self, uow: Any) -> None:
        self.uow = uow
        self.opened = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.uow, name)

    async def __aenter__(self) -> CountingTransactions:
        self.opened += 1
        await self.uow.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.uow.__aexit__(*exc)


async def test_the_pack_reads_the_case_as_one_snapshot(case: App) -> None:
    uow = CountingTransactions(case.uow())
    pack = await build_pack(uow, case.evidence(), fake_pdf, b.UPN_1, NOW, "Ms Patel")
    assert uow.opened == 1  # the chronology, checklist and emails all come from one transaction
    assert SEEN[-1].timeline and SEEN[-1].checklist and len(pack.files) > 1


async def test_verify_passes_an_untouched_pack(case: App) -> None:
    data = pack_zip(await pack_of(case))
    assert verify_files(read_zip(data)) == []
    assert pack_zip(await pack_of(case)) == data  # the same pack, the same bytes


def _rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("change", ["byte", "added", "removed"])
async def test_verify_names_a_changed_added_or_removed_file(case: App, change: str) -> None:
    files = read_zip(pack_zip(await pack_of(case)))
    target = next(p for p in files if p.startswith("emails/sent/"))
    if change == "byte":
        files[target] = files[target][:100] + bytes([files[target][100] ^ 1]) + files[target][101:]
        expected = f"{target}: changed"
    elif change == "added":
        files["emails/sent/999-forged.eml"] = b"From: x\r\n\r\nforged\r\n"
        expected = "emails/sent/999-forged.eml: extra"
    else:
        del files[target]
        expected = f"{target}: missing"
    [problem] = verify_files(read_zip(_rezip(files)))
    assert problem.startswith(expected)


async def test_a_pack_of_200_entries_and_50_emails_reads_back_from_its_pdf(case: App) -> None:
    from pypdf import PdfReader

    from documents.chronology import chronology_pdf

    await record_consent(
        case.uow(),
        case.evidence(),
        "P2",
        "jo@example.org",
        "email",
        date(2025, 3, 1),
        "o",
        NOW,
        FORM,
    )
    for _ in range(24):  # 2 emails each: 48, and the fixture's letter and reply
        await send_letter(
            case.uow(),
            case.mailroom(),
            "meeting_invite",
            b.UPN_1,
            HEAD,
            date(2025, 3, 10),
            NOW,
            again=True,  # the same letter again that day: asked for, not a double click
        )
    for n in range(150):
        request = LogRequest(b.UPN_1, "contact", "Mr Jones", date(2025, 3, 11), f"Call number {n}")
        await log_entry(case.uow(), request, NOW)
    pack = await build_pack(case.uow(), case.evidence(), chronology_pdf, b.UPN_1, NOW, "Ms Patel")
    emails = [f for f in pack.files if f.path.startswith("emails/")]
    async with case.uow() as uow:
        stored = {e.sha256 for e in await uow.mail.emails_for(b.UPN_1)}
        stored |= {m.sha256 for m in await uow.mail.inbound(b.UPN_1)}
    assert len(emails) >= 50 and all(f.sha256 in stored for f in emails)
    pdf = next(f for f in pack.files if f.path == "chronology.pdf").content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Call number 0" in text and "Call number 149" in text
    assert "Team Around the Family" in text and "MISSING" in text  # the checklist


async def test_an_export_whose_write_fails_is_not_audited(case: App) -> None:
    async def full_disk(data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    async with case.uow() as uow:
        before = len(await uow.audit.all())
    with pytest.raises(OSError, match="No space"):
        await export_pack(
            case.uow(), case.evidence(), fake_pdf, b.UPN_1, "Ms Patel", "file:x.zip", NOW, full_disk
        )
    async with case.uow() as uow:
        assert len(await uow.audit.all()) == before

    written: list[bytes] = []

    async def keep(data: bytes) -> None:
        written.append(data)

    done = await export_pack(
        case.uow(), case.evidence(), fake_pdf, b.UPN_1, "Ms Patel", "file:x.zip", NOW, keep
    )
    assert written == [done.data]
    async with case.uow() as uow:
        entry = (await uow.audit.all())[-1]
    assert entry.action == "pack.built" and json.loads(entry.details)["to"] == "file:x.zip"
