"""Alerts from the durable outbox to Slack (the local stand-in for its Web API) and the
console: routed by rule, minimum personal data in channels, shown once, a 429 storm delays but
loses nothing, and a reply to a notice is threaded under that notice's alert."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.console import ConsoleAlerts
from bot.alerts.deliver import AlertChannel, deliver_alerts
from bot.slack.alerts import SlackAlerts
from casework.events import NtiBreached, NtiIssued, ParentReplied, ThresholdMet
from casework.imports import import_csv
from casework.records import AlertPostRecord
from supportfirst.alerting import Alerts
from supportfirst.bootstrap import App
from tests import builders as b
from tests.bot.test_teams import WorkflowsReceiver
from tests.slackapi import SlackStandIn

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
ON = date(2025, 3, 10)


@pytest.fixture
async def school(app: App) -> App:
    for kind, data in (("schools", b.schools()), ("pupils", b.pupils(b.UPN_1))):
        await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)
    return app


def channels(api: SlackStandIn) -> dict[str, AlertChannel]:
    client = AsyncWebClient(token=api.token, base_url=api.base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=5))
    return {"slack": SlackAlerts(client), "console": ConsoleAlerts()}


async def raise_event(app: App, *events: object) -> None:
    async with app.uow() as uow:
        for e in events:
            await uow.outbox.add(e, NOW)  # type: ignore[arg-type]
        await uow.commit()


async def deliver(app: App, api: SlackStandIn, default: tuple[str, ...] = ("slack:C1",)) -> int:
    done = await deliver_alerts(app.uow, channels(api), default, lambda upn: None, lambda: NOW)
    return done.posts


async def test_a_threshold_alert_shows_initials_and_year_once(
    school: App, slack_api: SlackStandIn
) -> None:
    await raise_event(school, ThresholdMet(b.UPN_1, ON, 10, date(2025, 1, 6)))
    assert await deliver(school, slack_api) == 1
    assert await deliver(school, slack_api) == 0  # delivered: nothing shown twice
    [message] = slack_api.posted("C1")
    shown = json.dumps(message["blocks"])
    assert "S.T., Year 5" in shown and "Sam0" not in shown and "Taylor" not in shown
    assert b.UPN_1 not in message["text"]
    assert [e["action_id"] for e in message["blocks"][-1]["elements"]] == [
        "alert_ack",
        "alert_open_case",
        "alert_decision",
    ]


async def test_routes_send_a_kind_to_a_dm_and_everything_to_the_console(
    school: App, slack_api: SlackStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    async with school.uow() as uow:
        await uow.chat.add_route("ThresholdMet", "slack-dm:U7DSL", NOW)
        await uow.chat.add_route("*", "console", NOW)
        await uow.commit()
    await raise_event(school, ThresholdMet(b.UPN_1, ON, 10, date(2025, 1, 6)))
    assert await deliver(school, slack_api) == 2
    assert len(slack_api.posted("U7DSL")) == 1 and slack_api.posted("C1") == []
    assert capsys.readouterr().out.startswith(f"ALERT ThresholdMet {b.UPN_1} ")


async def test_a_429_storm_delays_but_loses_no_alert(school: App, slack_api: SlackStandIn) -> None:
    slack_api.rate_limit("chat.postMessage", times=3, retry_after=0)
    await raise_event(school, ThresholdMet(b.UPN_1, ON, 10, date(2025, 1, 6)))
    assert await deliver(school, slack_api) == 1
    assert len(slack_api.posted("C1")) == 1
    assert len(slack_api.calls_to("chat.postMessage")) == 4


async def test_an_alert_posted_before_a_crash_is_not_posted_again(
    school: App, slack_api: SlackStandIn
) -> None:
    await raise_event(school, ThresholdMet(b.UPN_1, ON, 10, date(2025, 1, 6)))
    async with school.uow() as uow:
        [event] = await uow.outbox.undelivered()
        # The process had recorded "posting" and Slack had the message, then it died.
        await uow.chat.begin_post(
            AlertPostRecord(
                event_id=event.id, destination="slack:C1", state="posting", started_at=NOW
            )
        )
        await uow.commit()
    client = AsyncWebClient(token=slack_api.token, base_url=slack_api.base_url)
    await client.chat_postMessage(
        channel="C1",
        text="Threshold met",
        metadata={"event_type": "supportfirst_alert", "event_payload": {"event_id": event.id}},
    )
    assert await deliver(school, slack_api) == 0
    assert len(slack_api.posted("C1")) == 1
    async with school.uow() as uow:
        assert (await uow.chat.posts(event.id))["slack:C1"].state == "posted"
        assert await uow.outbox.undelivered() == []


async def test_a_parents_reply_is_threaded_under_the_notices_alert(
    school: App, slack_api: SlackStandIn
) -> None:
    await raise_event(school, NtiIssued(b.UPN_1, ON, 4, date(2025, 5, 2)))
    await deliver(school, slack_api)
    await raise_event(school, ParentReplied(b.UPN_1, ON, "<r@x>", "P1", "<m@s>", "Re", 4))
    await deliver(school, slack_api)
    notice, reply = slack_api.posted("C1")
    assert reply["thread_ts"] == notice["ts"] and "thread_ts" not in notice


async def test_serves_alerts_reach_a_teams_channel_as_a_valid_card(
    school: App, receiver: WorkflowsReceiver
) -> None:
    school.settings.teams_webhook_url = receiver.url
    school.settings.case_url = "https://sf.school.example/cases/{upn}"
    async with school.uow() as uow:
        await uow.chat.add_route("NtiBreached", "teams", NOW)
        await uow.commit()
    await raise_event(school, NtiBreached(b.UPN_1, ON, 4, 2, 0))
    alerts = Alerts(school)
    try:
        assert (await alerts.deliver()).posts == 1
    finally:
        await alerts.close()
    [card] = receiver.cards
    shown = json.dumps(card)
    assert "S.T., Year 5" in shown and "Taylor" not in shown
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open the case",
            "url": f"https://sf.school.example/cases/{b.UPN_1}",
        }
    ]
