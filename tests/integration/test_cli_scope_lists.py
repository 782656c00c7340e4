"""The lists that span schools go through the same guard, on SQLite and PostgreSQL: in a
two-school database a DSL of one school sees only that school's pupils in `threshold` and
`mail inbox|quarantine`, is refused another school (`--school`, one line, exit 1, audited) and a
parents file naming another school's pupil (nothing imported); the daily review, every school's,
is run only by a casework role with every school; a trust-wide member, and the computer account
with no --by, see every school."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests import builders as b
from tests.integration.test_cli import Cli
from tests.integration.test_mail_cli import drop_in_inbox

ON = "2025-03-14"
GONE = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]


@pytest.fixture
def cli(tmp_path: Path, db_url: str) -> Cli:
    """Riverside (A) has Sam (UPN_1), Hillside (B) has Jo (UPN_2): both at the threshold;
    HEAD and LA see every school, DSLA works for Riverside only."""
    run = Cli(tmp_path)
    run.env["SUPPORTFIRST_DATABASE_URL"] = db_url
    run.enrol()
    pupils = b.csv_bytes(
        "upn,first_name,last_name,date_of_birth,school_urn,year_group",
        [
            f"{b.UPN_1},Sam,Taylor,2015-03-01,{b.SCHOOL_A},5",
            f"{b.UPN_2},Jo,Moss,2015-04-01,{b.SCHOOL_B},5",
        ],
    )
    parents = b.csv_bytes(
        b.PARENTS_HEADER,
        [
            f"P1,{b.UPN_1},Alex Taylor,alex@example.org,mother,{b.ADDRESS_1}",
            f"P9,{b.UPN_2},Kim Moss,kim@example.org,mother,{b.ADDRESS_2}",
        ],
    )
    calendars = b.calendar(b.SCHOOL_A) + b.calendar(b.SCHOOL_B).split(b"\n", 1)[1]
    rows = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 14), absent=GONE)
    rows += b.marks(b.UPN_2, date(2025, 2, 24), date(2025, 3, 14), absent=GONE)
    rows = [r if not r.startswith(b.UPN_2) else r.replace(b.SCHOOL_A, b.SCHOOL_B) for r in rows]
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", pupils),
        ("parents", parents),
        ("calendar", calendars),
        ("marks", b.csv_bytes(b.MARKS_HEADER, rows)),
    ):
        out = run("import", kind, run.file(f"{kind}.csv", data))
        assert out.returncode == 0, out.stderr
    add = ("staff", "add", "DSLA", "--name", "Dee Lee", "--role", "dsl", "--school", b.SCHOOL_A)
    assert run(*add).returncode == 0
    return run


def rows(db_url: str, query: str) -> list[tuple[str, ...]]:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(query))]
    engine.dispose()
    return found


def refusals(db_url: str) -> list[tuple[str, str, dict[str, object]]]:
    query = "SELECT actor, subject, details FROM audit_entry WHERE action = 'cli.refused'"
    return [(a, s, json.loads(d)) for a, s, d in rows(db_url, query)]


def upns(out: str, key: str) -> list[str]:
    return sorted({p["upn"] for p in json.loads(out)[key]})


def test_threshold_shows_a_dsl_their_schools_pupils_and_a_trust_role_all(cli: Cli) -> None:
    mine = cli("threshold", "--on", ON, "--json", "--by", "DSLA")
    assert mine.returncode == 0, mine.stderr
    assert upns(mine.stdout, "pupils") == [b.UPN_1]
    lines = cli("threshold", "--on", ON, "--by", "Dee Lee").stdout.splitlines()
    assert b.UPN_2 not in "\n".join(lines) and lines[-1] == f"1 pupil meets the threshold on {ON}"
    assert upns(cli("threshold", "--on", ON, "--json", "--by", "LA").stdout, "pupils") == [
        b.UPN_1,
        b.UPN_2,
    ]
    cli.env.pop("SUPPORTFIRST_OPERATOR")  # the computer account: every school
    every = cli("threshold", "--on", ON, "--json")
    assert every.returncode == 0 and upns(every.stdout, "pupils") == [b.UPN_1, b.UPN_2]
    only_b = cli("threshold", "--on", ON, "--json", "--school", b.SCHOOL_B)
    assert upns(only_b.stdout, "pupils") == [b.UPN_2]


def test_another_school_asked_for_is_refused_in_one_line_and_audited(cli: Cli, db_url: str) -> None:
    for command in (("threshold", "--on", ON), ("mail", "inbox")):
        out = cli(*command, "--school", b.SCHOOL_B, "--by", "DSLA")
        assert out.returncode == 1 and out.stdout == "" and "Traceback" not in out.stderr
        assert out.stderr.splitlines() == [
            f"supportfirst: Sorry, school {b.SCHOOL_B} is not at one of your schools: "
            "nothing was done."
        ]
    found = refusals(db_url)
    assert [(a, s, d["action"], d["school_urn"]) for a, s, d in found] == [
        ("DSLA", "cli:DSLA", "view", b.SCHOOL_B)
    ] * 2
    stranger = cli("threshold", "--on", ON, "--by", "nobody")
    assert stranger.returncode == 1 and "'nobody' is not a member of staff" in stranger.stderr
    assert len(refusals(db_url)) == 3


def add_officer(cli: Cli, staff_id: str, *schools: str) -> None:
    where = [a for urn in schools for a in ("--school", urn)]
    role = ("--role", "attendance_officer", "--phone", "01245 400401", "--email", "o@x.example")
    out = cli("staff", "add", staff_id, "--name", f"Officer {staff_id}", *role, *where)
    assert out.returncode == 0, out.stderr


NOT_EVERY_SCHOOL = "Sorry, the daily review raises alerts about every school's pupils and school"


def test_the_review_is_run_only_by_a_casework_role_with_every_school(cli: Cli, db_url: str) -> None:
    """The review raises every school's alerts and marks the day reviewed for all: a DSL (no
    casework role) and an officer of one school of two are refused, audited, and nothing ran."""
    add_officer(cli, "OFFA", b.SCHOOL_A)
    cli("staff", "add", "RO", "--name", "Rae", "--role", "read_only", "--school", b.SCHOOL_A)
    for who, why in (
        ("DSLA", "Sorry, your role (dsl) does not allow running the daily review"),
        ("RO", "Sorry, your role (read only) does not allow running the daily review"),
        ("OFFA", f"{NOT_EVERY_SCHOOL} {b.SCHOOL_B} is not one of yours"),
    ):
        out = cli("review", "--on", ON, "--json", "--by", who)
        assert out.returncode == 1 and out.stdout == "" and "Traceback" not in out.stderr
        assert len(out.stderr.splitlines()) == 1 and out.stderr.startswith(f"supportfirst: {why}")
    assert [(a, d["action"]) for a, _, d in refusals(db_url)] == [
        ("DSLA", "review"),
        ("RO", "review"),
        ("OFFA", "review"),
    ]
    assert rows(db_url, "SELECT * FROM review_run") == []  # the refused reviews never ran
    assert rows(db_url, "SELECT * FROM outbox_event WHERE kind = 'ThresholdMet'") == []


def test_an_officer_of_every_school_runs_the_review_and_school_narrows_what_it_prints(
    cli: Cli, db_url: str
) -> None:
    add_officer(cli, "OFFAB", b.SCHOOL_A, b.SCHOOL_B)
    # A school no pupil is on roll at (a previous school a CTF named) does not stand in the way.
    previous = b"urn,name,local_authority\n124999,Old School,Suffolk\n"
    assert cli("import", "schools", cli.file("previous.csv", previous)).returncode == 0
    only_a = cli("review", "--on", ON, "--json", "--by", "OFFAB", "--school", b.SCHOOL_A)
    assert only_a.returncode == 0, only_a.stderr
    assert upns(only_a.stdout, "events") == [b.UPN_1]
    # The review itself was every school's, as serve's: Jo's alert was raised too.
    raised = rows(db_url, "SELECT kind, upn FROM outbox_event ORDER BY upn")
    assert ("ThresholdMet", b.UPN_2) in raised and ("ThresholdMet", b.UPN_1) in raised


def test_review_shows_a_trust_wide_member_every_schools_events(cli: Cli) -> None:
    every = cli("review", "--on", ON, "--json", "--by", "LA")
    assert every.returncode == 0, every.stderr
    assert upns(every.stdout, "events") == [b.UPN_1, b.UPN_2]


def mail(sender: str, subject: str) -> bytes:
    head = f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <{subject}@x.example>\r\n"
    return (head + "\r\nHello\r\n").encode()


def test_the_mail_read_shows_a_dsl_their_schools_mail_and_mail_about_no_pupil(cli: Cli) -> None:
    drop_in_inbox(cli, mail("alex@example.org", "sam-ill"))
    drop_in_inbox(cli, mail("kim@example.org", "jo-ill"))
    drop_in_inbox(cli, mail("offers@spam.example", "win"))
    assert cli("mail", "ingest", "--once").returncode == 0
    subjects = lambda out: [m["subject"] for m in json.loads(out)["messages"]]  # noqa: E731
    every = cli("mail", "inbox", "--json", "--by", "LA")
    assert subjects(every.stdout) == ["sam-ill", "jo-ill", "win"]
    mine = cli("mail", "inbox", "--json", "--by", "DSLA")
    assert mine.returncode == 0 and subjects(mine.stdout) == ["sam-ill", "win"]
    held = cli("mail", "quarantine", "--json", "--by", "DSLA").stdout
    assert "jo-ill" not in held and "win" in held


def test_a_parents_file_naming_another_schools_pupil_is_refused_whole(
    cli: Cli, db_url: str
) -> None:
    officer = ("--role", "attendance_officer", "--phone", "01206 500100")
    add = ("staff", "add", "AOA", "--name", "Ann Oak", *officer, "--school", b.SCHOOL_A)
    assert cli(*add, "--email", "ann@riverside.example").returncode == 0
    lines = [
        f"P1,{b.UPN_1},Alex Taylor,alex@example.org,mother,{b.ADDRESS_1}",
        f"P7,{b.UPN_2},Chris Moss,chris@example.org,father,{b.ADDRESS_2}",
    ]
    file = cli.file("more.csv", b.csv_bytes(b.PARENTS_HEADER, lines))
    out = cli("import", "parents", file, "--by", "AOA")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines() == [
        f"more.csv:3: upn: {b.UPN_2} is at school {b.SCHOOL_B}, not one of yours",
        "supportfirst: nothing was imported: 1 problem",
    ]
    assert rows(db_url, "SELECT parent_id FROM parent WHERE parent_id = 'P7'") == []
    ((who, _, details),) = refusals(db_url)
    assert who == "AOA" and details["action"] == "import" and details["school_urn"] == b.SCHOOL_B
    mine = cli.file("mine.csv", b.csv_bytes(b.PARENTS_HEADER, lines[:1]))
    assert cli("import", "parents", mine, "--by", "AOA").returncode == 0
    assert cli("import", "parents", file, "--by", "LA").returncode == 0
