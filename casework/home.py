"""A member of staff's view of today: open cases (running notices, pupils at the threshold)
and today's alerts (Slack's App Home shows it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from casework.ports import UnitOfWork
from casework.records import NoticeRecord, PendingEvent, PupilRow, StaffRecord
from casework.thresholds import threshold_report


@dataclass(frozen=True)
class OpenCase:
    pupil: PupilRow
    why: str


@dataclass(frozen=True)
class Today:
    member: StaffRecord | None
    cases: tuple[OpenCase, ...]
    alerts: tuple[tuple[PendingEvent, PupilRow | None], ...]


def _notice_line(n: NoticeRecord) -> str:
    if n.served_end is None:
        return f"Notice to Improve {n.id} ({n.status}): not yet served on every parent"
    return f"Notice to Improve {n.id} ({n.status}) until {n.served_end}"


async def today_for(uow: UnitOfWork, slack_user_id: str, on: date, now: datetime) -> Today:
    met = {r.upn: r for r in await threshold_report(uow, on, include_all=False)}
    async with uow:
        member = await uow.chat.staff(slack_user_id)
        if member is None:
            return Today(None, (), ())
        notices = {n.upn: n for n in await uow.cases.notices(open_only=True)}
        cases = []
        for upn in sorted(set(notices) | set(met)):
            pupil = await uow.registry.pupil(upn)
            if pupil is None:
                continue
            why = (
                _notice_line(notices[upn])
                if upn in notices
                else f"{met[upn].unauthorised_sessions} unauthorised sessions: at the threshold"
            )
            cases.append(OpenCase(pupil, why))
        alerts = []
        for event in await uow.outbox.recent(now - timedelta(days=1)):
            pupil = await uow.registry.pupil(event.upn) if event.upn else None
            alerts.append((event, pupil))
    return Today(member, tuple(cases), tuple(alerts))
