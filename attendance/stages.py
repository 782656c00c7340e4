"""The "support first" road map and the checklist the LA will ask for before a referral.

Any stage may be skipped, but the LA expects to see why: `skipped_stages` tells the caller which
stages a move skips so it can demand a reason. `case_log_items` turns what the case log holds
into the items the Attendance Compliance Team (ACT) asks for, so gaps show before "submit"
(attendance/referral_evidence.py adds the items that need evidence beyond the log's counts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """Road-map stages, declared in the order a case moves through them."""

    ATTENDANCE_POLICY = "attendance_policy"
    ABSENCE_CALL_BACK = "absence_call_back"
    PUPIL_CHECK_IN = "pupil_check_in"
    INITIAL_CONCERN = "initial_concern"
    EARLY_HELP = "early_help"
    DECLINING_ATTENDANCE_MEETING = "declining_attendance_meeting"
    ATTENDANCE_CONTRACT = "attendance_contract"
    NOTICE_TO_IMPROVE = "notice_to_improve"
    LEGAL_INTERVENTION_REFERRAL = "legal_intervention_referral"


_ROAD_MAP: tuple[Stage, ...] = tuple(Stage)


def stage_order(stage: Stage) -> int:
    """Position on the road map, starting at 1 (attendance policy)."""
    return _ROAD_MAP.index(stage) + 1


def parse_stage(text: str) -> Stage:
    """Read a stage typed by staff in chat: case-insensitive, hyphens, spaces or underscores."""
    key = "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())
    try:
        return Stage(key)
    except ValueError:
        valid = ", ".join(s.value for s in _ROAD_MAP)
        raise ValueError(f"unknown stage {text!r}: valid stages are {valid}") from None


def skipped_stages(current: Stage | None, new: Stage) -> tuple[Stage, ...]:
    """The stages strictly between `current` and `new` that the move passes over.

    `current` None means the case has no stage yet, so every stage before `new` is skipped.
    Moving back or staying put skips nothing.
    """
    start = 0 if current is None else stage_order(current)
    end = stage_order(new) - 1
    return _ROAD_MAP[start:end]


# The three staff views the ACT asks for, with the words used on the referral.
VIEWS: dict[str, str] = {
    "senior_attendance_champion": "Senior Attendance Champion",
    "senco": "SENCO",
    "dsl": "DSL (Designated Safeguarding Lead)",
}


@dataclass(frozen=True)
class CaseFacts:
    """What the case log holds that matters for a referral.

    Defaults mean "nothing recorded", so a forgotten fact shows as a gap, never as satisfied.
    `*_used` is None when nobody has recorded whether the service was used.
    """

    support_offered: int = 0
    contacts: int = 0
    meetings_offered: int = 0
    parent_engaged: bool | None = None
    attendance_contract: bool = False
    no_contract_reason: str | None = None
    notice_to_improve: bool = False  # a notice, not withdrawn, served on every parent
    no_nti_reason: str | None = None
    # A notice not withdrawn whose service on these parents is not evidenced ("N: parent …").
    nti_unserved: tuple[str, ...] = ()
    lets_talk_used: bool | None = None
    lets_talk_reason: str | None = None
    early_help_drop_in_used: bool | None = None
    early_help_drop_in_reason: str | None = None
    taf_used: bool | None = None
    taf_reason: str | None = None
    circumstances_recorded: bool = False
    letters_on_file: int = 0


@dataclass(frozen=True)
class ChecklistItem:
    """One thing the ACT will ask for, whether the case log has it, and what to do if not."""

    key: str
    label: str
    satisfied: bool
    detail: str


def _has_reason(reason: str | None) -> bool:
    return reason is not None and reason.strip() != ""


def _done_or_reason(
    key: str, label: str, done: bool, reason: str | None, missing: str
) -> ChecklistItem:
    if done:
        return ChecklistItem(key, label, True, "on file")
    if _has_reason(reason):
        return ChecklistItem(key, label, True, f"not used: {reason}")
    return ChecklistItem(key, label, False, missing)


def _used_or_reason(key: str, label: str, used: bool | None, reason: str | None) -> ChecklistItem:
    # The ACT asks "was it used, and if not why not?": both an unknown and a bare "no" are gaps.
    if used:
        return ChecklistItem(key, label, True, "used")
    if used is None:
        return ChecklistItem(key, label, False, f"record whether {label} was used")
    if _has_reason(reason):
        return ChecklistItem(key, label, True, f"not used: {reason}")
    return ChecklistItem(key, label, False, f"record why {label} was not used")


def _chronology(facts: CaseFacts) -> ChecklistItem:
    gaps: list[str] = []
    if facts.contacts < 1:
        gaps.append("no contacts with the family are logged")
    if facts.support_offered < 1:
        gaps.append("no offers of support are logged")
    if facts.parent_engaged is None:
        gaps.append("the parent's engagement (or not) is not recorded")
    label = "Chronology of support"
    if gaps:
        return ChecklistItem("chronology", label, False, "; ".join(gaps))
    engaged = "engaged" if facts.parent_engaged else "did not engage"
    return ChecklistItem(
        "chronology",
        label,
        True,
        f"{facts.contacts} contacts, {facts.support_offered} offers of support, "
        f"{facts.meetings_offered} meetings offered; parent {engaged}",
    )


def case_log_items(facts: CaseFacts) -> tuple[ChecklistItem, ...]:
    """The items the case log's counts answer (the views and siblings items are placed here
    and decided in attendance/referral_evidence.py)."""
    return (
        _chronology(facts),
        _letters(facts),
        *_interventions(facts),
        *_placeholders(),
        _recorded(
            "circumstances",
            "Change of address or circumstances",
            facts.circumstances_recorded,
            "recorded (keep reporting changes after referral)",
            "record any change of address or circumstances",
        ),
    )


def _recorded(key: str, label: str, recorded: bool, done: str, missing: str) -> ChecklistItem:
    return ChecklistItem(key, label, recorded, done if recorded else missing)


def _letters(facts: CaseFacts) -> ChecklistItem:
    return _recorded(
        "letters",
        "Copies of letters, emails, meeting notes and contracts",
        facts.letters_on_file > 0,
        f"{facts.letters_on_file} on file",
        "no letters or emails on file: the ACT needs copies of everything sent",
    )


def _interventions(facts: CaseFacts) -> list[ChecklistItem]:
    """The contract, the notice and the services: each used, or the reason it was not."""
    return [
        _done_or_reason(
            "attendance_contract",
            "Attendance Contract",
            facts.attendance_contract,
            facts.no_contract_reason,
            "no Attendance Contract: record why none was made "
            "(e.g. the parents did not attend the meeting)",
        ),
        _notice_to_improve(facts),
        _used_or_reason(
            "lets_talk", "Let's Talk: We Miss You", facts.lets_talk_used, facts.lets_talk_reason
        ),
        _used_or_reason(
            "early_help_drop_in",
            "the Early Help drop-in",
            facts.early_help_drop_in_used,
            facts.early_help_drop_in_reason,
        ),
        _used_or_reason("taf", "a TAF (Team Around the Family)", facts.taf_used, facts.taf_reason),
    ]


def _notice_to_improve(facts: CaseFacts) -> ChecklistItem:
    """A notice counts only when each parent's service is evidenced (seed 004: "clear
    evidence of how you know that they have received it")."""
    if facts.nti_unserved:
        return ChecklistItem(
            "notice_to_improve",
            "Notice to Improve",
            False,
            "no evidence it reached each parent: " + "; ".join(facts.nti_unserved),
        )
    return _done_or_reason(
        "notice_to_improve",
        "Notice to Improve",
        facts.notice_to_improve,
        facts.no_nti_reason,
        "no Notice to Improve: record why none was used",
    )


def _placeholders() -> list[ChecklistItem]:
    # Unsatisfied until the evidence decides them: a caller that forgets is never "ready".
    keys = [(f"view_{view}", f"View of the {who}") for view, who in VIEWS.items()]
    return [
        ChecklistItem(key, label, False, "not checked")
        for key, label in [*keys, ("siblings", "Siblings at other schools")]
    ]


def ready_for_referral(items: Iterable[ChecklistItem]) -> bool:
    """Ready only when there is a checklist and every item on it is satisfied."""
    checked = tuple(items)
    return bool(checked) and all(item.satisfied for item in checked)
