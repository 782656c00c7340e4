"""Issue 11 point 10 through the command line, on SQLite and PostgreSQL: the checklist is ready
only when every item has evidence (views in support, siblings checked, a meeting offered more
than one way, no email queued, each parent's address checked within 6 months)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import builders as b
from tests.integration.test_cli import Cli
from tests.integration.test_cli_notice_service import ok

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


def log(cli: Cli, kind: str, summary: str, *extra: str) -> None:
    ok(
        cli,
        "case",
        "log",
        b.UPN_1,
        "--kind",
        kind,
        *BY,
        "--on",
        "2025-03-10",
        "--summary",
        summary,
        *extra,
    )


def everything_but_the_evidence(cli: Cli) -> None:
    log(cli, "contact", "Phoned mother")
    log(cli, "support_offered", "Breakfast club place")
    log(cli, "engagement", "Did not come to the meeting", "--not-engaged")
    log(
        cli,
        "decision",
        "No contract",
        "--about",
        "attendance_contract",
        "--reason",
        "Parents absent",
    )
    log(cli, "decision", "No NTI", "--about", "notice_to_improve", "--reason", "Would not help")
    for service in ("lets_talk", "early_help_drop_in", "taf"):
        log(cli, "service", f"{service} used", "--service", service, "--used")
    log(cli, "circumstances", "No change of address")
    ok(cli, "letter", "send", "initial_concern", b.UPN_1, *BY)  # printed: no email queued


def items(cli: Cli, on: str) -> dict[str, dict[str, object]]:
    doc = ok(cli, "case", "checklist", b.UPN_1, "--on", on, "--json")
    assert doc["on"] == on
    return {i["key"]: i for i in doc["items"] if not i["satisfied"]} | {"ready": doc["ready"]}


def test_the_checklist_is_ready_only_on_evidence(cli: Cli) -> None:
    everything_but_the_evidence(cli)
    log(cli, "meeting", "Offered a meeting", "--way", "phone")
    log(cli, "view", "Refer", "--role", "senior_attendance_champion", "--supports")
    log(cli, "view", "Refer", "--role", "dsl", "--supports")
    log(cli, "view", "An EHCP assessment is under way", "--role", "senco", "--objects")
    log(cli, "siblings", "Not checked yet", "--not-checked")
    gaps = items(cli, "2025-03-12")
    assert set(gaps) == {"meeting_offered", "view_senco", "siblings", "address_checked", "ready"}
    assert gaps["view_senco"]["detail"] == "the SENCO objects: An EHCP assessment is under way"
    assert gaps["address_checked"]["detail"] == (
        "parent P1 (Alex Taylor): never checked (parent address-checked); "
        "parent P2 (Jo Taylor): never checked (parent address-checked)"
    )
    log(cli, "meeting", "Offered again", "--way", "video", "--way", "home-visit")
    log(
        cli,
        "view",
        "Support the referral now the assessment is done",
        "--role",
        "senco",
        "--supports",
    )
    log(cli, "siblings", "No siblings at other schools", "--checked")
    for parent in ("P1", "P2"):
        ok(cli, "parent", "address-checked", parent, "--on", "2025-03-11", *BY)
    assert items(cli, "2025-03-12") == {"ready": True}
    # Six months on, the address checks are stale.
    assert set(items(cli, "2025-09-12")) == {"address_checked", "ready"}


def test_a_view_needs_its_stance_and_siblings_their_check(cli: Cli) -> None:
    out = cli("case", "log", b.UPN_1, "--kind", "view", "--role", "dsl", *BY, "--summary", "x")
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "supportfirst: say whether the DSL (Designated Safeguarding Lead) supports the referral "
        "(--supports or --objects)"
    )
    out = cli("case", "log", b.UPN_1, "--kind", "siblings", *BY, "--summary", "x")
    assert "(--checked or --not-checked)" in out.stderr and out.returncode == 1


def test_an_email_still_queued_is_a_gap_until_it_is_sent(cli: Cli) -> None:
    form = cli.file("consent-form.pdf", b"%PDF-1.4 signed consent form")
    consent = ("--email", "alex@example.org", "--method", "form", "--on", "2025-03-01")
    ok(cli, "consent", "record", "P1", *consent, "--evidence", form)
    ok(cli, "letter", "send", "initial_concern", b.UPN_1, *BY)
    gaps = items(cli, "2025-03-12")
    assert gaps["mail_sent"]["detail"] == "1 still queued (send the outbox)"
    ok(cli, "outbox", "send", "--once")
    assert "mail_sent" not in items(cli, "2025-03-12")
