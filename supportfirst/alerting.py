"""Wiring chat: the Bolt app for Slack commands (see `slack_app`), and the alerts: the console
always; Slack when SLACK_BOT_TOKEN is set, or the app is installed by OAuth in
SUPPORTFIRST_SLACK_TEAM_ID (its Web API at SUPPORTFIRST_SLACK_API_URL, 429s retried as
Retry-After says); Teams when SUPPORTFIRST_TEAMS_WEBHOOK_URL is set. `serve` runs the loop."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.console import ConsoleAlerts
from bot.alerts.deliver import AlertChannel, Delivered, deliver_alerts
from bot.commands import Commands
from bot.slack.alerts import SlackAlerts
from bot.slack.app import build_app
from bot.teams import TeamsWebhook
from bot.views import AlertView
from casework.packview import PackView
from casework.packzip import Seal
from casework.records import AlertPostRecord, PendingEvent
from supportfirst.bootstrap import App
from supportfirst.settings import reveal

log = logging.getLogger("supportfirst.alerts")


def slack_client(application: App, token: str | None = None) -> AsyncWebClient | None:
    s = application.settings
    token = token or reveal(s.slack_bot_token)
    if not token:
        return None
    client = AsyncWebClient(token=token, base_url=s.slack_api_url or AsyncWebClient.BASE_URL)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=5))
    client.retry_handlers.append(AsyncConnectionErrorRetryHandler(max_retry_count=3))
    return client


class TeamsAlerts:
    def __init__(self, webhook: TeamsWebhook) -> None:
        self.webhook = webhook

    async def post(
        self, destination: str, view: AlertView, thread: AlertPostRecord | None
    ) -> tuple[str | None, str | None]:
        await self.webhook.post(view)
        return None, None

    async def find(self, destination: str, event_id: str, since: datetime) -> None:
        return None  # a webhook cannot be asked what it has shown


class Alerts:
    """The channels this service can show alerts on, and the default destinations."""

    def __init__(self, application: App) -> None:
        self.application = application
        s = application.settings
        self.channels: dict[str, AlertChannel] = {
            "console": ConsoleAlerts(s.data_dir / "alerts.log")
        }
        self.default = ["console"]
        self.teams: TeamsWebhook | None = None
        client = slack_client(application)
        if client is not None:
            self.channels["slack"] = SlackAlerts(client)
        # Installed by OAuth instead: alerts go to one workspace, with its installed bot token.
        self.installed = (
            AsyncSQLAlchemyInstallationStore(s.slack_client_id, application.engine)
            if client is None and s.slack_client_id and s.slack_team_id
            else None
        )
        if (client is not None or self.installed is not None) and s.slack_alert_channel:
            self.default.append(f"slack:{s.slack_alert_channel}")
        if s.teams_webhook_url:
            self.teams = TeamsWebhook(s.teams_webhook_url)
            self.channels["teams"] = TeamsAlerts(self.teams)
            self.default.append("teams")

    def case_url(self, event: PendingEvent) -> str | None:
        """Where an alert's link goes: the pupil's page at the alert, the inbox for mail."""
        if event.upn:
            return self.application.settings.pupil_url(event.upn, event.id)
        if event.kind == "MailQuarantined":
            return f"{self.application.settings.public_url.rstrip('/')}/inbox"
        return None

    async def _installed_token(self) -> None:
        """Use the workspace's installed bot token (it changes when the app is reinstalled)."""
        assert self.installed is not None
        bot = await self.installed.async_find_bot(
            enterprise_id=None, team_id=self.application.settings.slack_team_id
        )
        current = self.channels.get("slack")
        if (
            bot is not None
            and bot.bot_token
            and (not isinstance(current, SlackAlerts) or current.client.token != bot.bot_token)
        ):
            client = slack_client(self.application, bot.bot_token)
            assert client is not None
            self.channels["slack"] = SlackAlerts(client)

    async def deliver(self) -> Delivered:
        if self.installed is not None:
            await self._installed_token()
        return await deliver_alerts(
            self.application.uow,
            self.channels,
            self.default,
            self.case_url,
            self.application.clock.now,
        )

    async def run_forever(self, every: float = 2.0) -> None:
        while True:
            try:
                await self.deliver()
            except Exception:
                log.exception("alert delivery failed; retrying")
            await asyncio.sleep(every)

    async def close(self) -> None:
        if self.teams is not None:
            await self.teams.close()


def render_chronology(view: PackView) -> bytes:
    from documents.chronology import chronology_pdf  # WeasyPrint: only when a pack is built

    return chronology_pdf(view)


def commands(application: App) -> Commands:
    seal = Seal(application.signing_key, application.heads())
    return Commands(application.uow, application.mailroom, render_chronology, seal)


# files:read: the bot fetches the file a user gives in a modal (a parent's written leave request).
SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "channels:history",
    "groups:history",
    "files:write",
    "files:read",
)


def oauth_settings(application: App) -> AsyncOAuthSettings | None:
    """Multi-workspace installs: Bolt's OAuth flow, installations kept in our database."""
    s, engine = application.settings, application.engine
    if not (s.slack_client_id and s.slack_client_secret):
        return None
    return AsyncOAuthSettings(
        client_id=s.slack_client_id,
        client_secret=reveal(s.slack_client_secret),
        scopes=list(SCOPES),
        installation_store=AsyncSQLAlchemyInstallationStore(s.slack_client_id, engine),
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine),
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
    )


def slack_app(
    application: App, answering: tuple[App, AsyncLazyListenerRunner] | None = None
) -> AsyncApp | None:
    """The Bolt app when Slack is configured: a bot token (SLACK_BOT_TOKEN) or OAuth installs
    (SLACK_CLIENT_ID/SECRET), with SLACK_SIGNING_SECRET (HTTP at /slack/events) and/or
    SLACK_APP_TOKEN (Socket Mode: no public URL needed). With `answering`, the lazy listeners
    (the answers) run on that runner's loop with that App's engine; the acks (and OAuth's
    installation look-ups, before the ack) stay with `application`."""
    s = application.settings
    oauth = oauth_settings(application)
    client = slack_client(application)
    if oauth is not None:  # tokens come from the installation store, per workspace
        client = AsyncWebClient(base_url=s.slack_api_url or AsyncWebClient.BASE_URL)
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=5))
    if client is None or not (s.slack_signing_secret or s.slack_app_token):
        return None
    # Without a signing secret every HTTP request fails verification (401): Socket Mode only.
    secret = reveal(s.slack_signing_secret) or ""
    answers, runner = answering if answering is not None else (application, None)
    return build_app(
        commands(answers),
        answers.uow,
        client,
        secret,
        application.clock.today,
        application.clock.now,
        oauth,
        runner,
    )


async def socket_mode(application: App, app: AsyncApp) -> AsyncSocketModeHandler | None:
    """Connect over Socket Mode when SLACK_APP_TOKEN is set (the connection is the proof of
    who is calling; no request signatures)."""
    token = reveal(application.settings.slack_app_token)
    if not token:
        return None
    handler = AsyncSocketModeHandler(app, token)
    try:
        # slack_sdk keeps retrying a refused token: give up after a while and say so.
        await asyncio.wait_for(handler.connect_async(), 30)  # type: ignore[no-untyped-call]
    except (TimeoutError, Exception):
        log.error("Socket Mode: could not connect to Slack (check SLACK_APP_TOKEN)")
        await handler.close_async()  # type: ignore[no-untyped-call]
        return None
    return handler
