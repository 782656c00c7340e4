"""Issue 11 points 4 and 5 through the command line, on SQLite and PostgreSQL: a printed NTI
not posted runs only once served; `nti close` and `nti withdraw` with their refusals."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests import builders as b
from tests.integration.test_cli import Cli

# The first week of March (the threshold), and Tuesday 11th after the notice was issued.
GONE = [(date(2025, 3, d), s) for d in (3, 4, 5, 6, 7, 11) for s in ("AM", "PM")]


@pytest.fixture
def cli(tmp_path: Path, db_url: str) -> Cli:
    run = Cli(tmp_path)
    run.env["SUPPORTFIRST_DATABASE_URL"] = db_url
    run.enrol()
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils(b.UPN_1)),
        ("parents", b.parents()),
        ("calendar", b.calendar()),
    ):
        out = run("import", kind, run.file(f"{kind}.csv", data))
        assert out.returncode == 0, out.stderr
    rows = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 12), absent=GONE)
    marks = run.file("marks.csv", b.csv_bytes(b.MARKS_HEADER, rows))
    out = run("import", "marks", marks)
    assert out.returncode == 0, out.stderr
    return run


def ok(cli: Cli, *args: str) -> Any:
    out = cli(*args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if "--json" in args else out


def kinds(cli: Cli, on: str) -> list[str]:
    events = ok(cli, "review", "--on", on, "--json")["events"]
    return [e["kind"] for e in events if e["kind"].startswith("Nti")]


def issue(cli: Cli) -> dict[str, Any]:
    improvement = "No further unauthorised absence"
    args = ("nti", "issue", b.UPN_1, "--by", "Ms Patel", "--improvement", improvement)
    issued: dict[str, Any] = ok(cli, *args, "--on", "2025-03-07", "--json")
    return issued


def test_a_printed_nti_not_posted_then_posted(cli: Cli) -> None:
    issued = issue(cli)
    assert issued["period_end"] == "2025-05-02"  # the planned period
    assert kinds(cli, "2025-03-11") == []  # absent on the 11th, but nobody has the notice yet
    [not_served] = [
        e
        for e in ok(cli, "review", "--on", "2025-03-12", "--json")["events"]
        if e["kind"] == "NtiNotServed"
    ]
    assert not_served["parents"] == ["P1", "P2"] and not_served["notice_id"] == 1
    assert kinds(cli, "2025-03-13") == []  # once
    items = {i["key"]: i for i in ok(cli, "case", "checklist", b.UPN_1, "--json")["items"]}
    assert not items["notice_to_improve"]["satisfied"]
    assert "parent P2 (Jo Taylor) not served" in items["notice_to_improve"]["detail"]

    for parent in issued["parents"]:
        out = ok(
            cli,
            "letter",
            "delivered",
            str(parent["printed_id"]),
            "--how",
            "post",
            "--by",
            "Ms Patel",
            "--on",
            "2025-03-13",
        )
        assert "deemed received 2025-03-17" in out.stdout
    assert "now runs 2025-03-18 to 2025-05-12" in out.stderr  # the warning, once both have it
    [n] = ok(cli, "case", "show", b.UPN_1, "--json")["notices"]
    assert (n["period_start"], n["period_end"]) == ("2025-03-10", "2025-05-02")
    assert (n["served_start"], n["served_end"]) == ("2025-03-18", "2025-05-12")
    shown = ok(cli, "case", "show", b.UPN_1).stdout
    assert "planned 2025-03-10 to 2025-05-02, served: 2025-03-18 to 2025-05-12" in shown
    # The absence of the 11th is before the period as served: no breach for it.
    assert kinds(cli, "2025-03-18") == []
    breach = b.csv_bytes(b.MARKS_HEADER, [f"{b.UPN_1},{b.SCHOOL_A},2025-03-19,AM,O"])
    ok(cli, "import", "marks", cli.file("breach.csv", breach))
    assert kinds(cli, "2025-03-19") == ["NtiBreached"]


def test_nti_close_and_withdraw_refuse_and_are_audited(cli: Cli) -> None:
    issue(cli)
    early = cli(
        "nti",
        "close",
        "1",
        "--outcome",
        "improved",
        "--reason",
        "ok",
        "--by",
        "Ms Patel",
        "--on",
        "2025-03-20",
    )
    assert early.returncode != 0 and "not served on every parent" in early.stderr
    assert "Traceback" not in early.stderr and len(early.stderr.strip().splitlines()) == 1
    bad = cli(
        "nti",
        "close",
        "1",
        "--outcome",
        "fine",
        "--reason",
        "ok",
        "--by",
        "Ms Patel",
    )
    assert bad.returncode != 0 and "--outcome: 'fine' is not one of" in bad.stderr
    blank = cli("nti", "withdraw", "1", "--reason", " ", "--by", "Ms Patel")
    assert blank.returncode != 0 and "--reason: say why" in blank.stderr
    done = ok(
        cli,
        "nti",
        "withdraw",
        "1",
        "--reason",
        "Issued to the wrong family",
        "--by",
        "Ms Patel",
        "--on",
        "2025-03-10",
        "--json",
    )
    assert done == {"notice_id": 1, "upn": b.UPN_1, "status": "withdrawn", "finding": None}
    again = cli("nti", "withdraw", "1", "--reason", "again", "--by", "Ms Patel")
    assert again.returncode != 0 and "was withdrawn on 2025-03-10" in again.stderr
    entries = ok(cli, "case", "show", b.UPN_1, "--json")["entries"]
    assert [e["reason"] for e in entries if e["kind"] == "nti_withdrawn"] == [
        "Issued to the wrong family"
    ]
    ok(cli, "audit", "verify")  # the chain, with the withdrawal in it, still holds
    missing = cli("nti", "close", "9", "--outcome", "improved", "--reason", "x", "--by", "Ms Patel")
    assert missing.returncode != 0 and "no Notice to Improve 9" in missing.stderr


def test_no_registers_end_undecided_then_a_correction_reopens(cli: Cli) -> None:
    issued = issue(cli)
    # Handed over on Tuesday 11th (that day's absence is before the period): runs from the 12th.
    for parent in issued["parents"]:
        ok(
            cli,
            "letter",
            "delivered",
            str(parent["printed_id"]),
            "--how",
            "hand",
            "--by",
            "Ms Patel",
            "--on",
            "2025-03-11",
        )
    [n] = ok(cli, "case", "show", b.UPN_1, "--json")["notices"]
    assert (n["served_start"], n["served_end"]) == ("2025-03-12", "2025-05-06")
    # Registers stop on 12 March: the period cannot be shown to have improved.
    [ended] = [
        e
        for e in ok(cli, "review", "--on", "2025-05-07", "--json")["events"]
        if e["kind"] == "NtiEnded"
    ]
    assert ended["outcome"] == "undecided" and ended["further_sessions"] == 0
    assert ended["reasons"][0].startswith("registers missing for ")
    assert ": 2025-03-13, 2025-03-14, 2025-03-17," in ended["reasons"][0]
    [n] = ok(cli, "case", "show", b.UPN_1, "--json")["notices"]
    assert (n["status"], n["review_outcome"]) == ("undecided", "undecided")
    # The school sends the missing weeks, 28 April unauthorised: the ended period reopens.
    gone = [(date(2025, 4, 28), "AM"), (date(2025, 4, 28), "PM")]
    rows = b.marks(b.UPN_1, date(2025, 3, 13), date(2025, 5, 6), absent=gone)
    ok(cli, "import", "marks", cli.file("rest.csv", b.csv_bytes(b.MARKS_HEADER, rows)))
    [reopened] = [
        e
        for e in ok(cli, "review", "--on", "2025-05-08", "--json")["events"]
        if e["kind"] == "NtiReopened"
    ]
    assert (reopened["further_before"], reopened["further_sessions"]) == (0, 2)
    assert reopened["status"] == "breached"
    assert kinds(cli, "2025-05-09") == ["NtiBreached", "NtiEnded"]
    close = cli(
        "nti",
        "close",
        "1",
        "--outcome",
        "improved",
        "--reason",
        "Seems fine",
        "--by",
        "Ms Patel",
        "--on",
        "2025-05-09",
    )
    assert close.returncode != 0 and "say in --reason why, in at least 5 words" in close.stderr
    done = ok(
        cli,
        "nti",
        "close",
        "1",
        "--outcome",
        "not_improved",
        "--reason",
        "Two further sessions, refer",
        "--by",
        "Ms Patel",
        "--on",
        "2025-05-09",
        "--json",
    )
    assert done["status"] == "not_improved" and done["finding"] == "not_improved"
