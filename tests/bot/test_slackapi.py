"""The Slack stand-in, exercised by the real slack_sdk client, and Slack-style request signing."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests import slackapi
from tests.slackapi import (
    SlackStandIn,
    interaction_body,
    signed_headers,
    slash_command_body,
    view_submission_payload,
)

slack_api = slackapi.slack_api  # the fixture

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
METADATA = {"event_type": "case_opened", "event_payload": {"case_id": 7}}
MODAL = {
    "type": "modal",
    "callback_id": "absence_reason",
    "private_metadata": "case=7",
    "title": {"type": "plain_text", "text": "Absence"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Why?"}}],
}


def client(api: SlackStandIn, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token=api.token, base_url=api.base_url, **kwargs)


async def test_posted_message_is_in_history_with_metadata(slack_api: SlackStandIn) -> None:
    web = client(slack_api)
    auth = await web.auth_test()
    assert (auth["team_id"], auth["user_id"]) == (slack_api.team_id, slack_api.bot_user_id)

    first = await web.chat_postMessage(channel="C1", text="one")
    second = await web.chat_postMessage(channel="C1", text="two", metadata=METADATA)
    assert first["channel"] == "C1" and second["message"]["metadata"] == METADATA
    assert float(first["ts"]) < float(second["ts"])

    history = await web.conversations_history(channel="C1", include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["two", "one"]
    assert history["messages"][0]["metadata"] == METADATA
    assert [m["ts"] for m in slack_api.posted("C1")] == [first["ts"], second["ts"]]

    bare = await web.conversations_history(channel="C1")
    assert "metadata" not in bare["messages"][0]
    newer = await web.conversations_history(channel="C1", oldest=first["ts"], limit=5)
    assert [m["ts"] for m in newer["messages"]] == [second["ts"]]
    page = await web.conversations_history(channel="C1", limit=1)
    assert page["has_more"] and page["response_metadata"]["next_cursor"]

    dm = await web.conversations_open(users="U9")
    to_user = await web.chat_postMessage(channel="U9", text="hello")
    assert dm["channel"]["id"] == to_user["channel"] == "DU9"
    call = slack_api.calls_to("chat.postMessage")[0]
    assert call.args["channel"] == "C1" and call.headers["authorization"].startswith("Bearer ")


async def test_views_are_echoed(slack_api: SlackStandIn) -> None:
    web = client(slack_api)
    opened = (await web.views_open(trigger_id="1.2.3", view=MODAL))["view"]
    assert opened["id"].startswith("V") and opened["root_view_id"] == opened["id"]
    for key in ("type", "callback_id", "private_metadata", "blocks", "title"):
        assert opened[key] == MODAL[key]

    updated = await web.views_update(view_id=opened["id"], view={**MODAL, "private_metadata": "x"})
    assert (updated["view"]["id"], updated["view"]["private_metadata"]) == (opened["id"], "x")

    home = {"type": "home", "blocks": [{"type": "divider"}]}
    published = (await web.views_publish(user_id="U1", view=home))["view"]
    assert published["type"] == "home" and published["blocks"] == home["blocks"]
    assert slack_api.calls_to("views.publish")[0].args["user_id"] == "U1"


async def test_files_upload_v2(slack_api: SlackStandIn) -> None:
    web = client(slack_api)
    result = await web.files_upload_v2(
        channel="C1", filename="register.csv", content=b"upn,mark\nA1,/\n", initial_comment="hi"
    )
    assert result["file"]["name"] == "register.csv" and result["file"]["size"] == 14
    assert [c.method for c in slack_api.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    upload = slack_api.uploads[result["file"]["id"]]
    assert upload.completed and upload.data == b"upn,mark\nA1,/\n" and upload.channels == ["C1"]
    assert slack_api.posted("C1")[0]["files"][0]["id"] == upload.file_id


async def test_rate_limit_with_retry_handler(slack_api: SlackStandIn) -> None:
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=0)
    web = client(slack_api)
    web.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    response = await web.chat_postMessage(channel="C1", text="after 429")
    assert response["ok"]
    calls = slack_api.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert [m["text"] for m in slack_api.posted("C1")] == ["after 429"]


async def test_rate_limit_without_retry_handler(slack_api: SlackStandIn) -> None:
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=3)
    with pytest.raises(SlackApiError) as raised:
        await client(slack_api).chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "3"
    assert raised.value.response["error"] == "ratelimited"
    assert slack_api.posted("C1") == []


async def test_errors(slack_api: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(token="xoxb-wrong", base_url=slack_api.base_url).auth_test()
    assert raised.value.response["error"] == "invalid_auth"

    slack_api.fail("chat.update", "cant_update_message")
    with pytest.raises(SlackApiError) as raised:
        await client(slack_api).chat_update(channel="C1", ts="1.000001", text="x")
    assert raised.value.response["error"] == "cant_update_message"

    with pytest.raises(SlackApiError) as raised:
        await client(slack_api).api_call("users.nonsense")
    assert raised.value.response["error"] == "unknown_method"


async def test_wait_for_calls(slack_api: SlackStandIn) -> None:
    web = client(slack_api)
    later = asyncio.create_task(web.chat_postEphemeral(channel="C1", user="U1", text="psst"))
    calls = await slack_api.wait_for_calls("chat.postEphemeral", 1, timeout=5)
    assert calls[0].args["user"] == "U1"
    assert (await later)["message_ts"]
    with pytest.raises(TimeoutError):
        await slack_api.wait_for_calls("chat.postEphemeral", 2, timeout=0.05)


def test_signed_headers_verify_with_slack_sdk() -> None:
    body = slash_command_body(text="status A123")
    headers = signed_headers(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + b"&x=1", headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 5 * 60 - 10)
    assert not verifier.is_valid_request(body, stale)
    # The example in https://api.slack.com/authentication/verifying-requests-from-slack
    example = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
        b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121"
        b".803a0bc887a14d10d2c447fce8b6703c"
    )
    documented = signed_headers(SECRET, example, timestamp=1531420618)
    assert documented["X-Slack-Signature"] == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_request_bodies() -> None:
    fields = urllib.parse.parse_qs(slash_command_body(text="status A123").decode())
    assert fields["command"] == ["/attendance"] and fields["text"] == ["status A123"]
    payload = view_submission_payload("absence_reason", private_metadata="case=7")
    decoded = urllib.parse.parse_qs(interaction_body(payload).decode())
    assert list(decoded) == ["payload"]
    assert json.loads(decoded["payload"][0]) == payload
