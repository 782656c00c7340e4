"""The pre-referral checklist: what the LA's compliance team will ask for, read off the case log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from attendance.referral_evidence import (
    ParentAddressCheck,
    ReferralEvidence,
    StaffView,
    referral_checklist,
)
from attendance.stages import CaseFacts, ChecklistItem, ready_for_referral
from casework.addresses import ADDRESS_CHECKED
from casework.caselog import case_log
from casework.escalation import untold_escalations
from casework.notice_service import unserved_parents
from casework.ports import UnitOfWork
from casework.records import EmailState, Entry, NoticeRecord, NoticeStatus

# Entries that mean a copy of a letter or email is on file.
LETTER_KINDS = ("letter_sent", "nti_issued")


@dataclass(frozen=True)
class Checklist:
    upn: str
    items: tuple[ChecklistItem, ...]

    @property
    def ready(self) -> bool:
        return ready_for_referral(self.items)


def _last(entries: list[Entry], kind: str, **match: str) -> Entry | None:
    found = [
        e
        for e in entries
        if e.kind == kind and all(e.details.get(k) == v for k, v in match.items())
    ]
    return found[-1] if found else None


def case_facts(entries: list[Entry], notices: int, nti_unserved: tuple[str, ...] = ()) -> CaseFacts:
    def count(kind: str) -> int:
        return sum(e.kind == kind for e in entries)

    def service(name: str) -> tuple[bool | None, str | None]:
        e = _last(entries, "service", service=name)
        return (e.details["used"], e.details.get("reason")) if e else (None, None)

    def reason(about: str) -> str | None:
        e = _last(entries, "decision", about=about)
        return e.details.get("reason") if e else None

    engagement = _last(entries, "engagement")
    lets_talk, early_help, taf = service("lets_talk"), service("early_help_drop_in"), service("taf")
    return CaseFacts(
        support_offered=count("support_offered"),
        contacts=count("contact") + count("meeting"),
        meetings_offered=count("meeting"),
        parent_engaged=engagement.details["engaged"] if engagement else None,
        attendance_contract=any(e.kind == "contract" and e.details.get("agreed") for e in entries),
        no_contract_reason=reason("attendance_contract"),
        notice_to_improve=notices > 0,
        nti_unserved=nti_unserved,
        no_nti_reason=reason("notice_to_improve"),
        lets_talk_used=lets_talk[0],
        lets_talk_reason=lets_talk[1],
        early_help_drop_in_used=early_help[0],
        early_help_drop_in_reason=early_help[1],
        taf_used=taf[0],
        taf_reason=taf[1],
        circumstances_recorded=count("circumstances") > 0,
        letters_on_file=sum(e.kind in LETTER_KINDS for e in entries),
    )


async def notice_service(
    uow: UnitOfWork, notices: list[NoticeRecord]
) -> tuple[int, tuple[str, ...]]:
    """Inside an open unit of work: how many notices (not withdrawn) are served on every
    parent, and for the others which parents have no evidence of receipt."""
    served, gaps = 0, []
    for n in notices:
        if n.status is NoticeStatus.WITHDRAWN:
            continue  # issued in error: it counts for nothing
        waiting = await unserved_parents(uow, n.id)
        if not waiting:
            served += 1
        for parent_id in waiting:
            parent = await uow.registry.parent(parent_id)
            name = f" ({parent.name})" if parent and parent.name else ""
            gaps.append(f"notice {n.id}: parent {parent_id}{name} not served")
    return served, tuple(gaps)


def _views(entries: list[Entry]) -> dict[str, StaffView]:
    """The latest view each role recorded (a later view replaces an earlier one)."""
    return {
        e.details["role"]: StaffView(e.details.get("supports"), e.summary)
        for e in entries
        if e.kind == "view"
    }


async def referral_evidence(
    uow: UnitOfWork, upn: str, entries: list[Entry], on: date
) -> ReferralEvidence:
    """Inside an open unit of work: the evidence beyond the log's counts, as of `on` (the
    emails' states are as they are now)."""
    entries = [e for e in entries if e.on <= on]
    siblings = _last(entries, "siblings")
    states = [m.state for m in await uow.mail.emails_for(upn)]
    checks: dict[str, date] = {}
    for e in entries:
        if e.kind == ADDRESS_CHECKED:
            checks[e.details["parent_id"]] = max(e.on, checks.get(e.details["parent_id"], e.on))
    parents = tuple(
        ParentAddressCheck(p.parent_id, p.name, p.address is not None, checks.get(p.parent_id))
        for p in await uow.registry.parents_of(upn)
    )
    return ReferralEvidence(
        on=on,
        views=_views(entries),
        # Entries from before a check was asked for carry no "checked": not evidence of one.
        siblings_checked=bool(siblings.details.get("checked")) if siblings else None,
        meeting_ways=tuple(
            tuple(e.details.get("ways_offered", ())) for e in entries if e.kind == "meeting"
        ),
        emails_queued=sum(s in (EmailState.QUEUED, EmailState.SENDING) for s in states),
        emails_failed=sum(s is EmailState.FAILED for s in states),
        parents=parents,
        untold_escalations=untold_escalations(entries),
    )


async def checklist(uow: UnitOfWork, upn: str, on: date) -> Checklist:
    async with uow:
        _, entries, notices = await case_log(uow, upn)
        served, unserved = await notice_service(uow, notices)
        evidence = await referral_evidence(uow, upn, entries, on)
    return Checklist(upn, referral_checklist(case_facts(entries, served, unserved), evidence))
