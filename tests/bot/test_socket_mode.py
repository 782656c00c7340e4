"""Socket Mode: with SLACK_APP_TOKEN, the app connects out over a WebSocket (here a local one
that plays Slack's) and answers `/attendance` without a public URL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from casework.imports import import_csv
from supportfirst.alerting import slack_app, socket_mode
from supportfirst.bootstrap import bootstrap
from supportfirst.settings import Settings
from tests import builders as b
from tests.cases import enrol
from tests.slackapi import SlackStandIn

NOW = datetime(2025, 3, 7, 15, 0, tzinfo=UTC)


class SlackSocket:
    """Slack's side of a Socket Mode connection: says hello, sends envelopes, collects acks."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.ws: web.WebSocketResponse | None = None

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_json({"type": "hello", "num_connections": 1})
        self.connected.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await self.acks.put(json.loads(msg.data))
        return ws


@pytest.fixture
async def socket() -> AsyncIterator[tuple[SlackSocket, str]]:
    server = SlackSocket()
    app = web.Application()
    app.router.add_get("/link", server.handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield server, f"ws://127.0.0.1:{port}/link"
    await runner.cleanup()


async def test_a_slash_command_over_socket_mode_is_acked_and_answered(
    tmp_path: Path, slack_api: SlackStandIn, socket: tuple[SlackSocket, str]
) -> None:
    server, url = socket
    slack_api.handle("apps.connections.open", lambda args: {"url": url})
    slack_api.token = None  # apps.connections.open is called with the app token, not the bot's
    settings = Settings(
        data_dir=tmp_path / "data",
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-1-test",
        slack_api_url=slack_api.base_url,
    )
    application = bootstrap(settings)
    for kind, data in (("schools", b.schools()), ("pupils", b.pupils(b.UPN_1))):
        await import_csv(application.uow(), kind, f"{kind}.csv", data, "o", NOW)
    await enrol(application.uow, "U1OFFICER", "Ms Patel", "attendance_officer", now=NOW)
    app = slack_app(application)
    assert app is not None
    handler = await socket_mode(application, app)
    assert handler is not None
    try:
        await asyncio.wait_for(server.connected.wait(), 10)
        assert server.ws is not None
        await server.ws.send_json(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "team_id": "T1",
                    "user_id": "U1OFFICER",
                    "command": "/attendance",
                    "text": f"status {b.UPN_1}",
                    "response_url": slack_api.response_url(),
                    "trigger_id": "t1",
                    "channel_id": "C1",
                    "api_app_id": "A0APP",
                },
            }
        )
        ack = await asyncio.wait_for(server.acks.get(), 10)
        [answer] = await slack_api.wait_for_calls("response_url")
    finally:
        await handler.close_async()
        await application.close()
    assert ack["envelope_id"] == "env-1"
    assert "unauthorised sessions" in str(answer.args["text"])
