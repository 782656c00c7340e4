from datetime import date

from attendance.penalty import (
    FRAMEWORK_START,
    PenaltyKind,
    PenaltyRecord,
    deemed_receipt,
    next_penalty,
    payment_deadlines,
)

MUM, DAD = "parent-mum", "parent-dad"
AMY, BEN = "A123456789012", "B123456789012"
ON = date(2026, 3, 2)


def notice(
    issued_on: date,
    parent_id: str = MUM,
    upn: str = AMY,
    kind: PenaltyKind = PenaltyKind.ATTENDANCE,
    offence_start: date | None = None,
    withdrawn: bool = False,
) -> PenaltyRecord:
    start = offence_start if offence_start is not None else FRAMEWORK_START
    return PenaltyRecord(parent_id, upn, kind, issued_on, start, withdrawn)


def test_a_first_notice_is_80_pounds_early_or_160_within_28_days() -> None:
    decision = next_penalty([], MUM, AMY, ON)
    assert decision.allowed and decision.ordinal == 1
    assert (decision.amount_if_paid_early, decision.amount) == (80, 160)
    assert (decision.early_days, decision.pay_within_days) == (21, 28)
    assert decision.counted == ()


def test_a_second_notice_is_a_flat_160_pounds() -> None:
    first = notice(date(2025, 1, 10))
    decision = next_penalty([first], MUM, AMY, ON)
    assert decision.allowed and decision.ordinal == 2
    assert (decision.amount_if_paid_early, decision.amount, decision.early_days) == (160, 160, None)
    assert decision.counted == (first,)


def test_a_third_notice_within_three_years_is_refused() -> None:
    history = [notice(date(2025, 1, 10)), notice(date(2025, 6, 1))]
    decision = next_penalty(history, MUM, AMY, ON)
    assert not decision.allowed and decision.ordinal == 0
    assert decision.amount is None and decision.amount_if_paid_early is None
    assert "prosecution" in decision.reason
    assert "2028-01-10" in decision.reason
    assert len(decision.counted) == 2


def test_the_other_parent_can_still_get_a_first_notice() -> None:
    history = [notice(date(2025, 1, 10)), notice(date(2025, 6, 1))]
    assert next_penalty(history, DAD, AMY, ON).ordinal == 1


def test_the_same_parent_gets_a_first_notice_for_a_sibling() -> None:
    history = [notice(date(2025, 1, 10)), notice(date(2025, 6, 1))]
    assert next_penalty(history, MUM, BEN, ON).ordinal == 1


def test_a_notice_issued_three_years_and_a_day_ago_no_longer_counts() -> None:
    on = date(2028, 9, 2)
    history = [notice(date(2025, 9, 1)), notice(date(2026, 1, 5))]
    decision = next_penalty(history, MUM, AMY, on)
    assert decision.ordinal == 2
    assert decision.counted == (history[1],)


def test_a_notice_issued_exactly_three_years_ago_no_longer_counts() -> None:
    history = [notice(date(2025, 9, 1))]
    assert next_penalty(history, MUM, AMY, date(2028, 9, 1)).ordinal == 1
    assert next_penalty(history, MUM, AMY, date(2028, 8, 31)).ordinal == 2


def test_a_notice_issued_on_29_february_counts_until_1_march_three_years_on() -> None:
    history = [notice(date(2028, 2, 29))]
    assert next_penalty(history, MUM, AMY, date(2031, 2, 28)).ordinal == 2
    assert next_penalty(history, MUM, AMY, date(2031, 3, 1)).ordinal == 1


def test_withdrawn_notices_do_not_count() -> None:
    history = [notice(date(2025, 1, 10), withdrawn=True), notice(date(2025, 6, 1))]
    assert next_penalty(history, MUM, AMY, ON).ordinal == 2


def test_notices_for_absences_before_19_august_2024_are_ignored() -> None:
    old = notice(date(2024, 9, 20), offence_start=date(2024, 7, 1))
    history = [old, notice(date(2025, 6, 1))]
    assert next_penalty(history, MUM, AMY, ON).ordinal == 2


def test_a_new_notice_for_absences_before_19_august_2024_is_refused() -> None:
    decision = next_penalty([], MUM, AMY, ON, offence_start=date(2024, 8, 18))
    assert not decision.allowed
    assert "local code of conduct" in decision.reason


def test_notices_issued_after_the_decision_date_do_not_count() -> None:
    assert next_penalty([notice(date(2026, 5, 1))], MUM, AMY, ON).ordinal == 1


def test_a_suspension_notice_is_60_pounds_early_or_120() -> None:
    decision = next_penalty([], MUM, AMY, ON, PenaltyKind.SUSPENSION)
    assert decision.allowed and decision.ordinal == 1
    assert (decision.amount_if_paid_early, decision.amount, decision.early_days) == (60, 120, 21)


def test_a_second_suspension_notice_is_still_60_pounds_early() -> None:
    history = [notice(date(2025, 9, 1), kind=PenaltyKind.SUSPENSION)]
    decision = next_penalty(history, MUM, AMY, ON, PenaltyKind.SUSPENSION)
    assert decision.ordinal == 2 and decision.amount_if_paid_early == 60


def test_suspension_and_attendance_notices_are_counted_apart() -> None:
    attendance = [notice(date(2025, 1, 10)), notice(date(2025, 6, 1))]
    suspension = [notice(date(2025, 9, 1), kind=PenaltyKind.SUSPENSION)] * 2
    assert next_penalty(attendance, MUM, AMY, ON, PenaltyKind.SUSPENSION).ordinal == 1
    assert next_penalty(suspension, MUM, AMY, ON).ordinal == 1


def test_a_third_suspension_notice_within_12_months_is_refused() -> None:
    history = [
        notice(date(2025, 4, 1), kind=PenaltyKind.SUSPENSION),
        notice(date(2025, 11, 1), kind=PenaltyKind.SUSPENSION),
    ]
    decision = next_penalty(history, MUM, AMY, ON, PenaltyKind.SUSPENSION)
    assert not decision.allowed
    assert "12 months" in decision.reason and "2026-04-01" in decision.reason


def test_a_suspension_notice_older_than_12_months_no_longer_counts() -> None:
    history = [
        notice(date(2025, 3, 1), kind=PenaltyKind.SUSPENSION),
        notice(date(2025, 11, 1), kind=PenaltyKind.SUSPENSION),
    ]
    assert next_penalty(history, MUM, AMY, ON, PenaltyKind.SUSPENSION).ordinal == 2


def test_a_letter_posted_on_friday_is_deemed_received_on_tuesday() -> None:
    assert deemed_receipt(date(2026, 3, 6)) == date(2026, 3, 10)


def test_a_letter_posted_on_monday_is_deemed_received_on_wednesday() -> None:
    assert deemed_receipt(date(2026, 3, 2)) == date(2026, 3, 4)


def test_deemed_receipt_skips_bank_holidays_the_caller_names() -> None:
    easter = {date(2026, 4, 3), date(2026, 4, 6)}  # Good Friday, Easter Monday

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in easter

    assert deemed_receipt(date(2026, 4, 2), working) == date(2026, 4, 8)


def test_payment_deadlines_are_21_and_28_days_from_receipt() -> None:
    assert payment_deadlines(date(2026, 3, 10)) == (date(2026, 3, 31), date(2026, 4, 7))
