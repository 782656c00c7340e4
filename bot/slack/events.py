"""Events: the App Home tab, published when a member of staff opens it."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Answer
from bot.slack.deps import Body, Deps
from bot.slack.forms import home_view, notice_home
from casework.home import today_for


def register(app: AsyncApp, deps: Deps) -> None:
    async def home(body: Body, event: Body, client: AsyncWebClient) -> None:
        user = event["user"]
        # The home tab names pupils: the same right as `status`, refused like any other act.
        ask = deps.ask(user, "app home", body)
        admitted = await deps.commands.guard.admit(ask, "status")
        if isinstance(admitted, Answer):
            await client.views_publish(user_id=user, view=notice_home(admitted.text))
            return
        member = admitted  # the guard's answer when admitted: the member of staff
        today_view = await today_for(
            deps.new_uow(), member.id, deps.today(), deps.clock(), ask.team_id
        )
        await client.views_publish(user_id=user, view=home_view(today_view))

    app.event("app_home_opened")(home)
