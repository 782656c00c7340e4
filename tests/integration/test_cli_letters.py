"""Issue 12 point 3 through the command line, on SQLite and PostgreSQL: `nti issue
--available`, the leave response with its dates and the parent's request, meeting notes from a
file, and the same letter twice in a day refused without `--again`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from casework.packzip import read_zip
from tests import builders as b
from tests.integration.test_cli import Cli
from tests.integration.test_cli_notice_service import GONE


@pytest.fixture
def cli(tmp_path: Path, db_url: str) -> Cli:
    run = Cli(tmp_path)
    run.env["SUPPORTFIRST_DATABASE_URL"] = db_url
    run.enrol()
    rows = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 12), absent=GONE)
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils(b.UPN_1)),
        ("parents", b.parents()),
        ("calendar", b.calendar()),
        ("marks", b.csv_bytes(b.MARKS_HEADER, rows)),
    ):
        out = run("import", kind, run.file(f"{kind}.csv", data))
        assert out.returncode == 0, out.stderr
    return run


def ok(cli: Cli, *args: str) -> Any:
    out = cli(*args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if "--json" in args else out


def entries(cli: Cli, kind: str) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = ok(cli, "case", "show", b.UPN_1, "--json")["entries"]
    return [e for e in shown if e["kind"] == kind]


def test_nti_issue_names_the_support_still_available_and_warns_without_support(cli: Cli) -> None:
    out = ok(
        cli,
        "nti", "issue", b.UPN_1, "--by", "Ms Patel", "--improvement", "No further absence",
        "--on", "2025-03-07", "--available", "Breakfast club from 8am",
        "--available", "A weekly check-in with Mrs Green",
    )  # fmt: skip
    assert "warning: no support has been logged for" in out.stderr
    assert "no support was named as still available" not in out.stderr
    letter = ok(cli, "letter", "preview", "nti", b.UPN_1, "--parent", "P2", "--by", "Ms Patel")
    text = " ".join(letter.stdout.split())
    assert "The support that is still available to you - Breakfast club from 8am - A weekly" in text
    assert "(none recorded)" not in text and "£80 if paid within 21 days" in text
    [issued] = entries(cli, "nti_issued")
    assert issued["support_available"] == [
        "Breakfast club from 8am",
        "A weekly check-in with Mrs Green",
    ]
    assert [s["date"] for s in issued["counted_sessions"]][:2] == ["2025-03-03", "2025-03-03"]


def test_the_leave_response_takes_its_dates_and_the_same_letter_twice_needs_again(
    cli: Cli,
) -> None:
    request = cli.file("request.txt", b"May Sam0 miss 17 to 21 March? Alex Taylor\n")
    send = ("letter", "send", "leave_request_response", b.UPN_1, "--by", "Ms Patel")
    dates = ("--from", "2025-03-17", "--to", "2025-03-21", "--on", "2025-03-10")
    missing = cli(*send, "--on", "2025-03-10")
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert "needs the leave dates: --from DATE --to DATE" in missing.stderr
    ok(cli, *send, *dates, "--request", request, "--json")
    again = cli(*send, *dates, "--json")
    assert again.returncode != 0 and len(again.stderr.strip().splitlines()) == 1
    assert "already sent to parent P1, P2 on 2025-03-10" in again.stderr
    assert "--again" in again.stderr
    ok(cli, *send, *dates, "--again", "--json")
    [leave] = entries(cli, "leave_request")
    assert (leave["leave_from"], leave["leave_to"], leave["sessions"]) == (
        "2025-03-17",
        "2025-03-21",
        10,
    )
    assert leave["request_file"] == "request.txt" and leave["granted"] is False
    assert [e.get("again", False) for e in entries(cli, "letter_sent")] == [
        False,
        False,
        True,
        True,
    ]


def test_the_leave_request_is_in_the_pack_as_sent_and_the_pack_verifies(cli: Cli) -> None:
    asked = b"May Sam0 miss 17 to 21 March?\r\nAlex Taylor\r\n"
    request = cli.file("request.txt", asked)
    ok(
        cli,
        "letter", "send", "leave_request_response", b.UPN_1, "--by", "Ms Patel",
        "--from", "2025-03-17", "--to", "2025-03-21", "--on", "2025-03-10", "--request", request,
    )  # fmt: skip
    ok(cli, "pack", b.UPN_1, "--out", "pack.zip", "--by", "Ms Patel")
    verified = ok(cli, "verify", "pack.zip")
    assert "match the manifest" in verified.stdout
    files = read_zip((cli.folder / "pack.zip").read_bytes())
    [path] = [p for p in files if p.startswith("requests/")]
    assert path.endswith("leave-request-request.txt") and files[path] == asked
    listed = {f["path"] for f in json.loads(files["manifest.json"])["files"]}
    assert path in listed


def test_meeting_notes_from_a_file_go_to_each_parent(cli: Cli) -> None:
    logged = ok(
        cli,
        "case", "log", b.UPN_1, "--kind", "meeting", "--by", "Ms Patel", "--on", "2025-03-10",
        "--summary", "Met Alex about mornings", "--way", "in-person", "--engaged",
    )  # fmt: skip
    entry = logged.stdout.split()[2]
    notes = cli.file("notes.txt", b"Agreed: breakfast club from Monday.\nReview on 24 March.\n")
    send = ("letter", "send", "meeting_notes", b.UPN_1, "--by", "Ms Patel", "--on", "2025-03-10")
    sent = ok(cli, *send, "--entry", entry, "--notes", notes, "--json")
    assert [p["route"] for p in sent["parents"]] == ["post", "post"]
    preview = ok(
        cli, "letter", "preview", "meeting_notes", b.UPN_1, "--parent", "P1", "--by", "Ms Patel",
        "--entry", entry, "--notes", notes,
    )  # fmt: skip
    assert "Agreed: breakfast club from Monday.\nReview on 24 March." in preview.stdout
    bad = cli.file("bad.txt", b"\xff\xfe notes")
    out = cli(*send, "--entry", entry, "--notes", bad, "--again")
    assert out.returncode != 0 and "bad.txt: --notes: not UTF-8 text" in out.stderr
    assert "Traceback" not in out.stderr
