"""The command line as schools' scripts drive it: real processes, exact output (CONTRACT.md)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests import builders as b
from tests.cases import HEAD, HEAD_EMAIL, HEAD_NAME, HEAD_PHONE

SCHOOLS = ("--school", b.SCHOOL_A, "--school", b.SCHOOL_B)


class Cli:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # A single-user install: commands act as HEAD unless they say --by (tests/cases.py).
        self.env = {
            **os.environ,
            "SUPPORTFIRST_DATA_DIR": str(folder / "data"),
            "SUPPORTFIRST_OPERATOR": HEAD,
        }
        self.env.pop("SUPPORTFIRST_DATABASE_URL", None)

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "supportfirst", *args],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def enrol(self) -> None:
        """HEAD (Ms Patel, both schools) adds herself, then the LA's officer (every school)."""
        for staff_id, name, where, phone, email in (
            (HEAD, HEAD_NAME, ("--all-schools",), HEAD_PHONE, HEAD_EMAIL),
            ("LA", "LA officer", ("--all-schools",), "01245 400400", "compliance@essex.example"),
        ):
            role = ("--role", "attendance_officer")
            contact = ("--phone", phone, "--email", email)
            out = self("staff", "add", staff_id, "--name", name, *role, *contact, *where)
            assert out.returncode == 0, out.stderr

    def file(self, name: str, data: bytes) -> str:
        (self.folder / name).write_bytes(data)
        return name


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One school's files imported once through the CLI; each test gets its own copy."""
    run = Cli(tmp_path_factory.mktemp("seeded"))
    run.enrol()
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils()),
        ("parents", b.parents()),
        ("calendar", b.calendar()),
    ):
        assert run("import", kind, run.file(f"{kind}.csv", data)).returncode == 0
    gone = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]
    rows = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 14), absent=gone)
    rows += b.marks(b.UPN_2, date(2025, 2, 24), date(2025, 3, 14), absent=gone[:3], code="U")
    marks = run.file("marks.csv", b.csv_bytes(b.MARKS_HEADER, rows))
    assert run("import", "marks", marks).returncode == 0
    return run.folder


@pytest.fixture
def cli(seeded: Path, tmp_path: Path) -> Cli:
    shutil.copytree(seeded, tmp_path, dirs_exist_ok=True)
    return Cli(tmp_path)


def test_threshold_json_is_the_contract_document(cli: Cli) -> None:
    out = cli("threshold", "--on", "2025-03-14", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "on": "2025-03-14",
        "pupils": [
            {
                "upn": b.UPN_1,
                "unauthorised_sessions": 10,
                "window_start": "2025-02-24",
                "window_end": "2025-03-14",
                "met": True,
                "conflicts": [],
                "compulsory_school_age": True,
                "registers_missing": [],
            }
        ],
    }


def test_threshold_all_lists_pupils_under_the_threshold_too(cli: Cli) -> None:
    pupils = json.loads(cli("threshold", "--on", "2025-03-14", "--json", "--all").stdout)["pupils"]
    assert [(p["upn"], p["unauthorised_sessions"], p["met"]) for p in pupils] == [
        (b.UPN_1, 10, True),
        (b.UPN_2, 3, False),
    ]


def test_a_bad_file_prints_each_problem_and_one_reason_and_no_traceback(cli: Cli) -> None:
    bad = cli.file(
        "bad.csv", b.csv_bytes(b.MARKS_HEADER, [f"{b.UPN_1},{b.SCHOOL_A},2025-03-17,AM,F"])
    )
    out = cli("import", "marks", bad)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines() == [
        "bad.csv:2: code: F (extended family holiday) no longer exists from August 2024: use C "
        "where leave was granted, otherwise G",
        "supportfirst: nothing was imported: 1 problem",
    ]


def test_a_mark_on_a_saturday_is_a_bad_row_and_nothing_is_imported(cli: Cli) -> None:
    rows = [f"{b.UPN_1},{b.SCHOOL_A},2025-03-17,AM,/", f"{b.UPN_1},{b.SCHOOL_A},2025-03-15,AM,O"]
    out = cli("import", "marks", cli.file("sat.csv", b.csv_bytes(b.MARKS_HEADER, rows)))
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines() == [
        "sat.csv:3: date: 2025-03-15 is not a school day at 100001 (Saturday)",
        "supportfirst: nothing was imported: 1 problem",
    ]
    assert (
        json.loads(cli("threshold", "--on", "2025-03-17", "--json", "--all").stdout)["pupils"][0][
            "unauthorised_sessions"
        ]
        == 10
    )


@pytest.mark.parametrize(
    "args",
    [
        ("threshold", "--on", "14/03/2025"),
        (
            "nti",
            "issue",
            b.UPN_2,
            "--by",
            "Ms Patel",
            "--improvement",
            "None",
            "--on",
            "2025-03-14",
        ),
        ("case", "show", "Z999999999999"),
        ("import", "marks", "missing.csv"),
        ("threshold", "--db", "postgresql://nobody@127.0.0.1:1/none"),
        ("--db", "postgresql://nobody@127.0.0.1:1/none", "threshold"),
    ],
    ids=[
        "bad date",
        "nti refused",
        "unknown pupil",
        "missing file",
        "unreachable database",
        "unreachable database given first",
    ],
)
def test_user_errors_are_one_line_and_a_non_zero_exit(cli: Cli, args: tuple[str, ...]) -> None:
    out = cli(*args)
    assert out.returncode != 0
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "Traceback" not in out.stderr and out.stderr.startswith("supportfirst: ")


def test_db_before_or_after_the_command_is_the_database_used(cli: Cli, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    met = ("threshold", "--on", "2025-03-14", "--json")

    def pupils(*args: str) -> list[object]:
        out = cli(*args)
        assert out.returncode == 0, out.stderr
        found: list[object] = json.loads(out.stdout)["pupils"]
        return found

    assert len(pupils(*met)) == 1  # the seeded school
    assert pupils("--db", other, *met) == [] == pupils(*met, "--db", other)
    assert pupils("--db", "nonsense://x", *met, "--db", other) == []  # the command's own wins


def test_a_bad_setting_is_one_line_naming_it(cli: Cli) -> None:
    cli.env["SUPPORTFIRST_SMTP_CONNECTIONS"] = "lots"
    out = cli("threshold")
    assert out.returncode == 1 and out.stdout == ""
    assert len(out.stderr.splitlines()) == 1, out.stderr
    assert out.stderr.startswith("supportfirst: SUPPORTFIRST_SMTP_CONNECTIONS: "), out.stderr


def test_nti_issue_json_lists_each_parent_and_the_period(cli: Cli) -> None:
    out = cli(
        "nti",
        "issue",
        b.UPN_1,
        "--by",
        "Ms Patel",
        "--on",
        "2025-03-07",
        "--json",
        "--improvement",
        "No further unauthorised absence",
    )
    doc = json.loads(out.stdout)
    assert (doc["notice_id"], doc["period_end"]) == (1, "2025-05-02")
    assert doc["parents"] == [
        {"parent_id": "P1", "route": "post", "message_id": None, "printed_id": 1},
        {"parent_id": "P2", "route": "post", "message_id": None, "printed_id": 2},
    ]


def test_case_log_and_show_keep_the_chronology_oldest_first(cli: Cli) -> None:
    cli(
        "case",
        "log",
        b.UPN_1,
        "--kind",
        "meeting",
        "--by",
        "Ms Patel",
        "--on",
        "2025-03-10",
        "--summary",
        "Invited Mum to talk",
        "--way",
        "phone",
        "--way",
        "home-visit",
    )
    cli(
        "case",
        "log",
        b.UPN_1,
        "--kind",
        "support_offered",
        "--by",
        "Ms Patel",
        "--on",
        "2025-03-04",
        "--summary",
        "Offered a breakfast club place",
    )
    doc = json.loads(cli("case", "show", b.UPN_1, "--json").stdout)
    assert [(e["at"], e["kind"]) for e in doc["entries"]] == [
        ("2025-03-04", "support_offered"),
        ("2025-03-10", "meeting"),
    ]
    assert doc["entries"][1]["ways_offered"] == ["phone", "home_visit"]


def test_review_prints_the_events_and_audit_verify_passes(cli: Cli) -> None:
    out = cli("review", "--on", "2025-03-14", "--json")
    assert [e["kind"] for e in json.loads(out.stdout)["events"]] == ["ThresholdMet"]
    verify = cli("audit", "verify")
    assert verify.returncode == 0 and verify.stdout.startswith("audit log intact: ")


def test_penalty_limits_are_enforced_per_parent_per_child(cli: Cli) -> None:
    record = (
        "penalty",
        "record",
        "P1",
        b.UPN_1,
        "--by",
        "LA officer",
        "--offence-start",
        "2025-03-03",
        "--on",
    )
    agree = ("penalty", "agree", "P1", b.UPN_1, "--by", "LA officer", "--reference", "ACT/123")
    assert cli(*agree, "--on", "2025-03-18").returncode == 0
    assert cli(*record, "2025-03-20").returncode == 0
    check = json.loads(
        cli("penalty", "check", "P1", b.UPN_1, "--on", "2025-06-01", "--json").stdout
    )
    assert (check["ordinal"], check["amount"], check["early_days"]) == (2, 160, None)
    assert cli(*record, "2025-06-01").returncode == 0
    third = cli(*record, "2025-09-01")
    assert third.returncode == 1 and "third" in third.stderr
    other_parent = json.loads(cli("penalty", "check", "P2", b.UPN_1, "--json").stdout)
    assert (other_parent["ordinal"], other_parent["amount_if_paid_early"]) == (1, 80)


def test_an_authority_cannot_count_authorised_absence(cli: Cli) -> None:
    out = cli("authority", "set", "Essex", "--threshold-codes", "G,O,U,I")
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "supportfirst: only unauthorised-absence codes can count towards the threshold, not I"
    )
    ok = cli("authority", "set", "Suffolk", "--threshold-codes", "G,O,U,N")
    assert ok.stdout.strip() == "Suffolk: threshold codes G,N,O,U; NTI 6 school weeks"


def test_case_checklist_names_what_is_missing_before_a_referral(cli: Cli) -> None:
    cli(
        "case",
        "log",
        b.UPN_1,
        "--kind",
        "service",
        "--service",
        "taf",
        "--not-used",
        "--by",
        "Ms Patel",
        "--summary",
        "TAF not set up",
        "--reason",
        "Family declined",
    )
    out = cli("case", "checklist", b.UPN_1, "--json")
    doc = json.loads(out.stdout)
    items = {i["key"]: i for i in doc["items"]}
    assert doc["ready"] is False and items["taf"]["satisfied"] is True
    assert items["taf"]["detail"] == "not used: Family declined"
    assert (
        items["view_dsl"]["detail"]
        == "record the DSL (Designated Safeguarding Lead)'s view of the referral"
    )


def test_consent_record_keeps_the_evidence_and_list_shows_it(cli: Cli) -> None:
    form = cli.file("consent-form.pdf", b"%PDF-1.4 signed consent form")
    out = cli(
        "consent",
        "record",
        "P2",
        "--email",
        "jo@example.org",
        "--method",
        "form",
        "--on",
        "2025-03-01",
        "--evidence",
        form,
    )
    assert out.returncode == 0, out.stderr
    mail = cli.file("reply.eml", b"From: alex@example.org\r\n\r\nYes, email me.\r\n")
    disguised = "--email", "JO+school@Example.org", "--method", "email", "--evidence", mail
    shared = cli("consent", "record", "P1", *disguised)
    assert shared.returncode == 1 and "already held by parent P2" in shared.stderr
    assert len(shared.stderr.strip().splitlines()) == 1
    bare = cli("consent", "record", "P1", "--email", "alex@example.org", "--method", "email")
    assert bare.returncode != 0 and bare.stdout == ""
    assert bare.stderr.strip().splitlines() == [
        "supportfirst: consent record: missing option '--evidence' "
        "(see supportfirst consent record --help)"
    ]
    [c] = json.loads(cli("consent", "list", "--upn", b.UPN_1, "--json").stdout)["consents"]
    assert (c["parent_id"], c["email"], c["upns"]) == ("P2", "jo@example.org", [b.UPN_1])
    stored = cli.folder / "data" / "evidence" / c["evidence_sha256"][:2] / c["evidence_sha256"][2:4]
    assert (stored / c["evidence_sha256"]).read_bytes() == b"%PDF-1.4 signed consent form"


def test_letter_preview_prints_the_subject_and_the_text(cli: Cli) -> None:
    out = cli(
        "letter",
        "preview",
        "initial_concern",
        b.UPN_1,
        "--parent",
        "P1",
        "--by",
        "Ms Patel",
        "--on",
        "2025-03-10",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Subject: We would like to talk about Sam0's attendance\n")
    assert "Dear Alex Taylor," in out.stdout


def test_the_contracts_forms_without_by_act_as_the_computer_account(tmp_path: Path) -> None:
    """`import`, `letter send` and `pack` as CONTRACT.md has them (no --by, no operator): done in
    the name of the account that ran them; the letter names the school's champion."""
    run = Cli(tmp_path)
    run.env.pop("SUPPORTFIRST_OPERATOR")
    for kind, data in (("schools", b.schools()), ("pupils", b.pupils()), ("parents", b.parents())):
        out = run("import", kind, run.file(f"{kind}.csv", data))
        assert out.returncode == 0, out.stderr
    refused = run("letter", "send", "initial_concern", b.UPN_1)
    assert refused.returncode != 0 and "school set 100001 --champion" in refused.stderr
    run.env["SUPPORTFIRST_OPERATOR"] = HEAD  # staff are added by staff
    run.enrol()
    del run.env["SUPPORTFIRST_OPERATOR"]
    assert (
        run(
            "school",
            "set",
            b.SCHOOL_A,
            "--champion",
            "Mr Hale",
            "--phone",
            "01632 960001",
            "--email",
            "office@school.example",
            "--by",
            HEAD,
        ).returncode
        == 0
    )
    sent = run("letter", "send", "initial_concern", b.UPN_1, "--json")
    assert sent.returncode == 0, sent.stderr
    shown = run("letter", "preview", "initial_concern", b.UPN_1, "--parent", "P1")
    assert "Mr Hale" in shown.stdout and "01632 960001" in shown.stdout, shown.stdout
    with sqlite3.connect(tmp_path / "data" / "supportfirst.db") as db:
        actors = {row[0] for row in db.execute("SELECT actor FROM audit_entry")}
    assert any(a.startswith("account:") for a in actors), actors
