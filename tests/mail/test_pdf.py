"""The printed copy of a letter: says what the email says, the same bytes each time, no fetches."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pypdf import PdfReader

import documents.pdf
from casework.letter_facts import CountedSession, NoticeGrounds, PenaltyTerms, SupportLine
from documents.pdf import letter_pdf
from mail.letters import Letter, LetterRenderer

CREATED = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


def nti_letter() -> Letter:
    notice = SimpleNamespace(
        trigger_sessions=10,
        window_start=date(2024, 12, 16),
        issued_on=date(2025, 3, 7),
        period_start=date(2025, 3, 10),
        period_end=date(2025, 5, 2),
        improvement="Sam attends every day",
        max_further_sessions=0,
    )
    context = {
        "school": SimpleNamespace(name="Oakfield Primary School"),
        "pupil": SimpleNamespace(first_name="Sam", last_name="Okafor-Smith", year_group=5),
        "parent": SimpleNamespace(name="Alex Taylor"),
        "staff": SimpleNamespace(
            name="Ms Priya Patel",
            role="Attendance Officer",
            phone="01234 567890",
            email="attendance@school.example",
        ),
        "today": date(2025, 3, 10),
        "authority": "Suffolk",
        "weeks": 10,
        "notice": notice,
        "notice_grounds": NoticeGrounds(
            date(2025, 3, 7),
            date(2024, 12, 16),
            10,
            tuple(
                CountedSession(date(2025, 3, d), s, "O") for d in range(3, 8) for s in ("AM", "PM")
            ),
        ),
        "support": [SupportLine(date(2025, 3, 4), "Offered breakfast club")],
        "support_available": ["A referral to Early Help services for your family"],
        "penalty": PenaltyTerms(80, 160, 160, 21, 28, 1, ()),
    }
    return LetterRenderer().render("nti", "Suffolk", context)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_same_letter_prints_to_the_same_bytes_and_only_the_dates_follow_created(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    letter = nti_letter()
    first = letter_pdf(letter.html, letter.subject, CREATED)
    clock = time.time
    monkeypatch.setattr(time, "time", lambda: clock() + 86_400)  # font subsetting reads the clock
    assert first.startswith(b"%PDF-") and first == letter_pdf(letter.html, letter.subject, CREATED)

    later = letter_pdf(letter.html, letter.subject, datetime(2025, 3, 11, 8, 0, tzinfo=UTC))
    assert later != first and pdf_text(later) == pdf_text(first)
    info = PdfReader(io.BytesIO(first)).metadata
    assert info is not None and info.title == "Notice to Improve: Sam Okafor-Smith's attendance"
    assert info["/CreationDate"] == info["/ModDate"] == "D:20250310093000+00'00"


def test_another_process_prints_the_same_bytes() -> None:
    """Nothing in the PDF depends on Python's per-process hash seed (set iteration order)."""
    letter = nti_letter()
    script = (
        "import sys; from datetime import datetime; from documents.pdf import letter_pdf; "
        "sys.stdout.buffer.write(letter_pdf(sys.stdin.read(), 'NTI', datetime.fromisoformat("
        f"{CREATED.isoformat()!r})))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env.pop("SOURCE_DATE_EPOCH", None)
    out = subprocess.run(
        [sys.executable, "-c", script],
        input=letter.html.encode(),
        capture_output=True,
        check=True,
        env=env,
        cwd=Path(documents.pdf.__file__).parents[1],
    )
    assert out.stdout == letter_pdf(letter.html, "NTI", CREATED)


def test_the_printed_copy_says_what_the_email_says() -> None:
    text = pdf_text(letter_pdf(nti_letter().html, "Notice to Improve", CREATED))
    for element in (
        "Dear Alex Taylor,",
        "Pupil: Sam Okafor-Smith, year 5",
        "From 10 March 2025 to 2 May 2025",
        "Sam attends every day",
        "If any further unauthorised absence is recorded",
        "4 March 2025: Offered breakfast club",
        "Wednesday 5 March 2025, morning and afternoon: O (other unauthorised absence)",
        "£80 if paid within 21 days",
        "Ms Priya Patel",
        "Local authority: Suffolk",
    ):
        assert element in text, element


def test_an_image_from_the_web_is_refused_without_touching_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused: list[str] = []
    connections: list[Any] = []
    fetch = documents.pdf.OnlyDataURLs.fetch

    def counting_fetch(self: documents.pdf.OnlyDataURLs, url: str, headers: Any = None) -> Any:
        if not url.startswith("data:"):
            refused.append(url)
        return fetch(self, url, headers)

    def no_network(*args: Any, **kwargs: Any) -> Any:
        connections.append(args)
        raise OSError("the test forbids network access")

    monkeypatch.setattr(documents.pdf.OnlyDataURLs, "fetch", counting_fetch)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    pixel = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    html = nti_letter().html.replace(
        "<h2>",
        f'<img src="http://example.invalid/x.png"><img src="{pixel}">'
        '<link rel="stylesheet" href="https://example.invalid/s.css"><h2>',
    )

    pdf = letter_pdf(html, "Notice to Improve", CREATED)

    assert sorted(refused) == ["http://example.invalid/x.png", "https://example.invalid/s.css"]
    assert connections == []
    assert "Dear Alex Taylor," in pdf_text(pdf)


def test_a_naive_created_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        letter_pdf("<p>x</p>", "x", datetime(2025, 3, 10, 9, 30))
