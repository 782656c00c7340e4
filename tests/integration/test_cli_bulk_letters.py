"""Issue 16: a whole school's letters at once, `letter send TEMPLATE --all-met`, on SQLite and
PostgreSQL: every pupil meeting the threshold gets the letter (email where consented, print +
slip otherwise), a pupil who cannot be written to is named and nothing of theirs is kept, the
rest are queued; each blob is evidence; a notice's PDFs come from the pool of processes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests import builders as b
from tests.integration.test_cli import Cli
from tests.integration.test_cli_notice_service import GONE

UPN_3 = "C123456789014"  # present every day: does not meet the threshold
BY = ("--by", "Ms Patel")
ON = ("--on", "2025-03-12")


@pytest.fixture
def cli(tmp_path: Path, db_url: str) -> Cli:
    run = Cli(tmp_path)
    run.env["SUPPORTFIRST_DATABASE_URL"] = db_url
    run.enrol()
    rows = [
        *b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 12), absent=GONE),
        *b.marks(b.UPN_2, date(2025, 2, 24), date(2025, 3, 12), absent=GONE),
        *b.marks(UPN_3, date(2025, 2, 24), date(2025, 3, 12)),
    ]
    parents = b.csv_bytes(
        b.PARENTS_HEADER,
        [
            f"P1,{b.UPN_1},Alex Taylor,alex@example.org,mother,{b.ADDRESS_1}",
            f"P2,{b.UPN_1},Jo Taylor,,father,{b.ADDRESS_2}",
            f"P3,{b.UPN_2},Sam Brown,,mother,,,,,",  # no address, no consent: cannot be sent
            f"P4,{UPN_3},Lee Green,lee@example.org,father,{b.ADDRESS_2}",
        ],
    )
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils(b.UPN_1, b.UPN_2, UPN_3)),
        ("parents", parents),
        ("calendar", b.calendar()),
        ("marks", b.csv_bytes(b.MARKS_HEADER, rows)),
    ):
        out = run("import", kind, run.file(f"{kind}.csv", data))
        assert out.returncode == 0, out.stderr
    form = run.file("consent-form.pdf", b"%PDF-1.4 signed consent form")
    consent = ("--email", "alex@example.org", "--method", "form", "--on", "2025-03-01")
    out = run("consent", "record", "P1", *consent, "--evidence", form)
    assert out.returncode == 0, out.stderr
    return run


def shown(cli: Cli, *args: str) -> Any:
    out = cli(*args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def raw_email(cli: Cli, message_id: str) -> bytes:
    command = [sys.executable, "-m", "supportfirst", "evidence", "show", message_id, "--raw"]
    out = subprocess.run(command, env=cli.env, cwd=cli.folder, capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def kinds(cli: Cli, upn: str) -> list[str]:
    return [e["kind"] for e in shown(cli, "case", "show", upn, "--json")["entries"]]


def test_every_pupil_meeting_the_threshold_gets_the_letter_and_the_refused_are_named(
    cli: Cli,
) -> None:
    out = cli("letter", "send", "initial_concern", "--all-met", *ON, *BY, "--json")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    [line] = out.stderr.strip().splitlines()
    assert line.startswith(f"supportfirst: {b.UPN_2}: not sent: parent P3 (Sam Brown)")
    sent = json.loads(out.stdout)
    assert [s["upn"] for s in sent["letters"]] == [b.UPN_1]  # UPN_3 does not meet it
    [letter] = sent["letters"]
    routes = {p["parent_id"]: p for p in letter["parents"]}
    assert routes["P1"]["route"] == "email" and routes["P2"]["route"] == "post"
    [refused] = sent["refused"]
    assert refused["upn"] == b.UPN_2 and "no postal address on file" in refused["reason"]
    assert "letter_sent" not in kinds(cli, b.UPN_2)
    assert kinds(cli, b.UPN_1).count("letter_sent") == 2
    raw = raw_email(cli, routes["P1"]["message_id"])
    assert b"To: Alex Taylor <alex@example.org>" in raw
    assert shown(cli, "outbox", "status", "--json")["queued"] == 1
    # The same letter again today: refused for each pupil, and nothing more queued.
    again = cli("letter", "send", "initial_concern", "--all-met", *ON, *BY, "--json")
    assert again.returncode == 1
    assert {r["upn"] for r in json.loads(again.stdout)["refused"]} == {b.UPN_1, b.UPN_2}
    assert shown(cli, "outbox", "status", "--json")["queued"] == 1
    assert kinds(cli, b.UPN_1).count("letter_sent") == 2


def test_a_notice_sent_to_all_carries_the_pool_made_pdf_kept_as_evidence(cli: Cli) -> None:
    issued = cli(
        "nti", "issue", b.UPN_1, *BY, "--improvement", "No further absence", "--on", "2025-03-07"
    )
    assert issued.returncode == 0, issued.stderr
    out = cli("letter", "send", "nti", "--all-met", "--school", b.SCHOOL_A, *ON, *BY, "--json")
    sent = json.loads(out.stdout)
    assert [s["upn"] for s in sent["letters"]] == [b.UPN_1]
    assert [r["upn"] for r in sent["refused"]] == [b.UPN_2]
    printed = {p["parent_id"]: p for p in sent["letters"][0]["parents"]}["P2"]["printed_id"]
    folder = cli.folder / "printed"
    assert cli("letter", "print", str(printed), "--out", str(folder)).returncode == 0
    pdfs = sorted(folder.glob("*.pdf"))
    assert pdfs and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    email = {p["parent_id"]: p for p in sent["letters"][0]["parents"]}["P1"]["message_id"]
    raw = raw_email(cli, email)
    assert b"application/pdf" in raw
    summary = cli("evidence", "show", email).stdout
    assert hashlib.sha256(raw).hexdigest() in summary


def test_a_letter_for_one_family_is_not_sent_to_all(cli: Cli) -> None:
    out = cli("letter", "send", "meeting_notes", "--all-met", *ON, *BY)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "answers one family" in out.stderr
    both = cli("letter", "send", "initial_concern", b.UPN_1, "--all-met", *ON, *BY)
    assert both.returncode != 0 and "give no UPN" in both.stderr
