"""`serve` with Slack configured posts each alert once, and a restarted `serve` does not post
it again (real processes; Slack's Web API is the local stand-in)."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, date, datetime
from pathlib import Path

from casework.events import ThresholdMet
from casework.imports import import_csv
from supportfirst.bootstrap import App, bootstrap
from supportfirst.settings import Settings
from tests import builders as b
from tests.integration.test_serve import start_serve
from tests.slackapi import SlackStandIn

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


async def serve(data: Path, api: SlackStandIn) -> asyncio.subprocess.Process:
    return await start_serve(
        {
            "SUPPORTFIRST_DATA_DIR": str(data),
            "SLACK_BOT_TOKEN": api.token or "xoxb-test",
            "SLACK_SIGNING_SECRET": "secret",
            "SUPPORTFIRST_SLACK_API_URL": api.base_url,
            "SUPPORTFIRST_SLACK_ALERT_CHANNEL": "C1",
        },
        "serving on",
    )


async def stop(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(proc.wait(), 60)
    except TimeoutError:
        proc.kill()
        raise AssertionError("serve did not stop within 60 s of SIGINT") from None


async def alert(app: App, upn: str) -> None:
    async with app.uow() as uow:
        await uow.outbox.add(ThresholdMet(upn, date(2025, 3, 7), 10, date(2025, 1, 6)), NOW)
        await uow.commit()


async def test_an_alert_is_posted_once_and_not_again_after_a_restart(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    app = bootstrap(Settings(data_dir=tmp_path / "data"))
    for kind, data in (("schools", b.schools()), ("pupils", b.pupils())):
        await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)
    await alert(app, b.UPN_1)
    first = await serve(tmp_path / "data", slack_api)
    try:
        await slack_api.wait_for_calls("chat.postMessage", 1, timeout=30)
    finally:
        await stop(first)
    second = await serve(tmp_path / "data", slack_api)
    try:
        await alert(app, b.UPN_2)  # once this one is shown, the first has had its chance
        await slack_api.wait_for_calls("chat.postMessage", 2, timeout=30)
    finally:
        await stop(second)
    await app.close()
    shown = [m["metadata"]["event_payload"]["event_id"] for m in slack_api.posted("C1")]
    assert len(shown) == 2 and shown[0] != shown[1]  # the same event twice would be a repeat
