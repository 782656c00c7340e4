import dataclasses

import pytest

from attendance.referral_evidence import referral_checklist
from attendance.stages import (
    CaseFacts,
    Stage,
    parse_stage,
    ready_for_referral,
    skipped_stages,
    stage_order,
)
from tests.unit.test_referral_evidence import EVIDENCE

COMPLETE = CaseFacts(
    support_offered=3,
    contacts=5,
    meetings_offered=2,
    parent_engaged=False,
    attendance_contract=False,
    no_contract_reason="parents did not attend the meeting",
    notice_to_improve=True,
    lets_talk_used=True,
    early_help_drop_in_used=True,
    taf_used=False,
    taf_reason="family declined consent",
    circumstances_recorded=True,
    letters_on_file=4,
)


def missing(facts: CaseFacts) -> set[str]:
    return {item.key for item in referral_checklist(facts, EVIDENCE) if not item.satisfied}


def test_stages_follow_the_road_map_order() -> None:
    assert stage_order(Stage.ATTENDANCE_POLICY) == 1
    assert stage_order(Stage.LEGAL_INTERVENTION_REFERRAL) == 9
    assert stage_order(Stage.ATTENDANCE_CONTRACT) < stage_order(Stage.NOTICE_TO_IMPROVE)


def test_parse_stage_accepts_hyphens_and_any_case() -> None:
    assert parse_stage("Notice-To-Improve") == Stage.NOTICE_TO_IMPROVE
    assert parse_stage(" early_help ") == Stage.EARLY_HELP


def test_parse_stage_names_the_valid_stages_when_unknown() -> None:
    with pytest.raises(ValueError, match="attendance_contract"):
        parse_stage("action plan")


def test_moving_to_the_next_stage_skips_nothing() -> None:
    assert skipped_stages(Stage.EARLY_HELP, Stage.DECLINING_ATTENDANCE_MEETING) == ()


def test_jumping_ahead_lists_the_stages_skipped() -> None:
    skipped = skipped_stages(Stage.DECLINING_ATTENDANCE_MEETING, Stage.LEGAL_INTERVENTION_REFERRAL)
    assert skipped == (Stage.ATTENDANCE_CONTRACT, Stage.NOTICE_TO_IMPROVE)


def test_a_new_case_skips_every_stage_before_its_first() -> None:
    assert skipped_stages(None, Stage.PUPIL_CHECK_IN) == (
        Stage.ATTENDANCE_POLICY,
        Stage.ABSENCE_CALL_BACK,
    )


def test_moving_back_skips_nothing() -> None:
    assert skipped_stages(Stage.NOTICE_TO_IMPROVE, Stage.EARLY_HELP) == ()


def test_a_complete_case_is_ready_for_referral() -> None:
    assert missing(COMPLETE) == set()
    assert ready_for_referral(referral_checklist(COMPLETE, EVIDENCE))


def test_an_empty_case_log_flags_every_item() -> None:
    items = referral_checklist(CaseFacts(), dataclasses.replace(EVIDENCE, views={}))
    assert [i.key for i in items if i.satisfied] == [
        "siblings",
        "meeting_offered",
        "mail_sent",
        "address_checked",
        "parents_told_first",
    ]
    assert len(items) == 16
    assert not ready_for_referral(items)


def test_an_empty_checklist_is_not_ready() -> None:
    assert not ready_for_referral(())


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"contacts": 0}, "chronology"),
        ({"support_offered": 0}, "chronology"),
        ({"parent_engaged": None}, "chronology"),
        ({"letters_on_file": 0}, "letters"),
        ({"no_contract_reason": "  "}, "attendance_contract"),
        ({"notice_to_improve": False}, "notice_to_improve"),
        ({"lets_talk_used": None}, "lets_talk"),
        ({"early_help_drop_in_used": False}, "early_help_drop_in"),
        ({"taf_reason": None}, "taf"),
        ({"circumstances_recorded": False}, "circumstances"),
    ],
)
def test_the_checklist_flags_each_missing_item(change: dict[str, object], key: str) -> None:
    facts = dataclasses.replace(COMPLETE, **change)  # type: ignore[arg-type]
    assert missing(facts) == {key}
    assert not ready_for_referral(referral_checklist(facts, EVIDENCE))


def test_a_service_not_used_without_a_reason_asks_why() -> None:
    facts = dataclasses.replace(COMPLETE, lets_talk_used=False)
    item = next(i for i in referral_checklist(facts, EVIDENCE) if i.key == "lets_talk")
    assert not item.satisfied and "why" in item.detail
