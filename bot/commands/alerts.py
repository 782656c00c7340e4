"""What staff do from an alert's buttons, surface-neutral: acknowledge it, open the case, open
and submit the decision form. Each act goes through the one access guard first."""

from __future__ import annotations

from collections.abc import Callable

from bot.commands.access import AlertRef, Guard
from bot.commands.asks import Answer, Ask
from bot.commands.status import status_text
from casework.alert_actions import acknowledge_alert, record_decision
from casework.caselog import chronology
from casework.errors import CaseworkError
from casework.ports import UnitOfWork
from casework.status import pupil_status

LATEST = 10  # chronology entries the case view shows


class AlertCommands:
    def __init__(self, new_uow: Callable[[], UnitOfWork], guard: Guard) -> None:
        self.new_uow = new_uow
        self.guard = guard

    async def acknowledge(self, ask: Ask, alert: AlertRef) -> Answer:
        # Acknowledging writes to the chronology, so it needs the right to log.
        caller = await self.guard.admit(ask, "log", alert, "acknowledging alerts")
        if isinstance(caller, Answer):
            return caller
        await acknowledge_alert(
            self.new_uow(), alert.event_id, alert.upn, caller.id, ask.on, ask.now
        )
        return Answer(f"Acknowledged by {caller.name} at {ask.now:%H:%M}", upn=alert.upn)

    async def open_case(self, ask: Ask, alert: AlertRef) -> Answer:
        caller = await self.guard.admit(ask, "status", alert, "opening cases")
        if isinstance(caller, Answer):
            return caller
        status = await pupil_status(self.new_uow(), alert.upn, ask.on)
        c = await chronology(self.new_uow(), alert.upn)
        latest = tuple(
            f"{e.on} {e.kind.replace('_', ' ')}: {e.summary}" for e in c.entries[-LATEST:]
        )
        return Answer(status_text(status), form="case", upn=alert.upn, prefill=latest)

    async def decision_form(self, ask: Ask, alert: AlertRef) -> Answer:
        caller = await self.guard.admit(ask, "log", alert, "recording decisions")
        if isinstance(caller, Answer):
            return caller
        return Answer("Opening the decision form.", form="decision", upn=alert.upn)

    async def record_decision(
        self, ask: Ask, alert: AlertRef, about: str, decision: str, reason: str
    ) -> Answer:
        """The decision form's submission (checked again: a form can outlive a role)."""
        caller = await self.guard.admit(ask, "log", alert, "recording decisions")
        if isinstance(caller, Answer):
            return caller
        try:
            await record_decision(
                self.new_uow(),
                alert.event_id,
                alert.upn,
                about,
                decision,
                reason,
                caller.id,
                ask.on,
                ask.now,
            )
        except CaseworkError as e:
            return Answer(f"The decision was not recorded: {e}", refused=True, upn=alert.upn)
        return Answer(f"Decision recorded in {alert.upn}'s chronology.", upn=alert.upn)
