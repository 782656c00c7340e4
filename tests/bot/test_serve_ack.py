"""`serve` answers Slack on a loop of its own: while the background loops (sender, ingester,
review, alert delivery) hold their thread, a slash command still gets its ack and its answer."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from datetime import date
from pathlib import Path

import aiohttp

from supportfirst.bootstrap import bootstrap
from supportfirst.serve import serve_forever
from supportfirst.settings import Settings
from tests import builders as b
from tests.bot.slack_endpoint import NOW, SECRET
from tests.cases import enrol, one_family
from tests.integration.test_serve import free_port
from tests.slackapi import SlackStandIn, signed_headers, slash_command_body

HOLD_SECONDS = 30  # how long the stuck loop holds its thread unless released sooner


class StuckAlerts:
    """Alert delivery whose loop holds its thread without yielding (as a long synchronous
    step would) until the test releases it."""

    def __init__(self) -> None:
        self.stuck = threading.Event()
        self.release = threading.Event()
        self.holding = False
        self.closed = False

    async def run_forever(self) -> None:
        self.holding = True
        self.stuck.set()
        self.release.wait(HOLD_SECONDS)  # blocks this event loop, on purpose
        self.holding = False
        await asyncio.Event().wait()

    async def close(self) -> None:
        self.closed = True


async def test_a_slash_command_is_acked_and_answered_while_the_background_loops_are_stuck(
    db_url: str, tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        slack_bot_token=slack_api.token,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.base_url,
    )
    alerts = StuckAlerts()
    app = bootstrap(settings, db_url, migrate=False, alerts=alerts)  # type: ignore[arg-type]
    await one_family(app, NOW, marks_from=date(2025, 2, 24))
    await enrol(app.uow, "U1OFFICER", "Ms Patel", "attendance_officer", now=NOW)
    port = free_port()
    serving = asyncio.create_task(serve_forever(app, "127.0.0.1", port))
    try:
        assert await asyncio.to_thread(alerts.stuck.wait, 30)
        body = slash_command_body(
            text=f"status {b.UPN_1}", user_id="U1OFFICER", response_url=slack_api.response_url()
        )
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/slack/events",
                data=body,
                headers=signed_headers(SECRET, body),
            ) as acked,
        ):
            assert acked.status == 200
            assert alerts.holding, "the ack waited for the background loops"
        [answer] = await slack_api.wait_for_calls("response_url", timeout=30)
        assert b.UPN_1 in str(answer.args["text"]) or "Sam" in str(answer.args["text"])
        assert alerts.holding, "the answer waited for the background loops"
    finally:
        alerts.release.set()
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        await app.close()
    assert alerts.closed
