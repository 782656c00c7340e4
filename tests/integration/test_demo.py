"""`supportfirst demo` on the embedded defaults: it plays the whole flow and names the pack."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from pypdf import PdfReader

from casework.packzip import read_zip, verify_files

# Every time the demo records, per table: none may be after the pack's "generated".
TIMES = {
    "case_entry": ("occurred_on", "recorded_at"),
    "audit_entry": ("at",),
    "outgoing_mail": ("queued_at", "sent_at", "deemed_received_on"),
    "inbound_mail": ("received_at",),
    "printed_letter": ("created_at", "delivered_on", "deemed_received_on"),
    "consent": ("given_on",),
}


def recorded_before(database: Path, generated: datetime) -> None:
    with closing(sqlite3.connect(database)) as db:
        for table, columns in TIMES.items():
            for column in columns:
                rows = db.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")
                values = [str(v) for (v,) in rows]
                assert values, (table, column)
                latest = max(values)
                if len(latest) == 10:  # a date: not after the day the pack was made
                    assert latest <= generated.date().isoformat(), (table, column, latest)
                else:
                    at = datetime.fromisoformat(latest)
                    at = at if at.tzinfo else at.replace(tzinfo=UTC)
                    assert at <= generated, (table, column, latest)
    assert generated.year == 2025  # the term it plays, not the day it was run


def names_agree(database: Path, pack: dict[str, bytes]) -> None:
    """Each email names the pupil of its UPN, greets the parent it went to, and each reply
    answers the subject of the email it replies to."""
    with closing(sqlite3.connect(database)) as db:
        pupils = {
            u: (f, s) for u, f, s in db.execute("SELECT upn, first_name, last_name FROM pupil")
        }
        parents = dict(db.execute("SELECT parent_id, name FROM parent"))
        mails = db.execute(
            "SELECT upn, parent_id, sha256, message_id FROM outgoing_mail"
        ).fetchall()
    subjects = {}
    for upn, parent_id, sha256, message_id in mails:
        sent = message_from_bytes(
            (database.parent / "evidence" / sha256[:2] / sha256[2:4] / sha256).read_bytes(),
            policy=default,
        )
        first, surname = pupils[upn]
        assert first in str(sent["Subject"]), (upn, sent["Subject"])
        body = sent.get_body(("plain",))
        assert body is not None and f"Dear {parents[parent_id]}" in body.get_content()
        assert parents[parent_id].endswith(surname)  # one family, one surname
        subjects[message_id] = str(sent["Subject"])
    replies = [
        message_from_bytes(v, policy=default)
        for k, v in pack.items()
        if k.startswith("emails/received/") and k.endswith(".eml")
    ]
    answered = [r for r in replies if r["In-Reply-To"] and str(r["In-Reply-To"]) in subjects]
    assert answered
    for r in answered:
        assert str(r["Subject"]).endswith(subjects[str(r["In-Reply-To"])])
    cover = " ".join(
        (PdfReader(io.BytesIO(pack["chronology.pdf"])).pages[0].extract_text() or "").split()
    )
    upn = json.loads(pack["manifest.json"])["upn"]
    first, surname = pupils[upn]
    assert f"Pupil {first} {surname}" in cover and f"UPN {upn}" in cover


def test_the_demo_plays_the_flow_and_names_a_pack_that_verifies(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTFIRST_", "SLACK_"))}
    done = subprocess.run(
        [sys.executable, "-m", "supportfirst", "demo", "--out", str(tmp_path / "demo")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "met the national threshold" in out and "NtiBreached" in out
    assert "a reply, an out-of-office, a bounce): 3 filed to cases, 0 quarantined" in out
    found = re.search(r"Referral pack: (\S+\.zip) \((\d+) files; verify: ok\)", out)
    assert found is not None, out
    pack = read_zip(Path(found.group(1)).read_bytes())
    assert verify_files(pack) == [] and "chronology.pdf" in pack
    assert any(p.startswith("emails/received/") for p in pack)
    generated = datetime.fromisoformat(json.loads(pack["manifest.json"])["generated_at"])
    recorded_before(tmp_path / "demo" / "supportfirst.db", generated)
    names_agree(tmp_path / "demo" / "supportfirst.db", pack)
    again = subprocess.run(
        [sys.executable, "-m", "supportfirst", "demo", "--out", str(tmp_path / "demo")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 1 and "not empty" in again.stderr
