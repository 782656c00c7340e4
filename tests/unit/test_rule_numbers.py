"""The rule numbers, each stated once in attendance/, are the ones DOMAIN.md gives."""

from __future__ import annotations

from attendance import penalty, prosecution
from attendance.authorities import rules_for
from attendance.threshold import (
    HOLIDAY_SESSIONS,
    THRESHOLD_SESSIONS,
    THRESHOLD_WEEKS,
    ThresholdPolicy,
)


def test_the_threshold_is_10_sessions_in_a_rolling_10_school_weeks() -> None:
    # DOMAIN.md: "10 sessions of unauthorised absence within a rolling period of 10 school weeks."
    assert (THRESHOLD_SESSIONS, THRESHOLD_WEEKS) == (10, 10)
    policy = ThresholdPolicy()
    assert (policy.sessions, policy.weeks) == (THRESHOLD_SESSIONS, THRESHOLD_WEEKS)


def test_a_term_time_holiday_notice_needs_10_consecutive_g_sessions() -> None:
    assert HOLIDAY_SESSIONS == 10


def test_the_improvement_period_is_6_school_weeks_capped_at_30_days_in_norfolk() -> None:
    essex, norfolk = rules_for("Essex"), rules_for("Norfolk County Council")
    assert (essex.nti_weeks, essex.nti_max_school_days) == (6, None)
    assert (norfolk.nti_weeks, norfolk.nti_max_school_days) == (6, 30)


def test_penalty_notices_are_80_or_160_then_160_flat_at_most_2_in_3_years() -> None:
    # DOMAIN.md: £80 within 21 days, £160 within 28; second £160 flat; no third in 3 years.
    assert (penalty.FIRST_EARLY, penalty.FIRST_FULL, penalty.SECOND_FLAT) == (80, 160, 160)
    assert (penalty.EARLY_DAYS, penalty.PAY_WITHIN_DAYS) == (21, 28)
    assert (penalty.ATTENDANCE_LIMIT, penalty.ATTENDANCE_WINDOW_YEARS) == (2, 3)
    # Suspension notices: £60/£120, at most 2 per parent per child per 12 months.
    assert (penalty.SUSPENSION_EARLY, penalty.SUSPENSION_FULL) == (60, 120)
    assert (penalty.SUSPENSION_LIMIT, penalty.SUSPENSION_WINDOW_YEARS) == (2, 1)


def test_a_prosecution_is_laid_within_6_months_of_the_offence() -> None:
    assert prosecution.LIMIT_MONTHS == 6
