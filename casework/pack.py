"""The referral pack: the chronology (PDF), every email exactly as sent and received, their
attachments, the consent each relied on, printed letters and hand-delivery slips, and a
manifest of SHA-256 hashes with the audit-chain head, so the local authority can check that
nothing was altered (`verify`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from typing import Protocol

from attendance.threshold import ThresholdPolicy, WeekTally, evaluate_weeks, popcount, tally
from casework.audit import GENESIS
from casework.caselog import chronology
from casework.checklist import checklist
from casework.errors import NotFound
from casework.packview import ChecklistLine, PackView, ParentLine, TimelineRow, WeekPoint
from casework.ports import Evidence, UnitOfWork
from casework.records import EmailRecord, Entry, InboundRecord
from casework.thresholds import rules_for_pupil

WHAT = {
    "support_offered": "Support offered",
    "contact": "Contact",
    "meeting": "Meeting",
    "engagement": "Engagement",
    "stage_changed": "Stage changed",
    "contract": "Attendance contract",
    "referral": "Referral to another agency",
    "service": "Service",
    "view": "View recorded",
    "decision": "Decision",
    "siblings": "Siblings",
    "circumstances": "Circumstances",
    "note": "Note",
    "nti_issued": "Notice to Improve issued",
    "nti_breached": "Notice to Improve breached",
    "nti_ended": "Notice to Improve ended",
    "threshold_met": "Threshold met",
    "letter_sent": "Letter sent",
    "letter_delivered": "Letter delivered",
    "parent_replied": "Parent replied",
    "auto_reply": "Automatic reply",
    "read_receipt": "Read receipt",
    "delivery_confirmed": "Delivery confirmed",
    "email_delayed": "Email delayed",
    "email_failed": "Email failed",
    "notice_not_served": "Notice NOT served",
    "consent_recorded": "Consent recorded",
    "consent_withdrawn": "Consent withdrawn",
    "alert_acknowledged": "Alert acknowledged",
    "time_limit_near": "Prosecution time limit near",
}


class ChronologyRenderer(Protocol):
    def __call__(self, view: PackView) -> bytes: ...


@dataclass(frozen=True)
class PackFile:
    path: str
    content: bytes
    what: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Pack:
    upn: str
    generated_at: datetime
    audit_head: str
    files: tuple[PackFile, ...]

    def manifest(self) -> bytes:
        doc = {
            "upn": self.upn,
            "generated_at": self.generated_at.isoformat(),
            "audit_head": self.audit_head,
            "files": [
                {"path": f.path, "sha256": f.sha256, "size": len(f.content), "what": f.what}
                for f in self.files
            ],
        }
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def _how(e: Entry, emails: dict[str, EmailRecord]) -> tuple[str, str]:
    d = e.details
    if e.kind == "letter_sent":
        if d.get("route") == "email":
            email = emails.get(str(d.get("message_id")))
            if email is None:
                return f"email to {d.get('recipient')}", ""
            if email.state == "sent" and email.sent_at is not None:
                outcome = (
                    f"accepted {email.sent_at:%d %b %Y %H:%M} ({email.smtp_code} "
                    f"{email.smtp_text or ''}); deemed received {email.deemed_received_on}"
                )
            elif email.state == "failed":
                outcome = f"NOT delivered: {email.failure}"
            else:
                outcome = f"{email.state} (not yet sent)"
            return f"email to {email.recipient} (consent {email.consent_id})", outcome
        return "printed for post or hand delivery", "see the hand-delivery slip"
    if e.kind == "meeting":
        return "offered " + ", ".join(d.get("ways_offered", [])), ""
    if e.kind == "engagement":
        return "", "engaged" if d.get("engaged") else "not engaged"
    if e.kind in ("parent_replied", "auto_reply", "delivery_confirmed"):
        return f"email from {d.get('from') or '-'}", ""
    if e.kind == "decision":
        return str(d.get("about", "")).replace("_", " "), str(d.get("reason", ""))
    return "", str(d.get("reason", "") or "")


def _weeks(weeks: Mapping[date, WeekTally], policy: ThresholdPolicy) -> tuple[WeekPoint, ...]:
    """Each school week: its unauthorised sessions and the 10-week window ending that Friday."""
    points = []
    for monday in sorted(weeks):
        week = weeks[monday]
        if not week.school:
            continue
        window = evaluate_weeks(weeks, monday + timedelta(days=4), policy)
        unauthorised = popcount(week.counted(policy.codes))
        points.append(WeekPoint(monday, unauthorised, window.unauthorised_sessions))
    return tuple(points)


def _attachments(raw: bytes) -> list[tuple[str, bytes]]:
    found = []
    try:
        msg: Message = message_from_bytes(raw, policy=compat32)
        for part in msg.walk():
            name = part.get_filename()
            if name and not part.is_multipart():
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    found.append((name, payload))
    except Exception:  # a malformed message keeps its .eml; it just has no attachments listed
        return []
    return found


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:80] or "file"


async def build_pack(
    uow: UnitOfWork,
    evidence: Evidence,
    render: ChronologyRenderer,
    upn: str,
    now: datetime,
) -> Pack:
    c = await chronology(uow, upn)
    items = (await checklist(uow, upn)).items
    async with uow:
        pupil = await uow.registry.pupil(upn)
        if pupil is None:
            raise NotFound(f"no pupil with UPN {upn}")
        school = await uow.registry.school(pupil.school_urn)
        rules = await rules_for_pupil(uow, upn)
        parents = await uow.registry.parents_of(upn)
        consents = await uow.consents.listing(upn)
        sent = await uow.mail.emails_for(upn)
        received: list[InboundRecord] = await uow.mail.inbound(upn)
        printed = await uow.mail.printed_for(upn)
        marks = await uow.marks.for_pupil(upn)
        head = await uow.audit.head() or GENESIS
    emails = {e.message_id: e for e in sent}
    files: list[PackFile] = []
    for n, e in enumerate(sent, 1):
        raw = evidence.get(e.sha256)
        stem = f"{n:03d}-{e.template}-{_safe(e.parent_id)}"
        files.append(
            PackFile(
                f"emails/sent/{stem}.eml", raw, f"email {e.message_id} to {e.recipient}, {e.state}"
            )
        )
        for name, data in _attachments(raw):
            files.append(
                PackFile(
                    f"attachments/sent/{stem}/{_safe(name)}",
                    data,
                    f"attachment of email {e.message_id}",
                )
            )
    for n, r in enumerate(received, 1):
        raw = evidence.get(r.sha256)
        stem = f"{n:03d}-{r.mail_class}"
        files.append(
            PackFile(
                f"emails/received/{stem}.eml",
                raw,
                f"{r.mail_class} from {r.from_address or 'unknown'}",
            )
        )
        for name, data in _attachments(raw):
            files.append(
                PackFile(
                    f"attachments/received/{stem}/{_safe(name)}",
                    data,
                    f"attachment of received email {r.message_id}",
                )
            )
    for consent in consents:
        stem = f"consent/consent-{consent.id}-{_safe(consent.parent_id)}"
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
            files.append(
                PackFile(
                    f"{stem}{ext}",
                    data,
                    f"the copy of parent {consent.parent_id}'s consent ({consent.method}, "
                    f"{consent.given_on})",
                )
            )
    for p in printed:
        stem = f"{p.id:03d}-{p.template}-{_safe(p.parent_id)}"
        files.append(
            PackFile(
                f"slips/{stem}-letter.pdf",
                evidence.get(p.letter_sha256),
                f"printed {p.template} for parent {p.parent_id}",
            )
        )
        delivered = (
            f", {p.delivered_how} on {p.delivered_on} by {p.delivered_by}"
            if p.delivered_on
            else ", delivery not yet recorded"
        )
        files.append(
            PackFile(
                f"slips/{stem}-slip.pdf",
                evidence.get(p.slip_sha256),
                f"hand-delivery slip for the {p.template}{delivered}",
            )
        )
    in_force = {x.parent_id: x for x in consents if x.withdrawn_on is None}
    view = PackView(
        f"Referral pack: {pupil.first_name} {pupil.last_name} ({upn})",
        now,
        school.name if school else pupil.school_urn,
        rules.name,
        f"{pupil.first_name} {pupil.last_name}",
        upn,
        pupil.date_of_birth,
        pupil.year_group,
        tuple(
            ParentLine(
                p.parent_id,
                p.name,
                p.relationship,
                f"email {in_force[p.parent_id].email} (consent {in_force[p.parent_id].id}, "
                f"{in_force[p.parent_id].method}, {in_force[p.parent_id].given_on})"
                if p.parent_id in in_force
                else "post: no consent to email",
            )
            for p in parents
        ),
        tuple(sorted({e.by for e in c.entries if e.by and e.by != "supportfirst"})),
        tuple(
            TimelineRow(e.on, e.by, WHAT.get(e.kind, e.kind), *_how_summary(e, emails))
            for e in c.entries
        ),
        tuple(
            ChecklistLine(
                i.label,
                _state(i.satisfied, i.detail),
                i.detail,
            )
            for i in items
        ),
        _weeks(tally(marks), rules.policy),
        10,
        head,
    )
    files.insert(0, PackFile("chronology.pdf", render(view), "the chronology, chart and checklist"))
    return Pack(upn, now, head, tuple(files))


def _state(satisfied: bool, detail: str) -> str:
    """done, not_applicable (satisfied by a recorded reason, "not used: …"), or missing."""
    if not satisfied:
        return "missing"
    return "not_applicable" if detail.startswith("not used") else "done"


def _how_summary(e: Entry, emails: dict[str, EmailRecord]) -> tuple[str, str, str]:
    how, outcome = _how(e, emails)
    return how, e.summary, outcome
