"""`mail quarantine|attach|dismiss` as a school's script drives them (CONTRACT.md, Additions
2026-12): what waits, attached to a case as a parent's reply, dismissed, each audited."""

from __future__ import annotations

import json

from tests import builders as b
from tests.integration.test_cli import Cli, cli, seeded  # noqa: F401  (fixtures)
from tests.integration.test_mail_cli import drop_in_inbox

ILL = (
    b"From: alex.new@example.net\r\nSubject: Sam is ill\r\nMessage-ID: <ill@x.net>\r\n\r\nFever\r\n"
)
SPAM = b"From: offers@spam.example\r\nSubject: Win!\r\nMessage-ID: <win@spam.example>\r\n\r\n$$\r\n"


def test_staff_attach_a_quarantined_reply_to_its_case_and_dismiss_the_spam(cli: Cli) -> None:  # noqa: F811
    drop_in_inbox(cli, ILL)
    drop_in_inbox(cli, SPAM)
    assert cli("mail", "ingest", "--once").returncode == 0
    waiting = json.loads(cli("mail", "quarantine", "--json").stdout)["messages"]
    assert [(m["from"], m["class"]) for m in waiting] == [
        ("alex.new@example.net", "reply"),
        ("offers@spam.example", "reply"),
    ]
    ill, spam = (str(m["id"]) for m in waiting)
    done = cli(
        "mail",
        "attach",
        ill,
        b.UPN_1,
        "--parent",
        "P1",
        "--reason",
        "mum's work address",
        "--by",
        "Ms Patel",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "id": int(ill),
        "triage": "attached",
        "upn": b.UPN_1,
        "entry": "parent_replied",
    }
    done = cli("mail", "dismiss", "<win@spam.example>", "--reason", "spam", "--by", "Ms Patel")
    assert done.returncode == 0 and done.stdout.strip() == f"message {spam} dismissed"
    assert cli("mail", "quarantine").stdout.strip() == "Nothing waits in the quarantine."
    entries = json.loads(cli("case", "show", b.UPN_1, "--json").stdout)["entries"]
    assert (
        entries[-1]["kind"] == "parent_replied" and "mum's work address" in entries[-1]["summary"]
    )
    inbox = json.loads(cli("mail", "inbox", "--json").stdout)["messages"]
    assert [(m["upn"], m["triage"], m["parent_id"]) for m in inbox] == [
        (b.UPN_1, "attached", "P1"),
        (None, "dismissed", None),
    ]


def test_a_second_triage_or_a_wrong_parent_is_one_line_and_exit_1(cli: Cli) -> None:  # noqa: F811
    drop_in_inbox(cli, ILL)
    assert cli("mail", "ingest", "--once").returncode == 0
    done = cli(
        "mail",
        "attach",
        "1",
        "--upn",
        b.UPN_1,
        "--parent",
        "P7",
        "--reason",
        "r",
        "--by",
        "Ms Patel",
    )
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "P7 is not a parent of" in done.stderr and "Traceback" not in done.stderr
    assert cli("mail", "dismiss", "1", "--reason", "dup", "--by", "Ms Patel").returncode == 0
    again = cli("mail", "dismiss", "1", "--reason", "dup", "--by", "Ms Patel")
    assert again.returncode == 1 and "already dismissed by HEAD" in again.stderr
    assert cli("mail", "attach", "1", "--reason", "r", "--by", "Ms Patel").returncode != 0
