"""Bolt's lazy listeners handed to another loop (bot/slack/elsewhere.py): a signed command is
acked while its answer holds the other loop's thread, and the answer runs there."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.elsewhere import AnswersElsewhere
from supportfirst.own_loop import in_own_thread
from tests.slackapi import SlackStandIn, signed_headers, slash_command_body

SECRET = "answers-elsewhere-secret"


async def test_the_ack_comes_back_while_the_answer_holds_the_other_loop(
    slack_api: SlackStandIn,
) -> None:
    answers = AnswersElsewhere(logging.getLogger("test"))
    holding, release = threading.Event(), threading.Event()
    ran_on: list[str] = []

    async def ack(ack: Any) -> None:
        await ack()

    async def answer(body: dict[str, Any]) -> None:
        ran_on.append(threading.current_thread().name)
        holding.set()
        release.wait(30)  # holds that loop without yielding, as a long lookup would

    app = AsyncApp(
        client=AsyncWebClient(token=slack_api.token, base_url=slack_api.base_url),
        signing_secret=SECRET,
        process_before_response=False,
    )
    app.listener_runner.lazy_listener_runner = answers
    app.command("/attendance")(ack=ack, lazy=[answer])
    answering = asyncio.create_task(in_own_thread(answers.run_forever, "answers"))
    try:
        await answers.running()
        body = slash_command_body(text="status A123")
        request = AsyncBoltRequest(body=body.decode(), headers=signed_headers(SECRET, body))
        response = await asyncio.wait_for(app.async_dispatch(request), 10)
        assert response.status == 200
        assert await asyncio.to_thread(holding.wait, 10), "the answer never ran"
        assert ran_on == ["answers"]
        # The ack's loop is free while the answer holds its own: a second command is acked too.
        again = await asyncio.wait_for(app.async_dispatch(request), 10)
        assert again.status == 200
    finally:
        release.set()
        answering.cancel()
        await asyncio.gather(answering, return_exceptions=True)


async def test_without_a_loop_taking_answers_they_run_where_they_start() -> None:
    answers = AnswersElsewhere(logging.getLogger("test"))
    done = asyncio.Event()
    ran_on: list[str] = []

    async def answer(body: dict[str, Any]) -> None:
        ran_on.append(threading.current_thread().name)
        done.set()

    request = AsyncBoltRequest(body="command=%2Fattendance", headers={})
    answers.start(answer, request)
    await asyncio.wait_for(done.wait(), 5)
    assert ran_on == [threading.current_thread().name]


async def test_an_answer_waits_while_a_request_is_being_acked() -> None:
    answers = AnswersElsewhere(logging.getLogger("test"))
    started = threading.Event()

    async def answer() -> None:
        started.set()

    answering = asyncio.create_task(in_own_thread(answers.run_forever, "answers"))
    try:
        await answers.running()
        request = AsyncBoltRequest(body="command=%2Fattendance", headers={})
        with answers.acking():
            answers.start(answer, request)
            assert not await asyncio.to_thread(started.wait, 0.5), "it started before the ack"
        assert await asyncio.to_thread(started.wait, 5), "it never started after the ack"
    finally:
        answering.cancel()
        await asyncio.gather(answering, return_exceptions=True)
