"""The Notice to Improve: when it may be issued, its improvement period, its daily review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from attendance.authorities import BUILT_IN, AuthorityRules
from attendance.calendar import SchoolCalendar
from attendance.nti import (
    ImprovementPeriod,
    NtiRefused,
    Outcome,
    improvement_period,
    plan_notice,
    review,
)
from attendance.threshold import Mark, Session

ESSEX, NORFOLK = BUILT_IN["essex"], BUILT_IN["norfolk"]
ISSUED = date(2024, 10, 18)  # a Friday; the period starts on Monday 21 Oct


def calendar(terms, closures=()) -> SchoolCalendar:
    return SchoolCalendar.of(terms, closures)


WITH_HALF_TERM = calendar(
    [(date(2024, 9, 2), date(2024, 10, 25)), (date(2024, 11, 4), date(2024, 12, 20))]
)
NO_HALF_TERM = calendar([(date(2024, 9, 2), date(2024, 12, 20))])


def marks(code_sessions: dict[str, list[date]], start=date(2024, 9, 2), end=ISSUED) -> list[Mark]:
    """AM+PM present on weekdays in [start, end], both sessions of the given days marked."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    code_of = {d: c for c, ds in code_sessions.items() for d in ds}
    return [Mark(d, s, code_of.get(d, "/")) for d in days if d.weekday() < 5 for s in Session]


# Five days (10 sessions) of O, spread over two weeks: threshold met, not a holiday.
TEN_O = {"O": [date(2024, 10, d) for d in (7, 9, 11, 15, 17)]}


def test_a_notice_is_refused_when_the_threshold_is_not_met_and_the_count_is_named():
    nine = marks(TEN_O) + [Mark(date(2024, 10, 17), Session.PM, "/")]
    nine = [m for m in nine if (m.day, m.session, m.code) != (date(2024, 10, 17), Session.PM, "O")]
    with pytest.raises(NtiRefused, match="9 unauthorised sessions"):
        plan_notice(nine, ISSUED, WITH_HALF_TERM, ESSEX)


def test_a_notice_is_allowed_when_the_threshold_is_met_on_the_issue_date():
    plan = plan_notice(marks(TEN_O), ISSUED, WITH_HALF_TERM, ESSEX, max_further_sessions=1)
    assert plan.trigger.met and plan.trigger.unauthorised_sessions == 10
    assert (plan.issued_on, plan.max_further_sessions, plan.warnings) == (ISSUED, 1, ())
    assert plan.period.start == date(2024, 10, 21)


def test_absence_after_the_issue_date_does_not_make_a_notice_lawful():
    later = marks(TEN_O | {"G": [date(2024, 10, 21)]}, end=date(2024, 10, 25))
    early = [m for m in later if m.day != date(2024, 10, 17)]
    with pytest.raises(NtiRefused, match="8 unauthorised sessions"):
        plan_notice(early, ISSUED, WITH_HALF_TERM, ESSEX)


def test_a_negative_allowance_of_further_sessions_is_refused():
    with pytest.raises(NtiRefused):
        plan_notice(marks(TEN_O), ISSUED, WITH_HALF_TERM, ESSEX, max_further_sessions=-1)


def test_an_essex_period_issued_just_before_half_term_ends_one_calendar_week_later():
    # From Mon 21 Oct, Mon-Sun blocks: 21 Oct, [28 Oct half-term: no school day, not counted],
    # 4, 11, 18, 25 Nov, 2 Dec -> the 6th school week ends on Friday 6 Dec.
    # Without the half-term the 6th block is 25 Nov - 1 Dec -> Friday 29 Nov.
    assert improvement_period(WITH_HALF_TERM, ISSUED, ESSEX) == ImprovementPeriod(
        date(2024, 10, 21), date(2024, 12, 6)
    )
    assert improvement_period(NO_HALF_TERM, ISSUED, ESSEX).end == date(2024, 11, 29)


def test_a_period_starting_mid_week_still_gets_six_weeks_of_school_over_half_term():
    # Issued Thu 24 Oct: starts Fri 25 Oct; 6 x 7 days run to Thu 5 Dec, and the half-term
    # week (28 Oct - 3 Nov, no school day) adds a week: Thu 12 Dec. School days: 25 Oct, then
    # 4 Nov - 12 Dec (29) = 30, the same as a period with no half-term.
    issued = date(2024, 10, 24)
    period = plan_notice(marks(TEN_O, end=issued), issued, WITH_HALF_TERM, ESSEX).period
    assert period == ImprovementPeriod(date(2024, 10, 25), date(2024, 12, 12))
    assert WITH_HALF_TERM.school_days_between(period.start, period.end) == 30


def test_norfolk_thirty_day_cap_ties_with_six_full_school_weeks():
    # 21 Oct - 29 Nov is 6 full Mon-Fri weeks = exactly 30 school days: both limits give 29 Nov.
    assert NO_HALF_TERM.add_school_days(date(2024, 10, 21), 30) == date(2024, 11, 29)
    assert improvement_period(NO_HALF_TERM, ISSUED, NORFOLK).end == date(2024, 11, 29)


def test_norfolk_period_with_inset_days_still_ends_with_the_sixth_school_week():
    # INSET on 22 Oct and 12 Nov leave 28 school days in the 6 weeks: the cap does not bind
    # (a 7-day block holds at most 5 Mon-Fri school days, so 6 weeks never exceed 30 days).
    cal = calendar(
        [(date(2024, 9, 2), date(2024, 12, 20))],
        [(date(2024, 10, 22),) * 2, (date(2024, 11, 12),) * 2],
    )
    assert cal.school_days_between(date(2024, 10, 21), date(2024, 11, 29)) == 28
    assert improvement_period(cal, ISSUED, NORFOLK).end == date(2024, 11, 29)
    assert improvement_period(cal, ISSUED, ESSEX).end == date(2024, 11, 29)


def test_norfolk_period_needs_no_later_term_when_the_six_weeks_end_inside_the_calendar():
    # Term ends Fri 29 Nov (next term not imported yet), INSET 22 Oct: Essex's period ends 29 Nov;
    # Norfolk's cap of 30 school days cannot be shorter, so its period is the same.
    cal = calendar([(date(2024, 9, 2), date(2024, 11, 29))], [(date(2024, 10, 22),) * 2])
    assert improvement_period(cal, ISSUED, ESSEX).end == date(2024, 11, 29)
    assert improvement_period(cal, ISSUED, NORFOLK).end == date(2024, 11, 29)


def test_ten_consecutive_g_sessions_warn_that_an_nti_is_usually_not_used_for_a_holiday():
    holiday = {"G": [date(2024, 10, d) for d in (7, 8, 9, 10, 11)]}
    plan = plan_notice(marks(holiday), ISSUED, WITH_HALF_TERM, ESSEX)
    assert len(plan.warnings) == 1
    assert "10 consecutive G" in plan.warnings[0] and "term-time holiday" in plan.warnings[0]


def test_ten_g_sessions_that_are_not_consecutive_give_no_holiday_warning():
    scattered = {"G": [date(2024, 10, d) for d in (7, 9, 11, 15, 17)]}
    assert plan_notice(marks(scattered), ISSUED, WITH_HALF_TERM, ESSEX).warnings == ()


def test_a_parent_whose_earlier_nti_failed_is_named_in_a_warning():
    plan = plan_notice(
        marks(TEN_O), ISSUED, WITH_HALF_TERM, ESSEX, parents_with_failed_nti=["P-17"]
    )
    assert len(plan.warnings) == 1
    assert "P-17" in plan.warnings[0] and "failed" in plan.warnings[0]


def test_an_la_counting_n_lets_n_sessions_trigger_a_notice():
    with_n = AuthorityRules("Somewhere", threshold_codes=frozenset({"G", "O", "U", "N"}))
    n_days = {"N": TEN_O["O"]}
    assert plan_notice(marks(n_days), ISSUED, WITH_HALF_TERM, with_n).trigger.met
    with pytest.raises(NtiRefused, match="0 unauthorised"):
        plan_notice(marks(n_days), ISSUED, WITH_HALF_TERM, ESSEX)


PERIOD = ImprovementPeriod(date(2024, 10, 21), date(2024, 12, 6))


def test_review_before_the_period_starts_is_not_started():
    assert review(PERIOD, 0, 0, date(2024, 10, 18)) is Outcome.NOT_STARTED


@pytest.mark.parametrize("on", [date(2024, 10, 21), date(2024, 11, 13), date(2024, 12, 6)])
def test_review_during_the_period_within_the_allowance_is_in_progress(on):
    assert review(PERIOD, 1, 1, on) is Outcome.IN_PROGRESS


@pytest.mark.parametrize("on", [date(2024, 10, 21), date(2024, 12, 6)])
def test_review_during_the_period_with_more_than_allowed_is_breached(on):
    assert review(PERIOD, 1, 2, on) is Outcome.BREACHED


def test_review_on_the_last_day_is_not_yet_final():
    assert review(PERIOD, 0, 0, PERIOD.end) is Outcome.IN_PROGRESS


def test_review_after_the_period_end_is_improved_or_not_improved():
    after = PERIOD.end + timedelta(days=1)
    assert review(PERIOD, 0, 0, after) is Outcome.IMPROVED
    assert review(PERIOD, 2, 2, after) is Outcome.IMPROVED
    assert review(PERIOD, 0, 1, after) is Outcome.NOT_IMPROVED
