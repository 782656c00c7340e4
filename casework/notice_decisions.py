"""Staff's decision on a Notice to Improve: `nti close` (improved or not, once its period is
over) and `nti withdraw` (issued in error: it then counts for nothing). The review's finding
informs the decision (seeds 000/001: sufficient improvement is judged case by case); the
decision and its reason are the record, audited and in the chronology."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from attendance.nti import ImprovementPeriod
from attendance.nti_outcome import Finding
from casework.authorities import rules_for_pupil
from casework.errors import NotFound, Refused
from casework.notice_service import end_of_period_for
from casework.ports import UnitOfWork
from casework.records import OPEN_NOTICE, NoticeRecord, NoticeStatus

OUTCOMES = (NoticeStatus.IMPROVED, NoticeStatus.NOT_IMPROVED)
# Closing improved against a finding of not improved must say why, in a sentence.
OVERRIDE_WORDS = 5


@dataclass(frozen=True)
class Decision:
    notice_id: int
    upn: str
    status: NoticeStatus
    finding: str | None  # what the evidence said (review_outcome), None when withdrawn early


async def _notice(uow: UnitOfWork, notice_id: int) -> NoticeRecord:
    notice = await uow.cases.notice(notice_id)
    if notice is None:
        raise NotFound(f"no Notice to Improve {notice_id}")
    if notice.status is NoticeStatus.WITHDRAWN:
        raise Refused(f"Notice to Improve {notice_id} was withdrawn on {notice.decided_on}")
    return notice


def _reason(reason: str) -> str:
    if not reason.strip():
        raise Refused("--reason: say why (it is the record the court and the LA will read)")
    return reason.strip()


async def _finding(uow: UnitOfWork, notice: NoticeRecord, on: date) -> Finding:
    """The review's finding; worked out now when the period is over but no review ran yet."""
    if notice.served_start is None or notice.served_end is None:
        raise Refused(
            f"Notice to Improve {notice.id} is not served on every parent: its period has not "
            "started (withdraw it if it was issued in error)"
        )
    if notice.review_outcome is not None:
        return Finding(notice.review_outcome)
    if notice.status in OPEN_NOTICE and on <= notice.served_end:
        raise Refused(
            f"Notice to Improve {notice.id}'s improvement period runs until "
            f"{notice.served_end}: it can be closed only after it ends"
        )
    period = ImprovementPeriod(notice.served_start, notice.served_end)
    codes = (await rules_for_pupil(uow, notice.upn)).threshold_codes
    further = await uow.marks.count_codes(notice.upn, period.start, period.end, codes)
    return (await end_of_period_for(uow, notice, period, further)).finding


async def close_notice(
    uow: UnitOfWork, notice_id: int, outcome: str, reason: str, by: str, on: date, now: datetime
) -> Decision:
    if outcome not in OUTCOMES:
        raise Refused(f"--outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    why = _reason(reason)
    async with uow:
        notice = await _notice(uow, notice_id)
        if notice.decided_by is not None:
            raise Refused(
                f"Notice to Improve {notice_id} was closed {notice.status} by "
                f"{notice.decided_by} on {notice.decided_on}"
            )
        finding = await _finding(uow, notice, on)
        overrides = outcome == NoticeStatus.IMPROVED and finding is Finding.NOT_IMPROVED
        if overrides and len(why.split()) < OVERRIDE_WORDS:
            raise Refused(
                f"the review found Notice to Improve {notice_id} not improved (further "
                f"unauthorised absence beyond what it allowed): to close it improved, say in "
                f"--reason why, in at least {OVERRIDE_WORDS} words (if the absence was in fact "
                "authorised, correct the register marks instead)"
            )
        status = NoticeStatus(outcome)
        await uow.cases.notice_decided(notice_id, status, by, why, on)
        details = {
            "notice_id": notice_id,
            "outcome": str(status),
            "finding": str(finding),
            "reason": why,
            "against_finding": outcome != finding,
        }
        summary = (
            f"Notice to Improve {notice_id} closed: {status.replace('_', ' ')} "
            f"(the review found {finding.replace('_', ' ')}). Reason: {why}"
        )
        await uow.cases.add_entry(notice.upn, on, "nti_closed", by, summary, details, now)
        await uow.audit.append(by, "nti.closed", f"pupil:{notice.upn}", details, now)
        await uow.commit()
    return Decision(notice_id, notice.upn, status, str(finding))


async def withdraw_notice(
    uow: UnitOfWork, notice_id: int, reason: str, by: str, on: date, now: datetime
) -> Decision:
    """Issued in error: withdrawn, it is no ground for a penalty or a referral."""
    why = _reason(reason)
    async with uow:
        notice = await _notice(uow, notice_id)
        await uow.cases.notice_decided(notice_id, NoticeStatus.WITHDRAWN, by, why, on)
        details = {"notice_id": notice_id, "was": str(notice.status), "reason": why}
        summary = (
            f"Notice to Improve {notice_id} withdrawn (issued in error): it counts for "
            f"nothing. Reason: {why}"
        )
        await uow.cases.add_entry(notice.upn, on, "nti_withdrawn", by, summary, details, now)
        await uow.audit.append(by, "nti.withdrawn", f"pupil:{notice.upn}", details, now)
        await uow.commit()
    return Decision(notice_id, notice.upn, NoticeStatus.WITHDRAWN, notice.review_outcome)
