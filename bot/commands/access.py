"""Chat's side of the one access guard (casework.access): a Slack user, in a workspace, asks
for an act; the guard resolves them to a member of staff, checks the role, the pupil's school
(theirs, and the workspace's) and that an alert the act names exists and is about that pupil.
A refusal is audited there and comes back here as an Answer the surface must show: never
silence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.commands.asks import Answer, Ask
from casework.access import NOT_STAFF, Act, Caller, Forbidden, admit
from casework.ports import UnitOfWork
from casework.records import StaffRecord

__all__ = ["NOT_STAFF", "AlertRef", "Guard"]


@dataclass(frozen=True)
class AlertRef:
    """The alert a button or form names (the button's value; the form's private metadata)."""

    event_id: str
    upn: str


class Guard:
    def __init__(self, new_uow: Callable[[], UnitOfWork]) -> None:
        self.new_uow = new_uow

    async def admit(
        self,
        ask: Ask,
        action: str,
        alert: AlertRef | None = None,
        doing: str | None = None,
        upn: str | None = None,
    ) -> StaffRecord | Answer:
        """The member of staff when `action` (a word of casework.staff.MAY) is allowed on the
        pupil (`upn`, or the alert's), else the refusal, already audited. `doing` words the
        act for the user ("recording decisions"); by default the refusal names the action."""
        upn = alert.upn if alert is not None else upn
        act = Act(
            action,
            upn=upn or None,
            event_id=alert.event_id if alert is not None else None,
            doing=doing,
            text=ask.text,
        )
        try:
            admitted = await admit(
                self.new_uow, Caller(ask.user_id, "slack", ask.team_id), act, ask.now
            )
        except Forbidden as e:
            return Answer(str(e), refused=True, upn=upn)
        return admitted.member
