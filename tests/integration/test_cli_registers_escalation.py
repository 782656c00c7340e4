"""Issue 11 points 2 and 6 through the command line, on SQLite and PostgreSQL: missing
registers listed by `threshold` and refusing `nti issue`; early escalation refused until the
intend letter reached each parent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests import builders as b
from tests.integration.test_cli import Cli
from tests.integration.test_cli_notice_service import ok

GONE = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]
BY = ("--by", "Ms Patel")


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
        ok(run, "import", kind, run.file(f"{kind}.csv", data))
    return run


def marks(cli: Cli, name: str, start: date, end: date, absent: list[tuple[date, str]]) -> None:
    rows = b.marks(b.UPN_1, start, end, absent=absent)
    ok(cli, "import", "marks", cli.file(name, b.csv_bytes(b.MARKS_HEADER, rows)))


def test_missing_registers_are_listed_and_refuse_a_notice_until_imported(cli: Cli) -> None:
    marks(cli, "autumn.csv", date(2024, 11, 4), date(2025, 2, 7), [])
    marks(cli, "march.csv", date(2025, 2, 24), date(2025, 3, 14), GONE)  # 10-14 Feb not sent
    doc = ok(cli, "threshold", "--on", "2025-03-14", "--json")
    [pupil] = doc["pupils"]
    assert pupil["registers_missing"] == ["2025-02-10"] and pupil["met"] is True
    human = ok(cli, "threshold", "--on", "2025-03-14").stdout
    assert "  registers missing for the weeks of 10 Feb: the window reaches back" in human
    args = ("nti", "issue", b.UPN_1, *BY, "--on", "2025-03-14", "--improvement", "No absence")
    refused = cli(*args)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip().endswith("import the registers for the weeks of 10 Feb first")
    marks(cli, "february.csv", date(2025, 2, 10), date(2025, 2, 14), [])
    assert (
        ok(cli, "threshold", "--on", "2025-03-14", "--json")["pupils"][0]["registers_missing"] == []
    )
    assert ok(cli, *args, "--json")["notice_id"] == 1


def test_early_escalation_is_refused_until_the_intend_letter_is_delivered(cli: Cli) -> None:
    marks(
        cli, "marks.csv", date(2025, 2, 24), date(2025, 3, 12), GONE + [(date(2025, 3, 11), "AM")]
    )
    issue = ("nti", "issue", b.UPN_1, *BY, "--on", "2025-03-07", "--improvement", "No absence")
    ok(cli, *issue)
    for printed in (1, 2):  # the notice handed to both parents on the day
        ok(cli, "letter", "delivered", str(printed), "--how", "hand", *BY, "--on", "2025-03-07")
    decide = (
        "case", "log", b.UPN_1, "--kind", "decision", "--about", "legal_intervention", *BY,
        "--on", "2025-03-12", "--summary", "Ask the LA for a penalty notice",
        "--reason", "Absent again on 11 March",
    )  # fmt: skip
    refused = cli(*decide)
    assert refused.returncode == 1
    assert "serve the intend_legal_intervention letter on P1 (Alex Taylor), P2 (Jo Taylor)" in (
        refused.stderr
    )
    sent = ok(cli, "letter", "send", "intend_legal_intervention", b.UPN_1, *BY, "--json")
    assert [p["route"] for p in sent["parents"]] == ["post", "post"]
    for printed in (3, 4):
        ok(cli, "letter", "delivered", str(printed), "--how", "hand", *BY, "--on", "2025-03-12")
    ok(cli, *decide)
    notice = ok(cli, "case", "show", b.UPN_1, "--json")["notices"][0]
    assert notice["served_start"] == "2025-03-10"  # the intend letter did not re-serve it
