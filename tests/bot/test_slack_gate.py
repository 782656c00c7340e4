"""Before Bolt parses a request: a body larger than Slack sends is refused with 413, and a signed
request replayed inside Slack's 5-minute window, or an event Slack retries
(`X-Slack-Retry-Num`) after it was run, is acknowledged and not run again."""

from __future__ import annotations

import asyncio
import json
import time

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.slack.gate import ReplayGuard
from casework.ports import UnitOfWork
from tests import builders as b
from tests.bot.slack_endpoint import SECRET, Endpoint, endpoint
from tests.slackapi import SlackStandIn, signed_headers, slash_command_body

__all__ = ["endpoint"]  # the fixture


async def later(endpoint: Endpoint, api: SlackStandIn, text: str, answers: int) -> None:
    """Send a new command and wait for its answer, the `answers`-th through response URLs: what
    a replay would have answered, had it run, would have come before it."""
    body = slash_command_body(text=text, user_id="U1OFFICER", response_url=api.response_url())
    assert (await endpoint.post(body))[0] == 200
    calls = await api.wait_for_calls("response_url", answers)
    assert len(calls) == answers


async def notes(endpoint: Endpoint) -> list[str]:
    async with endpoint.app.uow() as uow:
        return [e.summary for e in await uow.cases.entries(b.UPN_1) if e.kind == "note"]


async def test_a_replayed_signed_command_is_acknowledged_and_not_run_again(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    body = slash_command_body(
        text=f"log {b.UPN_1} note Rang home",
        user_id="U1OFFICER",
        response_url=slack_api.response_url(),
    )
    headers = signed_headers(SECRET, body)
    assert (await endpoint.post(body, headers))[0] == 200
    await slack_api.wait_for_calls("response_url")
    assert await endpoint.post(body, headers) == (200, "")  # the same request, replayed
    # A later, different command is answered: the replay, had it run, would have been first.
    await later(endpoint, slack_api, f"log {b.UPN_1} note Second call", 2)
    assert await notes(endpoint) == ["Rang home", "Second call"]


async def test_an_event_slack_retries_after_it_ran_is_not_run_again(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    event = {
        "token": "x",
        "team_id": "T1",
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": "Ev0RETRY",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": "U1OFFICER", "channel": "D1", "tab": "home"},
    }
    body = json.dumps(event).encode()
    first = signed_headers(SECRET, body, content_type="application/json")
    assert (await endpoint.post(body, first))[0] == 200
    await slack_api.wait_for_calls("views.publish")
    # Slack signs its retry anew (a later timestamp) and says which retry it is.
    retry = signed_headers(SECRET, body, int(time.time()) + 1, content_type="application/json")
    status, _ = await endpoint.post(body, {**retry, "X-Slack-Retry-Num": "1"})
    assert status == 200
    await later(endpoint, slack_api, f"status {b.UPN_1}", 1)
    assert len(slack_api.calls_to("views.publish")) == 1


async def test_a_body_larger_than_slack_sends_is_refused_before_it_is_read(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    huge = "x" * 300_000
    body = slash_command_body(text=f"log {b.UPN_1} note {huge}", user_id="U1OFFICER")
    async with endpoint.app.uow() as uow:
        audited = len(await uow.audit.all())
    status, _ = await endpoint.post(body, signed_headers(SECRET, body))
    assert status == 413
    async with endpoint.app.uow() as uow:
        assert len(await uow.audit.all()) == audited
    assert await notes(endpoint) == [] and slack_api.calls_to("response_url") == []


async def test_a_forged_signature_is_still_refused_and_not_remembered(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    body = slash_command_body(text=f"status {b.UPN_1}", user_id="U1OFFICER")
    forged = {**signed_headers("not-the-secret", body)}
    assert (await endpoint.post(body, forged))[0] == 401
    assert (await endpoint.post(body, signed_headers(SECRET, body)))[0] == 200


def _request(headers: dict[str, str]) -> web.Request:
    return make_mocked_request("POST", "/slack/events", headers=headers)


async def test_requests_arriving_together_are_remembered_in_one_transaction(
    endpoint: Endpoint,
) -> None:
    # Fifty commands at once had been fifty transactions in turn before any ack.
    opened = 0

    def counted() -> UnitOfWork:
        nonlocal opened
        opened += 1
        return endpoint.app.uow()

    guard = ReplayGuard(SECRET, counted, endpoint.app.clock.now)
    bodies = [slash_command_body(text=f"status {i}", user_id="U1OFFICER") for i in range(20)]
    signed = [(_request(signed_headers(SECRET, body)), body) for body in bodies]
    firsts = await asyncio.gather(*(guard.first_time(r, body) for r, body in signed))
    assert firsts == [True] * 20
    assert opened <= 2  # the first alone, the nineteen that came meanwhile together
    # The same twenty twice more, at once: none runs again.
    again = await asyncio.gather(*(guard.first_time(r, body) for r, body in signed * 2))
    assert again == [False] * 40
    # Two copies of a new request at once: one runs.
    body = slash_command_body(text="status twice", user_id="U1OFFICER")
    copy = _request(signed_headers(SECRET, body))
    assert sorted(
        await asyncio.gather(guard.first_time(copy, body), guard.first_time(copy, body))
    ) == [
        False,
        True,
    ]


async def test_a_retry_refused_with_others_leaves_nothing_of_itself_remembered(
    endpoint: Endpoint,
) -> None:
    guard = ReplayGuard(SECRET, endpoint.app.uow, endpoint.app.clock.now)
    body = json.dumps({"type": "event_callback", "event_id": "Ev0TOGETHER"}).encode()
    json_type = "application/json"
    first = signed_headers(SECRET, body, content_type=json_type)
    retry = signed_headers(SECRET, body, int(time.time()) + 1, content_type=json_type)
    other = slash_command_body(text="status other", user_id="U1OFFICER")
    answers = await asyncio.gather(
        guard.first_time(_request(first), body),
        guard.first_time(_request(retry), body),  # the same event, signed anew
        guard.first_time(_request(signed_headers(SECRET, other)), other),
    )
    assert answers == [True, False, True]
    refused = f"sig:{retry['X-Slack-Request-Timestamp']}:{retry['X-Slack-Signature']}"
    async with endpoint.app.uow() as uow:  # not committed: only asking whether it is there
        assert await uow.chat.remember_request(refused, endpoint.app.clock.now()) is True
