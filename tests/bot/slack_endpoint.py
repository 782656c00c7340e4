"""serve's real Slack endpoint for the tests, with requests signed as Slack signs them and the
Web API's local stand-in; and alerts recorded as posted, for the buttons to name."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import insert

from casework.records import AlertPostRecord, AlertState
from store.tables import OutboxEvent
from supportfirst.alerting import slack_app
from supportfirst.bootstrap import App, bootstrap
from supportfirst.serve import make_web_app
from supportfirst.settings import Settings
from tests import builders as b
from tests.cases import enrol, one_family
from tests.slackapi import (
    SlackStandIn,
    block_actions_payload,
    end_lazy_answers,
    interaction_body,
    signed_headers,
    slash_command_body,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = datetime(2025, 3, 7, 15, 0, tzinfo=UTC)


@dataclass
class Endpoint:
    app: App
    url: str
    http: aiohttp.ClientSession

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
        async with self.http.post(
            self.url,
            data=body,
            headers=signed_headers(SECRET, body) if headers is None else headers,
        ) as r:
            return r.status, await r.text()

    async def command(self, text: str, api: SlackStandIn, user: str = "U1OFFICER") -> str:
        url = api.response_url()
        before = len(api.calls_to("response_url"))
        status, _ = await self.post(slash_command_body(text=text, user_id=user, response_url=url))
        assert status == 200
        calls = await api.wait_for_calls("response_url", before + 1)
        return str(calls[-1].args["text"])


@pytest.fixture
async def endpoint(db_url: str, tmp_path: Path, slack_api: SlackStandIn) -> AsyncIterator[Endpoint]:
    settings = Settings(
        data_dir=tmp_path / "data",
        slack_bot_token=slack_api.token,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.base_url,
    )
    app = bootstrap(settings, db_url, migrate=False)
    await one_family(app, NOW, marks_from=date(2025, 2, 24))
    await enrol(app.uow, "U1OFFICER", "Ms Patel", "attendance_officer", now=NOW)
    await enrol(app.uow, "U2VIEWER", "Mr Read", "read_only", now=NOW)
    runner = web.AppRunner(make_web_app(app, slack_app(app)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as http:
        yield Endpoint(app, f"http://127.0.0.1:{port}/slack/events", http)
    await runner.cleanup()
    await end_lazy_answers()
    await app.close()


async def posted_alert(app: App, event_id: str, channel: str = "C1", upn: str = b.UPN_1) -> None:
    """Raise `event_id` (a ThresholdMet about `upn`) and record it as shown in a Slack channel,
    as alert delivery does before and after posting it: the buttons of that message then name
    an alert that exists."""
    async with app.engine.begin() as conn:  # the event under the id the test names
        await conn.execute(
            insert(OutboxEvent).values(
                id=event_id,
                kind="ThresholdMet",
                upn=upn,
                occurred_on=NOW.date(),
                payload="{}",
                created_at=NOW,
                delivered_at=NOW,
            )
        )
    async with app.uow() as uow:
        record = AlertPostRecord(
            event_id=event_id,
            destination=f"slack:{channel}",
            state=AlertState.POSTING,
            started_at=NOW,
        )
        await uow.chat.begin_post(record)
        await uow.commit()
    async with app.uow() as uow:
        await uow.chat.finish_post(event_id, f"slack:{channel}", channel, "1700000000.000100", NOW)
        await uow.commit()


async def press(
    endpoint: Endpoint, api: SlackStandIn, action_id: str, value: str, user: str
) -> str:
    """Press an alert button as `user`; the private answer it got through the response_url."""
    before = len(api.calls_to("response_url"))  # a slash command earlier answered there too
    click = block_actions_payload(action_id, value, user_id=user, response_url=api.response_url())
    status, _ = await endpoint.post(interaction_body(click))
    assert status == 200
    calls = await api.wait_for_calls("response_url", before + 1)
    assert len(calls) == before + 1, "one answer to the press"
    return str(calls[-1].args["text"])


async def open_home(endpoint: Endpoint, api: SlackStandIn, user: str) -> str:
    """`user` opens the app's Home tab; the view published for them, as JSON text."""
    event = {
        "token": "x",
        "team_id": "T1",
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": "Ev1",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"},
    }
    body = json.dumps(event).encode()
    status, _ = await endpoint.post(
        body, signed_headers(SECRET, body, content_type="application/json")
    )
    assert status == 200
    [published] = await api.wait_for_calls("views.publish")
    assert published.args["user_id"] == user
    return json.dumps(published.args["view"])
