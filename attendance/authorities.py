"""Per-local-authority rules: what counts towards the threshold, how long a Notice to Improve runs.

Essex (seeds/000): NTI for 6 school weeks. Norfolk (seeds/001): 6 school weeks, at most 30
school days. Other LAs start from the national defaults until the school records their code of
conduct (`supportfirst authority set`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from attendance.codes import DEFAULT_THRESHOLD_CODES, validate_threshold_codes
from attendance.threshold import ThresholdPolicy

# DfE "Working together to improve school attendance" (2024): a Notice to Improve's improvement
# period is between 3 and 6 school weeks; an LA's code of conduct picks a length inside it.
NTI_MIN_WEEKS = 3
NTI_MAX_WEEKS = 6


@dataclass(frozen=True)
class AuthorityRules:
    name: str
    threshold_codes: frozenset[str] = DEFAULT_THRESHOLD_CODES
    nti_weeks: int = 6
    nti_max_school_days: int | None = None
    # `N` must be replaced by a proper code quickly; after this many school days it is an alert.
    n_unresolved_school_days: int = 5

    def __post_init__(self) -> None:
        validate_threshold_codes(self.threshold_codes)
        if not NTI_MIN_WEEKS <= self.nti_weeks <= NTI_MAX_WEEKS:
            raise ValueError(
                f"an improvement period must be between {NTI_MIN_WEEKS} and {NTI_MAX_WEEKS} "
                f"school weeks (DfE framework), not {self.nti_weeks}"
            )
        if self.nti_max_school_days is not None and self.nti_max_school_days < 1:
            raise ValueError("the cap on an improvement period needs at least one school day")

    @property
    def policy(self) -> ThresholdPolicy:
        return ThresholdPolicy(codes=self.threshold_codes)


BUILT_IN: dict[str, AuthorityRules] = {
    "essex": AuthorityRules("Essex", nti_weeks=6),
    "norfolk": AuthorityRules("Norfolk", nti_weeks=6, nti_max_school_days=30),
}


def key(name: str) -> str:
    return " ".join(name.lower().replace("county council", "").split())


def rules_for(name: str, recorded: Mapping[str, AuthorityRules] | None = None) -> AuthorityRules:
    """The rules a school recorded for its LA, else the built-in ones, else national defaults."""
    k = key(name)
    if recorded and k in recorded:
        return recorded[k]
    if k in BUILT_IN:
        return BUILT_IN[k]
    return AuthorityRules(name)
