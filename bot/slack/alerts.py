"""Alerts posted with Slack's Web API: to a channel or as a DM, threaded under the notice's
first alert, with the event id in the message metadata so a restart can find what it posted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import alert_blocks, alert_fallback
from bot.views import AlertView
from casework.records import AlertPostRecord

EVENT_TYPE = "supportfirst_alert"


class SlackAlerts:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._dm: dict[str, str] = {}

    async def _channel(self, destination: str) -> str:
        kind, _, target = destination.partition(":")
        if kind != "slack-dm":
            return target
        if target not in self._dm:
            opened = await self.client.conversations_open(users=target)
            self._dm[target] = str(opened["channel"]["id"])
        return self._dm[target]

    async def post(
        self, destination: str, view: AlertView, thread: AlertPostRecord | None
    ) -> tuple[str | None, str | None]:
        channel = await self._channel(destination)
        args: dict[str, Any] = {
            "channel": channel,
            "text": alert_fallback(view),
            "blocks": alert_blocks(view),
            "metadata": {"event_type": EVENT_TYPE, "event_payload": {"event_id": view.event_id}},
        }
        if thread is not None and thread.channel == channel and thread.ts:
            args["thread_ts"] = thread.ts
        response = await self.client.chat_postMessage(**args)
        return str(response["channel"]), str(response["ts"])

    async def find(
        self, destination: str, event_id: str, since: datetime
    ) -> tuple[str | None, str | None] | None:
        channel = await self._channel(destination)
        response = await self.client.conversations_history(
            channel=channel,
            oldest=f"{since.timestamp() - 60:.6f}",
            include_all_metadata=True,
            limit=200,
        )
        messages: list[dict[str, Any]] = response.get("messages") or []
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("event_id") == event_id:
                return channel, str(message.get("ts"))
        return None
