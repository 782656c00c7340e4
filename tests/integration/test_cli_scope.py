"""The command line goes through the same guard: `--by` a member of staff of another school is
refused the pupil (one line, exit 1, audited) and nothing is written; their own school's pupil
is theirs to act on."""

from __future__ import annotations

import sqlite3

from tests import builders as b
from tests.integration.test_cli import Cli, cli, seeded  # noqa: F401  (fixtures)


def dsl(cli: Cli, school: str) -> None:  # noqa: F811
    add = ("staff", "add", "DSLB", "--name", "Dee Lee", "--role", "dsl", "--school", school)
    out = cli(*add)
    assert out.returncode == 0, out.stderr


def refusals(cli: Cli) -> list[tuple[str, str]]:  # noqa: F811
    with sqlite3.connect(cli.folder / "data" / "supportfirst.db") as db:
        query = "SELECT actor, subject FROM audit_entry WHERE action = 'cli.refused'"
        return list(db.execute(query))


def test_a_dsl_of_another_school_is_refused_the_pupil_in_one_line(cli: Cli) -> None:  # noqa: F811
    dsl(cli, b.SCHOOL_B)
    log = ("case", "log", b.UPN_1, "--kind", "note", "--summary", "Rang home", "--by", "DSLB")
    out = cli(*log)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1] == (
        f"supportfirst: Sorry, pupil {b.UPN_1} is not at one of your schools: nothing was done."
    )
    packed = cli("pack", b.UPN_1, "--out", "pack.zip", "--by", "DSLB")
    assert packed.returncode == 1 and not (cli.folder / "pack.zip").exists()
    assert refusals(cli) == [("DSLB", f"pupil:{b.UPN_1}")] * 2
    shown = cli("case", "show", b.UPN_1, "--json")
    assert "Rang home" not in shown.stdout


def test_the_dsl_of_the_pupils_school_may_log_but_not_send_a_letter(cli: Cli) -> None:  # noqa: F811
    dsl(cli, b.SCHOOL_A)
    log = ("case", "log", b.UPN_1, "--kind", "note", "--summary", "Rang home", "--by", "DSLB")
    assert cli(*log).returncode == 0
    letter = cli("letter", "send", "initial_concern", b.UPN_1, "--by", "DSLB")
    assert letter.returncode == 1
    assert "your role (dsl) does not allow `letter`" in letter.stderr
    school = cli("school", "set", b.SCHOOL_A, "--phone", "01206 500100", "--by", "DSLB")
    assert school.returncode == 1 and "does not allow `admin`" in school.stderr
