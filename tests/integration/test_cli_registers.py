"""Registers per school through the command line (issue 11, point 1): the move with `Z`, and a
conflict warned about, listed by `threshold --json`, holding `nti issue` and `penalty record`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests import builders as b
from tests.integration.test_cli import Cli

MOVE_WEEK = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]


def test_a_move_keeps_the_old_schools_marks_and_a_conflict_holds_the_case(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.enrol()
    files = [("schools", b.schools()), ("pupils", b.pupils()), ("parents", b.parents())]
    files += [("calendar", b.calendar()), ("calendar", b.calendar(b.SCHOOL_B))]
    for i, (kind, data) in enumerate(files):
        assert cli("import", kind, cli.file(f"{kind}{i}.csv", data)).returncode == 0
    old = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 7), b.SCHOOL_B, MOVE_WEEK, "O")
    z = b.marks(b.UPN_1, date(2025, 3, 3), date(2025, 3, 7), absent=MOVE_WEEK, code="Z")
    assert (
        cli("import", "marks", cli.file("b.csv", b.csv_bytes(b.MARKS_HEADER, old))).returncode == 0
    )
    out = cli("import", "marks", cli.file("a.csv", b.csv_bytes(b.MARKS_HEADER, z)))
    assert out.stdout.splitlines() == ["a.csv: 10 marks rows, 10 changed"]
    doc = json.loads(cli("threshold", "--on", "2025-03-07", "--json").stdout)
    assert [(p["unauthorised_sessions"], p["met"], p["conflicts"]) for p in doc["pupils"]] == [
        (10, True, [])
    ]

    clash = [f"{b.UPN_1},{b.SCHOOL_B},2025-03-10,AM,O", f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,AM,/"]
    out = cli("import", "marks", cli.file("c.csv", b.csv_bytes(b.MARKS_HEADER, clash)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        f"c.csv: warning: pupil {b.UPN_1}, 2025-03-10 AM: school {b.SCHOOL_A} recorded / but "
        f"school {b.SCHOOL_B} recorded O; one school must correct its register before a notice "
        "or penalty can be decided",
        "c.csv: 2 marks rows, 2 changed",
    ]
    doc = json.loads(cli("threshold", "--on", "2025-03-10", "--json").stdout)
    assert doc["pupils"][0]["conflicts"] == [
        {
            "date": "2025-03-10",
            "session": "AM",
            "schools": [b.SCHOOL_A, b.SCHOOL_B],
            "codes": ["/", "O"],
        }
    ]
    human = cli("threshold", "--on", "2025-03-10").stdout.splitlines()
    assert "  registers disagree: 2025-03-10 AM: / from 100001 and O from 100002" in human[1]
    nti = (
        "nti",
        "issue",
        b.UPN_1,
        "--by",
        "Ms Patel",
        "--improvement",
        "None",
        "--on",
        "2025-03-10",
    )
    penalty = ("penalty", "record", "P1", b.UPN_1, "--by", "LA", "--offence-start", "2025-03-03")
    for args in (nti, (*penalty, "--on", "2025-03-20")):
        refused = cli(*args)
        assert refused.returncode == 1 and refused.stdout == ""
        assert refused.stderr.startswith(
            f"supportfirst: the registers of two schools disagree for {b.UPN_1}: 2025-03-10 AM"
        )
    fix = [f"{b.UPN_1},{b.SCHOOL_B},2025-03-10,AM,D"]
    assert (
        cli("import", "marks", cli.file("fix.csv", b.csv_bytes(b.MARKS_HEADER, fix))).returncode
        == 0
    )
    assert cli(*nti).returncode == 0
