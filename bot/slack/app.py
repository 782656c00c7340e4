"""The Slack app (slack-bolt, async, HTTP mode at POST /slack/events).

The listeners live by kind, as in Bolt's examples, each module with `register(app, deps)`:
`commands` (the slash command), `views` (modal submissions), `actions` (the alert buttons) and
`events` (the App Home). Every listener acknowledges first (Slack wants the ack within 3
seconds) and does its work in a lazy listener afterwards, reporting back privately
(response_url, a DM, or a modal); every act passes the one access guard of bot.commands. Bolt
checks each request's signature and age: a forged or stale request gets 401 and reaches no
listener.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Commands
from bot.slack import actions, events, views
from bot.slack import commands as slash
from bot.slack.deps import Deps
from casework.ports import UnitOfWork

log = logging.getLogger("supportfirst.slack")


async def on_error(error: Exception, body: dict[str, Any]) -> None:
    log.error("Slack listener failed: %s", error, exc_info=error)


def build_app(
    commands: Commands,
    new_uow: Callable[[], UnitOfWork],
    client: AsyncWebClient,
    signing_secret: str,
    today: Callable[[], date],
    clock: Callable[[], datetime],
    oauth_settings: AsyncOAuthSettings | None = None,
    answers: AsyncLazyListenerRunner | None = None,
) -> AsyncApp:
    """With `oauth_settings`, the app is installed per workspace (tokens from the installation
    store); otherwise `client` carries the one workspace's bot token. With `answers`, the lazy
    listeners run there (bot/slack/elsewhere.py) instead of on the loop that acks."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=False,
        oauth_settings=oauth_settings,
    )
    if answers is not None:
        app.listener_runner.lazy_listener_runner = answers
    deps = Deps(commands, new_uow, today, clock)
    for listeners in (slash, views, actions, events):
        listeners.register(app, deps)
    app.error(on_error)
    return app
