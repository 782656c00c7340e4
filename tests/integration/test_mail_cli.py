"""The mail commands as schools' scripts drive them, on the embedded defaults: letters by email
or post, the outbox, evidence, and replies read back (CONTRACT.md)."""

from __future__ import annotations

import hashlib
import json
import mailbox
import sqlite3
import subprocess
import sys
import zipfile
from contextlib import closing
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from casework.packzip import read_zip
from tests import builders as b
from tests.integration.test_cli import Cli, cli, seeded  # noqa: F401  (fixtures)
from tests.shared import shared_path

PARENT = "alex@example.org"


def consent(cli: Cli) -> None:  # noqa: F811
    form = cli.file("form.pdf", b"%PDF-1.4 signed consent form")
    done = cli(
        "consent",
        "record",
        "P1",
        "--email",
        PARENT,
        "--method",
        "form",
        "--on",
        "2025-03-01",
        "--evidence",
        form,
    )
    assert done.returncode == 0, done.stderr


def outbound(cli: Cli, address: str = PARENT) -> list[bytes]:  # noqa: F811
    folder = cli.folder / "data" / "maildir" / "outbound" / address
    return [p.read_bytes() for sub in ("new", "cur") for p in sorted((folder / sub).iterdir())]


def test_letter_send_emails_the_consenting_parent_and_prints_for_the_other(cli: Cli) -> None:  # noqa: F811
    consent(cli)
    done = cli("letter", "send", "initial_concern", b.UPN_1, "--by", "Ms Patel", "--json")
    assert done.returncode == 0, done.stderr
    parents = json.loads(done.stdout)["parents"]
    assert [(p["parent_id"], p["route"]) for p in parents] == [("P1", "email"), ("P2", "post")]
    assert parents[0]["message_id"].startswith("<") and parents[1]["message_id"] is None
    status = json.loads(cli("outbox", "status", "--json").stdout)
    assert status == {"queued": 1, "sending": 0, "sent": 0, "failed": 0}


def test_outbox_send_once_delivers_the_evidence_bytes_to_the_local_maildir(cli: Cli) -> None:  # noqa: F811
    consent(cli)
    sent = json.loads(cli("letter", "send", "initial_concern", b.UPN_1, "--json").stdout)
    message_id = sent["parents"][0]["message_id"]
    done = cli("outbox", "send", "--once")
    assert done.returncode == 0, done.stderr
    assert "sent 1" in done.stdout
    stored = _raw(cli, message_id)
    [delivered] = outbound(cli)
    assert delivered == f"Return-Path: <{summary_of(cli, message_id)}>\r\n".encode() + stored
    summary = json.loads(cli("evidence", "show", message_id, "--json").stdout)
    assert summary["matches"] is True and summary["state"] == "sent" and summary["queue_id"] is None
    assert summary["consent_id"] == 1 and summary["recipient"] == PARENT


def summary_of(cli: Cli, message_id: str) -> str:  # noqa: F811
    """The envelope sender the message went out with."""
    return str(json.loads(cli("evidence", "show", message_id, "--json").stdout)["envelope_from"])


def _raw(cli: Cli, message_id: str) -> bytes:  # noqa: F811
    done = subprocess.run(
        [sys.executable, "-m", "supportfirst", "evidence", "show", message_id, "--raw"],
        env=cli.env,
        cwd=cli.folder,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_evidence_show_says_when_the_stored_bytes_were_changed(cli: Cli) -> None:  # noqa: F811
    consent(cli)
    sent = json.loads(cli("letter", "send", "initial_concern", b.UPN_1, "--json").stdout)
    message_id = sent["parents"][0]["message_id"]
    sha = json.loads(cli("evidence", "show", message_id, "--json").stdout)["sha256"]
    blob = cli.folder / "data" / "evidence" / sha[:2] / sha[2:4] / sha
    blob.write_bytes(blob.read_bytes() + b"tampered")
    done = cli("evidence", "show", message_id)
    assert done.returncode == 1 and "no longer match" in done.stderr
    assert f"sha256: {sha}" in done.stdout and "matches: False" in done.stdout


def reply_to(original: bytes, extra: str = "") -> bytes:
    sent = message_from_bytes(original, policy=default)
    return (
        f"Return-Path: <{PARENT}>\r\nFrom: Alex Taylor <{PARENT}>\r\n"
        f"To: {sent['Reply-To']}\r\nSubject: Re: {sent['Subject']}\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\nMessage-ID: <r{len(extra)}@example.org>\r\n"
        f"{extra}Content-Type: text/plain\r\n\r\nYes, Thursday suits us.\r\n"
    ).encode()


def drop_in_inbox(cli: Cli, raw: bytes) -> None:  # noqa: F811
    folder = cli.folder / "data" / "maildir" / "inbox"
    folder.parent.mkdir(parents=True, exist_ok=True)
    box = mailbox.Maildir(folder, create=True)
    box.add(raw)  # bytes as they are (a Message would be re-generated)


@pytest.mark.parametrize("workers", ["0", "2"])  # read in-process, and in a pool of two
def test_a_reply_lands_in_the_chronology_and_the_inbox_listing(cli: Cli, workers: str) -> None:  # noqa: F811
    cli.env["SUPPORTFIRST_INGEST_WORKERS"] = workers
    cli.env["SUPPORTFIRST_INGEST_BATCH"] = "2"  # two batches: the second read while one is filed
    consent(cli)
    sent = json.loads(cli("letter", "send", "initial_concern", b.UPN_1, "--json").stdout)
    original = _raw(cli, sent["parents"][0]["message_id"])
    drop_in_inbox(cli, reply_to(original))
    drop_in_inbox(cli, reply_to(original, "Auto-Submitted: auto-replied\r\n"))
    drop_in_inbox(cli, b"From: stranger@example.net\r\nSubject: hello\r\n\r\nhi\r\n")
    done = cli("mail", "ingest", "--once", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"read": 3, "new": 3, "matched": 2, "quarantined": 1}
    again = json.loads(cli("mail", "ingest", "--once", "--json").stdout)
    assert again["new"] == 0
    messages = json.loads(cli("mail", "inbox", "--json").stdout)["messages"]
    assert [(m["class"], m["upn"], m["quarantined"]) for m in messages] == [
        ("reply", b.UPN_1, False),
        ("auto_reply", b.UPN_1, False),
        ("reply", None, True),
    ]
    kinds = [
        e["kind"] for e in json.loads(cli("case", "show", b.UPN_1, "--json").stdout)["entries"]
    ]
    assert {"letter_sent", "parent_replied", "auto_reply"} <= set(kinds)


MALFORMED = {
    "no-message-id": b"From: a@example.net\r\nSubject: no id\r\n\r\nbody\r\n",
    "8bit-headers": "From: Zoë <zoe@example.net>\r\nSubject: Grüße ✓\r\n\r\nx\r\n".encode(),
    "bad-charset": b"From: a@example.net\r\nContent-Type: text/plain; charset=x-unknown-42\r\n"
    b"Subject: =?x-unknown-42?Q?=FF?=\r\n\r\n\xff\xfe\r\n",
    "broken-mime": b"From: a@example.net\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;"
    b' boundary="zz"\r\n\r\n--zz\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: '
    b"base64\r\n\r\n%%%not base64%%%\r\n",
    "huge-attachment": b"From: a@example.net\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
    b'mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n" + b"QUFBQUFB" * 9 * 2**17 + b"\r\n--b--\r\n",
    "no-headers": b"just some bytes\x00\x01 with no header block at all",
}


@pytest.mark.parametrize("workers", ["0", "2"])
def test_malformed_mail_is_stored_raw_and_quarantined_without_a_crash(
    cli: Cli,  # noqa: F811
    workers: str,
) -> None:
    cli.env["SUPPORTFIRST_INGEST_WORKERS"] = workers
    extra = sorted(shared_path("mail-corpus").glob("*.eml"))
    blobs = list(MALFORMED.values()) + [p.read_bytes() for p in extra]
    for raw in blobs:
        drop_in_inbox(cli, raw)
    done = cli("mail", "ingest", "--once", "--json")
    assert done.returncode == 0, done.stderr
    messages = json.loads(cli("mail", "inbox", "--json").stdout)["messages"]
    assert len(messages) == len({hashlib.sha256(r).hexdigest() for r in blobs})
    evidence = cli.folder / "data" / "evidence"
    for m in messages:
        sha = m["sha256"]
        assert (evidence / sha[:2] / sha[2:4] / sha).is_file()
        assert m["quarantined"] and m["reason"]  # none of these answers a message we sent


def test_a_notice_for_post_is_printed_then_its_posting_sets_deemed_receipt(cli: Cli) -> None:  # noqa: F811
    done = cli(
        "nti",
        "issue",
        b.UPN_1,
        "--by",
        "Ms Patel",
        "--on",
        "2025-03-07",
        "--improvement",
        "No further unauthorised absence",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    notice = json.loads(done.stdout)
    [first, _] = notice["parents"]
    assert first["route"] == "post" and first["message_id"] is None
    printed = cli("letter", "print", str(first["printed_id"]), "--out", "print")
    files = [Path(cli.folder / p) for p in printed.stdout.split()]
    assert len(files) == 2 and all(f.read_bytes().startswith(b"%PDF") for f in files)
    posted = cli(
        "letter",
        "delivered",
        str(first["printed_id"]),
        "--how",
        "post",
        "--by",
        "Ms Patel",
        "--on",
        "2025-03-07",
    )
    assert posted.returncode == 0 and "deemed received 2025-03-11" in posted.stdout
    again = cli("letter", "delivered", str(first["printed_id"]), "--how", "hand", "--by", "HEAD")
    assert again.returncode == 1 and "already posted first class" in again.stderr
    kinds = [
        e["kind"] for e in json.loads(cli("case", "show", b.UPN_1, "--json").stdout)["entries"]
    ]
    assert kinds.count("letter_sent") == 2 and "letter_delivered" in kinds


def test_pack_then_verify_and_a_tampered_pack_fails_naming_the_file(cli: Cli) -> None:  # noqa: F811
    consent(cli)
    cli("letter", "send", "initial_concern", b.UPN_1, "--json")
    done = cli("pack", b.UPN_1, "--out", "pack.zip", "--by", "Ms Patel")
    assert done.returncode == 0, done.stderr
    assert "manifest SHA-256" in done.stdout
    ok = cli("verify", "pack.zip")
    assert ok.returncode == 0 and "match the manifest" in ok.stdout
    key = cli("key", "show").stdout.strip()
    signed = cli("verify", "pack.zip", "--key", key)
    assert signed.returncode == 0 and f"signed by the key given: {key}" in signed.stdout
    assert (cli.folder / "pack.zip").stat().st_mode & 0o777 == 0o600  # personal data
    files = read_zip((cli.folder / "pack.zip").read_bytes())
    files["chronology.pdf"] = files["chronology.pdf"] + b" "
    with zipfile.ZipFile(cli.folder / "tampered.zip", "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    bad = cli("verify", "tampered.zip")
    assert bad.returncode == 1 and "chronology.pdf: changed" in bad.stdout
    assert "1 problem" in bad.stderr
    audit = cli("audit", "verify")
    assert audit.returncode == 0


def exports(cli: Cli) -> list[str]:  # noqa: F811
    """The `to` of every pack export in the audit log, read straight from the database."""
    with closing(sqlite3.connect(cli.folder / "data" / "supportfirst.db")) as db:
        rows = db.execute("SELECT details FROM audit_entry WHERE action = 'pack.built'")
        return [json.loads(details)["to"] for (details,) in rows]


def test_a_pack_that_cannot_be_written_is_not_audited_and_leaves_nothing(cli: Cli) -> None:  # noqa: F811
    consent(cli)
    (cli.folder / "taken").mkdir()  # the file name is a folder: the rename onto it fails
    failed = cli("pack", b.UPN_1, "--out", "taken", "--by", "Ms Patel")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    [line] = failed.stderr.strip().splitlines()
    assert "--out: taken could not be written" in line
    assert list((cli.folder / "taken").iterdir()) == []
    assert not [p for p in cli.folder.iterdir() if p.name.endswith(".tmp")]  # no half pack
    assert exports(cli) == []
    written = cli("pack", b.UPN_1, "--out", "pack.zip", "--by", "Ms Patel")
    assert written.returncode == 0, written.stderr
    assert exports(cli) == ["file:pack.zip"]
    assert cli("audit", "verify").returncode == 0
