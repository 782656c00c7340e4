"""The referral pack: the chronology (PDF), every email exactly as sent and received, their
attachments, the consent each relied on, printed letters and hand-delivery slips, and a
manifest of SHA-256 hashes with the audit-chain head, so the local authority can check that
nothing was altered (`verify`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from typing import Protocol

from attendance.authorities import AuthorityRules
from attendance.consent import ConsentRecord
from attendance.postal import AddressVersion
from attendance.referral_evidence import referral_checklist
from attendance.stages import ChecklistItem
from attendance.threshold import (
    THRESHOLD_SESSIONS,
    Mark,
    ThresholdPolicy,
    WeekTally,
    evaluate_weeks,
    popcount,
    tally,
)
from casework.audit import GENESIS
from casework.caselog import case_log
from casework.checklist import case_facts, notice_service, referral_evidence
from casework.packfiles import (
    PackFile,
    consent_files,
    leave_request_files,
    printed_files,
    printed_stem,
    safe_name,
)
from casework.packparents import parent_lines
from casework.packregister import REGISTER_CSV, register_csv, register_rows, stretches
from casework.packservice import service_lines
from casework.packview import ChecklistLine, PackView, TimelineRow, WeekPoint
from casework.packwords import WHAT, entry_words
from casework.ports import Evidence, UnitOfWork
from casework.pupils import school_name
from casework.records import (
    Delivery,
    EmailRecord,
    Entry,
    InboundRecord,
    NoticeRecord,
    ParentRow,
    PrintedCopy,
    PupilRow,
    SchoolContact,
    StaffRecord,
)
from casework.staff import ROLE_TITLES
from casework.thresholds import rules_for_pupil


class ChronologyRenderer(Protocol):
    def __call__(self, view: PackView) -> bytes: ...


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


@dataclass(frozen=True)
class _CaseFile:
    """Everything the pack shows, read in one unit of work so that it is one snapshot."""

    pupil: PupilRow
    school: str
    rules: AuthorityRules
    parents: list[ParentRow]
    addresses: dict[str, list[AddressVersion]]
    consents: list[ConsentRecord]
    sent: list[EmailRecord]
    received: list[InboundRecord]
    printed: list[PrintedCopy]
    marks: list[Mark]
    recorded: list[Mark]  # every school's own marks: the register extract
    schools: dict[str, str]  # URN: name, for each school that recorded a mark
    notices: list[NoticeRecord]
    contact: SchoolContact  # the school's address, phone and attendance email (`school set`)
    deliveries: dict[int, list[Delivery]]  # notice id: each parent's delivery
    entries: list[Entry]
    checklist: tuple[ChecklistItem, ...]
    head: str
    staff: dict[str, StaffRecord]  # by id: who the timeline names

    def who(self, by: str) -> str:
        """A member of staff by name and role as the LA reads them; anyone else as recorded."""
        member = self.staff.get(by)
        return f"{member.name} ({ROLE_TITLES.get(member.role, member.role)})" if member else by


async def build_pack(
    uow: UnitOfWork,
    evidence: Evidence,
    render: ChronologyRenderer,
    upn: str,
    now: datetime,
    prepared_by: str,
) -> Pack:
    case = await _read_case(uow, upn, now.date())
    view = _view(case, now, prepared_by)
    what = "the register extract: every session mark of the windows and periods, per school"
    files = [
        PackFile("chronology.pdf", render(view), "the cover, chronology, chart and checklist"),
        PackFile(REGISTER_CSV, register_csv(upn, view.register), what),
        *_mail_files(case, evidence),
        *consent_files(case.consents, evidence),
        *leave_request_files(case.entries, evidence),
        *printed_files(case.printed, evidence),
    ]
    return Pack(upn, now, case.head, tuple(files))


async def _read_case(uow: UnitOfWork, upn: str, on: date) -> _CaseFile:
    async with uow:
        await uow.snapshot()
        pupil, entries, notices = await case_log(uow, upn)
        parents = await uow.registry.parents_of(upn)
        served, unserved = await notice_service(uow, notices)
        recorded = await uow.marks.recorded(upn)
        schools = {}
        for urn in sorted({m.school for m in recorded} | {pupil.school_urn}):
            row = await uow.registry.school(urn)
            schools[urn] = row.name if row else urn
        return _CaseFile(
            pupil=pupil,
            school=await school_name(uow, pupil),
            contact=await uow.registry.school_contact(pupil.school_urn),
            recorded=recorded,
            schools=schools,
            notices=notices,
            deliveries={n.id: await uow.cases.deliveries(n.id) for n in notices},
            rules=await rules_for_pupil(uow, upn),
            parents=parents,
            addresses={p.parent_id: await uow.registry.addresses(p.parent_id) for p in parents},
            consents=await uow.consents.listing(upn),
            sent=await uow.mail.emails_for(upn),
            received=await uow.mail.inbound(upn),
            printed=await uow.mail.printed_for(upn),
            marks=await uow.marks.for_pupil(upn),
            entries=entries,
            checklist=referral_checklist(
                case_facts(entries, served, unserved),
                await referral_evidence(uow, upn, entries, on),
            ),
            head=await uow.audit.head() or GENESIS,
            staff={m.id: m for m in await uow.chat.all_staff()},
        )


@dataclass(frozen=True)
class _Eml:
    """One stored email as the pack files it: its stem, its bytes' hash, and how it is named."""

    stem: str
    sha256: str
    what: str
    whose: str  # whose attachments these are


def _email_files(folder: str, emails: list[_Eml], evidence: Evidence) -> list[PackFile]:
    """Each email's .eml exactly as stored, then its attachments in a folder of their own."""
    files: list[PackFile] = []
    for e in emails:
        raw = evidence.get(e.sha256)
        files.append(PackFile(f"emails/{folder}/{e.stem}.eml", raw, e.what))
        files += [
            PackFile(
                f"attachments/{folder}/{e.stem}/{safe_name(name)}", data, f"attachment of {e.whose}"
            )
            for name, data in _attachments(raw)
        ]
    return files


def _sent_stem(n: int, e: EmailRecord) -> str:
    return f"{n:03d}-{e.template}-{safe_name(e.parent_id)}"


def _proof_files(case: _CaseFile) -> dict[str, str]:
    """Where the pack files each notice's proof of service: message id, or slip:<printed id>."""
    found = {
        e.message_id: f"emails/sent/{_sent_stem(n, e)}.eml" for n, e in enumerate(case.sent, 1)
    }
    found.update({f"slip:{p.id}": f"{printed_stem(p)}-slip.pdf" for p in case.printed})
    return found


def _mail_files(case: _CaseFile, evidence: Evidence) -> list[PackFile]:
    """Every email sent and received on the case, in the order they were stored."""
    sent = [
        _Eml(
            stem=_sent_stem(n, e),
            sha256=e.sha256,
            what=f"email {e.message_id} to {e.recipient}, {e.state}",
            whose=f"email {e.message_id}",
        )
        for n, e in enumerate(case.sent, 1)
    ]
    received = [
        _Eml(
            f"{n:03d}-{r.mail_class}",
            r.sha256,
            f"{r.mail_class} from {r.from_address or 'unknown'}",
            f"received email {r.message_id}",
        )
        for n, r in enumerate(case.received, 1)
    ]
    return _email_files("sent", sent, evidence) + _email_files("received", received, evidence)


def _view(case: _CaseFile, now: datetime, prepared_by: str) -> PackView:
    pupil, upn = case.pupil, case.pupil.upn
    emails = {e.message_id: e for e in case.sent}
    name = f"{pupil.first_name} {pupil.last_name}"
    policy = case.rules.policy
    covered = stretches(case.entries, case.notices, case.marks, policy)
    return PackView(
        f"Referral pack: {name} ({upn})",
        now,
        case.school,
        case.rules.name,
        name,
        upn,
        pupil.date_of_birth,
        pupil.year_group,
        parent_lines(case.parents, case.consents, case.addresses, case.entries),
        tuple(sorted({case.who(e.by) for e in case.entries if e.by and e.by != "supportfirst"})),
        tuple(
            TimelineRow(e.on, case.who(e.by), WHAT.get(e.kind, e.kind), *entry_words(e, emails))
            for e in case.entries
        ),
        tuple(
            ChecklistLine(i.label, _state(i.satisfied, i.detail), i.detail) for i in case.checklist
        ),
        _weeks(tally(case.marks), policy),
        THRESHOLD_SESSIONS,
        case.head,
        school_urn=pupil.school_urn,
        prepared_by=case.who(prepared_by) if prepared_by else "",
        school_address=case.contact.address,
        school_phone=case.contact.phone,
        school_email=case.contact.email,
        register=register_rows(case.recorded, covered, case.schools, policy),
        stretches=covered,
        service=service_lines(
            case.notices, case.deliveries, case.parents, emails, case.printed, _proof_files(case)
        ),
    )


def _state(satisfied: bool, detail: str) -> str:
    """done, not_applicable (satisfied by a recorded reason, "not used: …"), or missing."""
    if not satisfied:
        return "missing"
    return "not_applicable" if detail.startswith("not used") else "done"
