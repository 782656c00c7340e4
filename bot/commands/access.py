"""The one access guard every chat act goes through (slash commands, buttons, forms): it
resolves the chat user to a member of staff and their role, checks that the role may do the
act and that an alert the act names exists and is about a pupil on the register. A refusal is
audited (`chat.refused`) and comes back as an Answer the surface must show: never silence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.commands.asks import Answer, Ask
from casework.ports import UnitOfWork
from casework.records import StaffRecord
from casework.staff import MAY

NOT_STAFF = (
    "Sorry, you are not set up as staff in supportfirst yet: ask your Senior "
    "Attendance Champion to add you."
)


@dataclass(frozen=True)
class AlertRef:
    """The alert a button or form names (the button's value; the form's private metadata)."""

    event_id: str
    upn: str


def _role_refusal(member: StaffRecord | None, action: str, doing: str | None) -> str | None:
    if member is None:
        return NOT_STAFF
    if action in MAY.get(member.role, frozenset()):
        return None
    return (
        f"Sorry, your role ({member.role.replace('_', ' ')}) does not allow "
        f"{doing or f'`{action}`'}: ask an attendance officer or the Senior Attendance Champion."
    )


async def _alert_refusal(uow: UnitOfWork, alert: AlertRef) -> str | None:
    # Every alert a button can belong to was recorded as posted before it was shown.
    if not await uow.chat.posts(alert.event_id):
        return f"Sorry, there is no alert {alert.event_id!r}: nothing was done."
    if not alert.upn or await uow.registry.pupil(alert.upn) is None:
        return "Sorry, that alert is not about a pupil on the register: nothing was done."
    return None


class Guard:
    def __init__(self, new_uow: Callable[[], UnitOfWork]) -> None:
        self.new_uow = new_uow

    async def admit(
        self, ask: Ask, action: str, alert: AlertRef | None = None, doing: str | None = None
    ) -> StaffRecord | Answer:
        """The member of staff when `action` (a word of casework.staff.MAY) is allowed, else
        the refusal, already audited. `doing` words the act for the user ("recording
        decisions"); by default the refusal names the action."""
        async with self.new_uow() as uow:
            member = await uow.chat.staff(ask.user_id)
            why = _role_refusal(member, action, doing)
            if why is None and alert is not None:
                why = await _alert_refusal(uow, alert)
            if why is None and member is not None:
                return member
            why = why or NOT_STAFF
            who = f"{member.name} ({member.role})" if member else f"unknown user {ask.user_id}"
            details: dict[str, Any] = {
                "user_id": ask.user_id,
                "action": action,
                "text": ask.text[:200],
            }
            if alert is not None:
                details |= {"event_id": alert.event_id, "upn": alert.upn, "reason": why}
            await uow.audit.append(who, "chat.refused", f"chat:{ask.user_id}", details, ask.now)
            await uow.commit()
        return Answer(why, refused=True, upn=alert.upn if alert else None)
