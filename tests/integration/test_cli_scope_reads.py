"""The read commands go through the same guard as the lists, on SQLite and PostgreSQL: in the
two-school database of test_cli_scope_lists a DSL of Riverside reading Hillside's pupil (`case
show|checklist`, `penalty list`, `consent list --upn`, `parent addresses`, `evidence show`) is
refused in one line (exit 1, nothing on stdout, audited as cli.refused with action view), and
`consent list`, `staff list` and `outbox status` show them their schools' only; a trust-wide
member sees exactly what the computer account with no --by sees, byte for byte."""

from __future__ import annotations

import json

from tests import builders as b
from tests.integration.test_cli import Cli
from tests.integration.test_cli_scope_lists import ON, cli, mail, refusals
from tests.integration.test_mail_cli import drop_in_inbox

__all__ = ["cli"]  # the two-school fixture

REFUSED_PUPIL = (
    f"supportfirst: Sorry, pupil {b.UPN_2} is not at one of your schools: nothing was done."
)
READS = (
    ("case", "show", "{upn}", "--json"),
    ("case", "show", "{upn}"),
    ("case", "checklist", "{upn}", "--on", ON),
    ("penalty", "list", "{upn}", "--json"),
    ("consent", "list", "--upn", "{upn}", "--json"),
)


def as_account(cli: Cli, *args: str) -> str:
    """The output of the computer account (no --by, no operator)."""
    operator = cli.env.pop("SUPPORTFIRST_OPERATOR")
    try:
        out = cli(*args)
    finally:
        cli.env["SUPPORTFIRST_OPERATOR"] = operator
    assert out.returncode == 0, out.stderr
    return out.stdout


def consent_for(cli: Cli, parent_id: str, email: str) -> None:
    form = cli.file("form.pdf", b"%PDF-1.4 signed consent form")
    how = ("--email", email, "--method", "form", "--on", "2025-03-01", "--evidence", form)
    out = cli("consent", "record", parent_id, *how)
    assert out.returncode == 0, out.stderr


def test_a_dsl_reads_their_pupil_and_is_refused_another_schools(cli: Cli, db_url: str) -> None:
    for command in READS:
        mine = [a.format(upn=b.UPN_1) for a in command]
        assert cli(*mine, "--by", "DSLA").returncode == 0, mine
        theirs = [a.format(upn=b.UPN_2) for a in command]
        out = cli(*theirs, "--by", "DSLA")
        assert out.returncode == 1 and out.stdout == "", theirs
        assert out.stderr.splitlines() == [REFUSED_PUPIL], theirs
        assert cli(*theirs, "--by", "LA").stdout == as_account(cli, *theirs), theirs
    found = refusals(db_url)
    assert [(a, s, d["action"], d["upn"]) for a, s, d in found] == [
        ("DSLA", f"pupil:{b.UPN_2}", "view", b.UPN_2)
    ] * len(READS)


def test_a_parents_addresses_are_read_only_by_their_childs_schools(cli: Cli, db_url: str) -> None:
    assert cli("parent", "addresses", "P1", "--by", "DSLA").returncode == 0
    out = cli("parent", "addresses", "P9", "--json", "--by", "DSLA")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines() == [
        "supportfirst: Sorry, parent P9 is not a parent of a pupil at one of your schools: "
        "nothing was done."
    ]
    [(who, _, details)] = refusals(db_url)
    assert who == "DSLA" and details["action"] == "view" and details["text"] == "parent P9"
    every = cli("parent", "addresses", "P9", "--json", "--by", "LA").stdout
    assert every == as_account(cli, "parent", "addresses", "P9", "--json") and "Kim" not in every
    unknown = cli("parent", "addresses", "P404", "--by", "DSLA")
    assert unknown.returncode == 1 and "no parent with id P404" in unknown.stderr


def test_a_pupil_not_on_the_register_is_said_so_as_to_everyone(cli: Cli) -> None:
    out = cli("case", "show", "Z999999999999", "--by", "DSLA")
    every = cli("case", "show", "Z999999999999", "--by", "LA")
    assert out.returncode == every.returncode == 1 and out.stderr == every.stderr


def test_consents_and_staff_are_listed_for_their_schools(cli: Cli) -> None:
    consent_for(cli, "P1", "alex@example.org")
    consent_for(cli, "P9", "kim@example.org")
    parents = lambda out: [c["parent_id"] for c in json.loads(out)["consents"]]  # noqa: E731
    assert parents(cli("consent", "list", "--json", "--by", "DSLA").stdout) == ["P1"]
    every = cli("consent", "list", "--by", "LA").stdout
    assert every == as_account(cli, "consent", "list") and "kim@example.org" in every
    only_b = parents(as_account(cli, "consent", "list", "--json", "--school", b.SCHOOL_B))
    assert only_b == ["P9"]
    refused = cli("consent", "list", "--school", b.SCHOOL_B, "--by", "DSLA")
    assert refused.returncode == 1 and refused.stdout == ""
    hillside = ("--name", "Bo Hill", "--role", "dsl", "--school", b.SCHOOL_B)
    assert cli("staff", "add", "DSLB", *hillside).returncode == 0
    ids = lambda out: sorted(m["id"] for m in json.loads(out)["staff"])  # noqa: E731
    assert ids(cli("staff", "list", "--json", "--by", "DSLA").stdout) == ["DSLA", "HEAD", "LA"]
    assert ids(cli("staff", "list", "--json", "--by", "DSLB").stdout) == ["DSLB", "HEAD", "LA"]
    assert cli("staff", "list", "--by", "LA").stdout == as_account(cli, "staff", "list")


def test_evidence_and_the_outbox_are_read_for_their_schools(cli: Cli, db_url: str) -> None:
    drop_in_inbox(cli, mail("alex@example.org", "sam-ill"))
    drop_in_inbox(cli, mail("kim@example.org", "jo-ill"))
    drop_in_inbox(cli, mail("offers@spam.example", "win"))
    assert cli("mail", "ingest", "--once").returncode == 0
    for mine in ("sam-ill@x.example", "win@x.example"):
        assert cli("evidence", "show", mine, "--by", "DSLA").returncode == 0, mine
    out = cli("evidence", "show", "<jo-ill@x.example>", "--raw", "--by", "DSLA")
    assert out.returncode == 1 and out.stdout == "" and len(out.stderr.splitlines()) == 1
    assert "is not about a pupil of one of your schools" in out.stderr
    every = cli("evidence", "show", "jo-ill@x.example", "--by", "LA").stdout
    assert every == as_account(cli, "evidence", "show", "jo-ill@x.example")
    consent_for(cli, "P1", "alex@example.org")
    consent_for(cli, "P9", "kim@example.org")
    sent = {}
    for upn in (b.UPN_1, b.UPN_2):
        out = cli("letter", "send", "initial_concern", upn, "--json")
        assert out.returncode == 0, out.stderr
        sent[upn] = json.loads(out.stdout)["parents"][0]["message_id"]
    assert cli("evidence", "show", sent[b.UPN_1], "--by", "DSLA").returncode == 0
    theirs = cli("evidence", "show", sent[b.UPN_2], "--json", "--by", "DSLA")
    assert theirs.returncode == 1 and theirs.stderr.splitlines() == [REFUSED_PUPIL]
    queued = lambda out: json.loads(out)["queued"]  # noqa: E731
    assert queued(cli("outbox", "status", "--json", "--by", "DSLA").stdout) == 1
    assert queued(cli("outbox", "status", "--json", "--by", "LA").stdout) == 2
    assert cli("outbox", "status", "--by", "LA").stdout == as_account(cli, "outbox", "status")
    assert [d["action"] for _, _, d in refusals(db_url)] == ["view", "view"]
