"""The honest pre-referral checklist: an item is satisfied only by evidence of it.

`attendance.stages.case_log_items` reads what the case log holds (a chronology, the contract,
the notice, the services). This module adds what a compliance officer checks beside it before
accepting a referral (DOMAIN.md, "What makes a case fail"; seed 004):

- every staff view recorded *and in support*: a recorded objection is a gap, shown;
- siblings at other schools actually checked (an entry saying "not checked yet" is a gap);
- no email of the case still queued or failed (a failed email is no evidence of service);
- at least one meeting offered with more than one way to meet (DOMAIN.md: phone, video, home
  visit, neutral venue: "offer several ways to talk");
- each parent's current address checked within the last 6 months (Kent's rule; seed 004:
  correspondence "sent to the correct address, at all times");
- no early escalation (before a notice's period ended) without the parents told first
  (seeds 000, 002): one made with a reason instead is a gap, shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from attendance.prosecution import add_months
from attendance.stages import VIEWS, CaseFacts, ChecklistItem, case_log_items

# Kent's compliance team asks that the address was checked within this many months.
ADDRESS_CHECK_MONTHS = 6


@dataclass(frozen=True)
class StaffView:
    """The latest view one role recorded: whether it supports the referral, and its words."""

    supports: bool | None  # None: recorded before a stance was asked for
    summary: str


@dataclass(frozen=True)
class ParentAddressCheck:
    parent_id: str
    name: str
    has_address: bool
    last_checked: date | None


@dataclass(frozen=True)
class ReferralEvidence:
    """What the checklist needs beyond the case log's counts, as of `on`."""

    on: date
    views: Mapping[str, StaffView] = field(default_factory=dict)  # role → latest view
    siblings_checked: bool | None = None  # None: nothing recorded
    meeting_ways: tuple[tuple[str, ...], ...] = ()  # the ways offered, per meeting
    emails_queued: int = 0
    emails_failed: int = 0
    parents: tuple[ParentAddressCheck, ...] = ()
    # Acts that escalated before a notice's period ended without the parents told first.
    untold_escalations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.views) - VIEWS.keys()
        if unknown:
            raise ValueError(f"unknown views {sorted(unknown)}: expected some of {sorted(VIEWS)}")


def referral_checklist(facts: CaseFacts, evidence: ReferralEvidence) -> tuple[ChecklistItem, ...]:
    """Every item the ACT asks for; `ready` only when each is satisfied by evidence."""
    items = {item.key: item for item in case_log_items(facts)}
    for view in VIEWS:
        items[f"view_{view}"] = _view(view, evidence.views.get(view))
    items["siblings"] = _siblings(evidence.siblings_checked)
    return (
        *items.values(),
        _meetings(evidence.meeting_ways),
        _mail(evidence.emails_queued, evidence.emails_failed),
        _addresses(evidence.parents, evidence.on),
        _told_first(evidence.untold_escalations),
    )


def _told_first(untold: tuple[str, ...]) -> ChecklistItem:
    """Seeds 000, 002: before requesting legal intervention during the period, tell the
    parents; an escalation that did not is kept with its reason and shown here."""
    key, label = "parents_told_first", "Parents told before any early escalation"
    if untold:
        return ChecklistItem(key, label, False, "; ".join(untold))
    return ChecklistItem(key, label, True, "no early escalation without the parents told")


def _view(role: str, view: StaffView | None) -> ChecklistItem:
    who = VIEWS[role]
    key, label = f"view_{role}", f"View of the {who}"
    if view is None:
        return ChecklistItem(key, label, False, f"record the {who}'s view of the referral")
    if view.supports is None:
        return ChecklistItem(
            key, label, False, f"record whether the {who} supports the referral (--supports)"
        )
    if not view.supports:
        return ChecklistItem(key, label, False, f"the {who} objects: {view.summary}")
    return ChecklistItem(key, label, True, f"supports the referral: {view.summary}")


def _siblings(checked: bool | None) -> ChecklistItem:
    label = "Siblings at other schools"
    if checked:
        return ChecklistItem("siblings", label, True, "checked")
    if checked is None:
        missing = "record any siblings at other schools (their attendance may matter)"
    else:
        missing = "siblings not checked yet: check with the other schools, then record it"
    return ChecklistItem("siblings", label, False, missing)


def _meetings(ways: tuple[tuple[str, ...], ...]) -> ChecklistItem:
    key, label = "meeting_offered", "A meeting offered, with more than one way to meet"
    if not ways:
        return ChecklistItem(key, label, False, "no meeting offered: offer one, and how to meet")
    choice = [w for w in ways if len(set(w)) > 1]
    if not choice:
        offered = ", ".join(sorted({w for meeting in ways for w in meeting}))
        return ChecklistItem(
            key,
            label,
            False,
            f"each meeting was offered one way only ({offered}): offer more than one way to "
            "meet (phone, video, in person, a home visit, a neutral venue)",
        )
    best = max(choice, key=len)
    return ChecklistItem(
        key, label, True, f"{len(ways)} offered; for example {', '.join(w for w in best)}"
    )


def _mail(queued: int, failed: int) -> ChecklistItem:
    key, label = "mail_sent", "Every email sent"
    if not queued and not failed:
        return ChecklistItem(key, label, True, "none queued or failed")
    gaps = []
    if queued:
        gaps.append(f"{queued} still queued (send the outbox)")
    if failed:
        gaps.append(f"{failed} failed (a failed email is no evidence: post or hand it instead)")
    return ChecklistItem(key, label, False, "; ".join(gaps))


def _addresses(parents: tuple[ParentAddressCheck, ...], on: date) -> ChecklistItem:
    key = "address_checked"
    label = f"Current address checked (within {ADDRESS_CHECK_MONTHS} months)"
    if not parents:
        return ChecklistItem(key, label, False, "no parents on record")
    oldest_allowed = add_months(on, -ADDRESS_CHECK_MONTHS)
    gaps, fine = [], []
    for p in parents:
        who = f"parent {p.parent_id} ({p.name})" if p.name else f"parent {p.parent_id}"
        if not p.has_address:
            gaps.append(f"{who}: no postal address on file")
        elif p.last_checked is None:
            gaps.append(f"{who}: never checked (parent address-checked)")
        elif p.last_checked < oldest_allowed:
            gaps.append(f"{who}: last checked {p.last_checked}, more than 6 months ago")
        else:
            fine.append(f"{who} on {p.last_checked}")
    if gaps:
        return ChecklistItem(key, label, False, "; ".join(gaps))
    return ChecklistItem(key, label, True, "checked: " + "; ".join(fine))
