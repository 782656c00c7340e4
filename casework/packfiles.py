"""The files a referral pack carries beside the mail, each exactly as stored: the consent each
email relied on and its written evidence, the printed letters and their hand-delivery slips, and
the parent's written request for term-time leave that a leave response answers."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from attendance.consent import ConsentRecord
from casework.ports import Evidence
from casework.records import Entry, PrintedCopy


@dataclass(frozen=True)
class PackFile:
    path: str
    content: bytes
    what: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def safe_name(name: str) -> str:
    """A name from a parent's attachment or an imported id as one path segment: never `..`,
    never hidden (a leading dot), nothing but ASCII letters, digits, `.`, `_`, `-`."""
    kept = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
    kept = kept.replace("..", "__")
    return ("_" + kept[1:] if kept.startswith(".") else kept)[:80] or "file"


def consent_files(consents: list[ConsentRecord], evidence: Evidence) -> list[PackFile]:
    files: list[PackFile] = []
    for consent in consents:
        stem = f"consent/consent-{consent.id}-{safe_name(consent.parent_id)}"
        record = {
            "consent_id": consent.id,
            "parent_id": consent.parent_id,
            "email": consent.email,
            "method": consent.method,
            "given_on": consent.given_on.isoformat(),
            "withdrawn_on": consent.withdrawn_on.isoformat() if consent.withdrawn_on else None,
            "evidence_sha256": consent.evidence_sha256,
        }
        files.append(
            PackFile(
                f"{stem}.json",
                (json.dumps(record, indent=2) + "\n").encode(),
                f"parent {consent.parent_id}'s consent to email at {consent.email}",
            )
        )
        if consent.evidence_sha256:
            data = evidence.get(consent.evidence_sha256)
            ext = ".pdf" if data.startswith(b"%PDF") else ".bin"
            what = (
                f"the copy of parent {consent.parent_id}'s consent ({consent.method}, "
                f"{consent.given_on})"
            )
            files.append(PackFile(f"{stem}{ext}", data, what))
    return files


def printed_files(printed: list[PrintedCopy], evidence: Evidence) -> list[PackFile]:
    files: list[PackFile] = []
    for p in printed:
        stem = printed_stem(p)
        delivered = (
            f", {p.delivered_how} on {p.delivered_on} by {p.delivered_by}"
            if p.delivered_on
            else ", delivery not yet recorded"
        )
        files += [
            PackFile(
                f"{stem}-letter.pdf",
                evidence.get(p.letter_sha256),
                f"printed {p.template} for parent {p.parent_id}",
            ),
            PackFile(
                f"{stem}-slip.pdf",
                evidence.get(p.slip_sha256),
                f"hand-delivery slip for the {p.template}{delivered}",
            ),
        ]
    return files


def printed_stem(p: PrintedCopy) -> str:
    return f"slips/{p.id:03d}-{p.template}-{safe_name(p.parent_id)}"


def leave_request_path(e: Entry) -> str | None:
    """Where the pack files the written request a `leave_request` entry recorded, if one came."""
    name = e.details.get("request_file")
    if e.kind != "leave_request" or not e.details.get("request_sha256") or not name:
        return None
    return f"requests/{e.id:03d}-leave-request-{safe_name(str(name))}"


def leave_request_files(entries: list[Entry], evidence: Evidence) -> list[PackFile]:
    """Each parent's written request for term-time leave, byte for byte, beside the school's
    response (the local authority reads both)."""
    files = []
    for e in entries:
        path = leave_request_path(e)
        if path is None:
            continue
        d = e.details
        what = (
            f"the parent's written request for term-time leave from {d.get('leave_from')} to "
            f"{d.get('leave_to')} ({d.get('request_file')}), answered on {e.on}"
        )
        files.append(PackFile(path, evidence.get(str(d["request_sha256"])), what))
    return files
