"""What the Slack listeners need, in one small object `build_app` hands to each module's
`register(app, deps)`; and the two ways a listener answers privately."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Ask, Commands
from casework.ports import UnitOfWork

Ack = Callable[..., Awaitable[None]]
Body = dict[str, Any]


@dataclass(frozen=True)
class Deps:
    commands: Commands  # the use cases, each behind the one access guard
    new_uow: Callable[[], UnitOfWork]
    today: Callable[[], date]
    clock: Callable[[], datetime]

    def ask(self, user_id: str, text: str = "", body: Body | None = None) -> Ask:
        return Ask(user_id, text, self.today(), self.clock(), team_of(body or {}))


def team_of(body: Body) -> str | None:
    """The workspace a request came from: slash commands and events carry `team_id`,
    interactions `team.id` (or the user's `team_id`)."""
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    return team or (body.get("user") or {}).get("team_id")


async def just_ack(ack: Ack) -> None:
    await ack()


async def reply(respond: Any, text: str) -> None:
    """To the user alone, through the response_url, leaving the message they acted on alone."""
    await respond(text=text, response_type="ephemeral", replace_original=False)


async def direct_message(client: AsyncWebClient, user_id: str, text: str) -> None:
    """A modal has no response_url once it is closed: the answer comes as a DM."""
    await client.chat_postMessage(channel=user_id, text=text)
