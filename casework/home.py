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


async def today_for(
    uow: UnitOfWork, staff_id: str, on: date, now: datetime, team_id: str | None = None
) -> Today:
    """The open cases and the day's alerts of the member's schools (and, from Slack, of that
    workspace's schools) only."""
    met = {r.upn: r for r in await threshold_report(uow, on, include_all=False)}
    async with uow:
        member = await uow.chat.staff(staff_id)
        if member is None:
            return Today(None, (), ())
        workspace = await uow.chat.workspace_schools(team_id) if team_id else set()

        def sees(pupil: PupilRow | None) -> bool:
            if pupil is None:
                return True  # an alert about no pupil (a full disk) is everyone's
            return member.covers(pupil.school_urn) and (
                not workspace or pupil.school_urn in workspace
            )

        notices = {n.upn: n for n in await uow.cases.notices(open_only=True)}
        cases = []
        for upn in sorted(set(notices) | set(met)):
            pupil = await uow.registry.pupil(upn)
            if pupil is None or not sees(pupil):
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
            if event.upn and pupil is None:
                continue
            if sees(pupil):
                alerts.append((event, pupil))
    return Today(member, tuple(cases), tuple(alerts))
