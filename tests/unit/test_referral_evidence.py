"""The honest checklist: each item ready only on evidence (attendance/referral_evidence.py)."""

import dataclasses
from datetime import date

import pytest

from attendance.referral_evidence import (
    ParentAddressCheck,
    ReferralEvidence,
    StaffView,
    referral_checklist,
)
from attendance.stages import CaseFacts, ChecklistItem

ON = date(2025, 6, 30)
EVIDENCE = ReferralEvidence(
    on=ON,
    views={
        "senior_attendance_champion": StaffView(True, "Refer: support was offered and refused"),
        "senco": StaffView(True, "No special educational need explains the absence"),
        "dsl": StaffView(True, "No safeguarding concern against a referral"),
    },
    siblings_checked=True,
    meeting_ways=(("phone",), ("phone", "home_visit")),
    parents=(
        ParentAddressCheck("P1", "Alex Taylor", True, date(2025, 1, 10)),
        ParentAddressCheck("P2", "Jo Taylor", True, date(2025, 6, 2)),
    ),
)


def item(evidence: ReferralEvidence, key: str) -> ChecklistItem:
    return next(i for i in referral_checklist(CaseFacts(), evidence) if i.key == key)


def test_complete_evidence_satisfies_every_evidence_item() -> None:
    keys = ["meeting_offered", "mail_sent", "address_checked", "siblings", "view_dsl"]
    assert all(item(EVIDENCE, k).satisfied for k in keys)
    assert item(EVIDENCE, "meeting_offered").detail == "2 offered; for example phone, home_visit"


def test_a_recorded_objection_is_a_gap_that_shows_the_objection() -> None:
    views = {**EVIDENCE.views, "senco": StaffView(False, "An EHCP assessment is under way")}
    found = item(dataclasses.replace(EVIDENCE, views=views), "view_senco")
    assert not found.satisfied
    assert found.detail == "the SENCO objects: An EHCP assessment is under way"


def test_a_view_without_a_stance_is_a_gap() -> None:
    views = {**EVIDENCE.views, "dsl": StaffView(None, "Spoke to the DSL")}
    found = item(dataclasses.replace(EVIDENCE, views=views), "view_dsl")
    assert not found.satisfied and "supports the referral" in found.detail


@pytest.mark.parametrize(
    ("checked", "detail"),
    [
        (False, "siblings not checked yet: check with the other schools, then record it"),
        (None, "record any siblings at other schools (their attendance may matter)"),
    ],
)
def test_siblings_not_checked_are_a_gap(checked: bool | None, detail: str) -> None:
    found = item(dataclasses.replace(EVIDENCE, siblings_checked=checked), "siblings")
    assert (found.satisfied, found.detail) == (False, detail)


def test_meetings_offered_one_way_only_are_a_gap() -> None:
    one_way = dataclasses.replace(EVIDENCE, meeting_ways=(("phone",), ("phone", "phone")))
    found = item(one_way, "meeting_offered")
    assert not found.satisfied and found.detail.startswith("each meeting was offered one way only")
    assert not item(dataclasses.replace(EVIDENCE, meeting_ways=()), "meeting_offered").satisfied


def test_an_email_still_queued_or_failed_is_a_gap() -> None:
    found = item(dataclasses.replace(EVIDENCE, emails_queued=2, emails_failed=1), "mail_sent")
    assert not found.satisfied
    assert found.detail.startswith("2 still queued (send the outbox); 1 failed")


def test_an_address_checked_more_than_six_months_ago_is_a_gap() -> None:
    # 30 June: 30 December is the oldest check allowed; 29 December is too old.
    old = ParentAddressCheck("P1", "Alex Taylor", True, date(2024, 12, 29))
    fine = ParentAddressCheck("P2", "Jo Taylor", True, date(2024, 12, 30))
    found = item(dataclasses.replace(EVIDENCE, parents=(old, fine)), "address_checked")
    assert not found.satisfied
    assert found.detail == (
        "parent P1 (Alex Taylor): last checked 2024-12-29, more than 6 months ago"
    )


def test_a_parent_never_checked_or_without_an_address_is_a_gap() -> None:
    parents = (
        ParentAddressCheck("P1", "Alex Taylor", True, None),
        ParentAddressCheck("P2", "Jo Taylor", False, None),
    )
    found = item(dataclasses.replace(EVIDENCE, parents=parents), "address_checked")
    assert found.detail == (
        "parent P1 (Alex Taylor): never checked (parent address-checked); "
        "parent P2 (Jo Taylor): no postal address on file"
    )


def test_an_unknown_view_is_rejected() -> None:
    with pytest.raises(ValueError, match="headteacher"):
        ReferralEvidence(on=ON, views={"headteacher": StaffView(True, "")})
