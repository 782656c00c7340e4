"""`staff add`, `school set|show` and `--by` through the command line: every act has a member of
staff behind it (the first adds themselves), SUPPORTFIRST_OPERATOR stands in for `--by` on a
single-user install, and a letter refuses to go out with no one for parents to contact."""

from __future__ import annotations

import getpass
import json
import sqlite3
from pathlib import Path

import pytest

from tests import builders as b
from tests.integration.test_cli import Cli, cli, seeded  # noqa: F401  (fixtures)


@pytest.fixture
def bare(tmp_path: Path) -> Cli:
    """A new install: no staff, and no operator set."""
    run = Cli(tmp_path)
    run.env.pop("SUPPORTFIRST_OPERATOR")
    return run


def _one_line(out: object) -> str:
    lines = [x for x in str(out).splitlines() if "warning:" not in x]
    assert len(lines) == 1 and "Traceback" not in str(out), out
    return lines[0]


def test_the_first_member_adds_themselves_and_then_only_staff_add_staff(bare: Cli) -> None:
    me = ("staff", "add", "PATEL", "--name", "Ms Patel", "--role", "attendance_officer")
    other = _one_line(bare(*me, "--school", b.SCHOOL_A, "--by", "SOMEONE").stderr)
    assert "the first member adds themselves" in other and "--by PATEL" in other
    first = bare(*me, "--school", b.SCHOOL_A, "--phone", "01632 960000", "--by", "PATEL")
    assert first.returncode == 0, first.stderr
    assert "school 100001 is not imported yet" in first.stderr  # staff may come first
    dsl = ("staff", "add", "U0DSL", "--name", "Dee Lee", "--role", "dsl", "--school", b.SCHOOL_A)
    stranger = bare(*dsl, "--by", "Mr Nobody")
    assert stranger.returncode == 1
    assert "'Mr Nobody' is not a member of staff" in _one_line(stranger.stderr)
    assert bare(*dsl, "--by", "Ms Patel").returncode == 0  # a name works as well as an id
    listed = json.loads(bare("staff", "list", "--json").stdout)["staff"]
    assert [(m["id"], m["slack_user_id"], m["schools"], m["all_schools"]) for m in listed] == [
        ("U0DSL", "U0DSL", [b.SCHOOL_A], False),  # a U… id is the Slack user id too
        ("PATEL", None, [b.SCHOOL_A], False),
    ]


def test_a_change_keeps_what_it_does_not_name_and_is_audited(bare: Cli) -> None:
    me = ("staff", "add", "PATEL", "--name", "Ms Patel", "--role", "attendance_officer")
    assert (
        bare(*me, "--all-schools", "--email", "p@school.example", "--by", "PATEL").returncode == 0
    )
    assert bare("staff", "add", "PATEL", "--phone", "01632 960000", "--by", "PATEL").returncode == 0
    [member] = json.loads(bare("staff", "list", "--json").stdout)["staff"]
    assert (member["email"], member["phone"], member["all_schools"]) == (
        "p@school.example",
        "01632 960000",
        True,
    )
    bad = bare("staff", "add", "PATEL", "--email", "not-an-address", "--by", "PATEL")
    assert bad.returncode == 1 and "--email: 'not-an-address'" in _one_line(bad.stderr)
    both = bare("staff", "add", "X1", "--name", "X", "--role", "dsl", "--by", "PATEL")
    assert "--school URN" in _one_line(both.stderr)  # schools must be said


def test_every_act_needs_a_member_of_staff_unless_an_operator_is_set(bare: Cli) -> None:
    me = ("staff", "add", "PATEL", "--name", "Ms Patel", "--role", "attendance_officer")
    assert bare(*me, "--all-schools", "--by", "PATEL").returncode == 0
    # The contract's `import KIND FILE` takes no --by: done as the computer account.
    assert bare("import", "schools", bare.file("schools.csv", b.schools())).returncode == 0
    phone = ("school", "set", b.SCHOOL_A, "--phone", "01206 500100")
    nobody = bare(*phone)
    assert nobody.returncode == 1 and "--by STAFF is required" in _one_line(nobody.stderr)
    bare.env["SUPPORTFIRST_OPERATOR"] = "Mr Nobody"
    assert "'Mr Nobody' is not a member of staff" in _one_line(bare(*phone).stderr)
    bare.env["SUPPORTFIRST_OPERATOR"] = "PATEL"
    assert bare(*phone).returncode == 0
    with sqlite3.connect(bare.folder / "data" / "supportfirst.db") as db:
        actors = {actor for (actor,) in db.execute("SELECT actor FROM audit_entry")}
    # nothing in the name of no one; the refusal is audited as who tried
    assert actors == {"PATEL", f"account:{getpass.getuser()}", "unknown cli user Mr Nobody"}


def test_school_set_keeps_the_contact_details_and_show_prints_them(cli: Cli) -> None:  # noqa: F811
    done = cli(
        "school",
        "set",
        b.SCHOOL_A,
        "--address",
        "1 River Road, Colchester CO1 2AA",
        "--phone",
        "01206 500100",
        "--email",
        "attendance@riverside.example",
        "--champion",
        "Mr Okafor",
    )
    assert done.returncode == 0, done.stderr
    assert cli("school", "set", b.SCHOOL_A, "--phone", "01206 500200").returncode == 0
    shown = json.loads(cli("school", "show", b.SCHOOL_A, "--json").stdout)
    assert shown == {
        "urn": b.SCHOOL_A,
        "name": "Riverside Primary",
        "local_authority": "Essex",
        "address": "1 River Road, Colchester CO1 2AA",
        "phone": "01206 500200",
        "email": "attendance@riverside.example",
        "champion": "Mr Okafor",
    }
    unknown = cli("school", "show", "999999")
    assert unknown.returncode == 1 and "no school 999999" in _one_line(unknown.stderr)


def test_a_letter_from_staff_with_no_email_on_file_is_refused_saying_how_to_add_one(
    cli: Cli,  # noqa: F811
) -> None:
    new = ("staff", "add", "NEW", "--name", "Mr New", "--role", "attendance_officer")
    assert cli(*new, "--school", b.SCHOOL_A, "--phone", "01632 960111").returncode == 0
    out = cli("letter", "send", "initial_concern", b.UPN_1, "--by", "NEW")
    assert out.returncode == 1
    line = _one_line(out.stderr)
    assert "no email on file for Mr New or school 100001" in line
    assert "supportfirst staff add NEW --email E" in line and "school set 100001" in line
    assert (
        cli("school", "set", b.SCHOOL_A, "--email", "attendance@riverside.example").returncode == 0
    )
    sent = cli("letter", "send", "initial_concern", b.UPN_1, "--by", "NEW", "--json")
    assert sent.returncode == 0, sent.stderr
    nti = cli("nti", "issue", b.UPN_1, "--by", "Mr Nobody", "--improvement", "Attend")
    assert nti.returncode == 1 and "is not a member of staff" in _one_line(nti.stderr)
