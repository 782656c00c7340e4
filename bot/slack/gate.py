"""What a request to `/slack/events` must get past before Bolt parses it: a body within Slack's
own size (413 otherwise, before anything is read beyond it), and, once its signature is proven,
no replay: the same signature and timestamp within Slack's 5-minute window is acknowledged and
not run again, and a retry Slack marks with `X-Slack-Retry-Num` of an event already run is
acknowledged the same way. A request whose signature is missing, wrong or stale goes on to
Bolt, which answers 401."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from casework.ports import UnitOfWork

# Slack's payloads: a slash command is a few KB at most, an interaction (a view with its state,
# a message with its blocks) stays well under this; anything larger is not from Slack.
MAX_BODY = 256 * 1024
WINDOW = timedelta(minutes=5)  # Slack's own replay window for a signed request


class TooLarge(web.HTTPRequestEntityTooLarge):
    def __init__(self, size: int | None) -> None:
        super().__init__(max_size=MAX_BODY, actual_size=size or MAX_BODY + 1)


async def read_body(request: web.Request) -> bytes:
    """The body, or 413 as soon as it is known to be larger than Slack sends."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise TooLarge(request.content_length)
    body = await request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise TooLarge(None)
    return body


def _event_id(body: bytes) -> str | None:
    """The Events API's event id (retries of one delivery share it)."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    event_id = document.get("event_id") if isinstance(document, dict) else None
    return str(event_id) if event_id else None


class ReplayGuard:
    def __init__(
        self, signing_secret: str, new_uow: Callable[[], UnitOfWork], clock: Callable[[], datetime]
    ) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.new_uow = new_uow
        self.clock = clock
        self._waiting: list[tuple[list[str], asyncio.Future[bool]]] = []
        self._remembering: asyncio.Task[None] | None = None

    async def first_time(self, request: web.Request, body: bytes) -> bool:
        """False when this signed request (or this event, on a retry) was run already; True
        for a new one, and for one whose signature does not hold (Bolt refuses it)."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not self.verifier.is_valid_request(body, headers):
            return True
        keys = [f"sig:{headers['x-slack-request-timestamp']}:{headers['x-slack-signature']}"]
        event_id = _event_id(body) if "json" in request.content_type else None
        if event_id is not None:
            keys.append(f"event:{event_id}")
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((keys, answer))
        if self._remembering is None:
            self._remembering = asyncio.create_task(self._remember_waiting())
        return await answer

    async def _remember_waiting(self) -> None:
        """The requests waiting, remembered in one transaction (a group commit): fifty commands
        at once had been fifty transactions, each its own commit, in turn, before any ack."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    new = await self._remember(batch)
                except Exception as e:  # each request fails as it would have alone
                    for _, answer in batch:
                        answer.set_exception(e)
                    continue
                for (_, answer), first in zip(batch, new, strict=True):
                    answer.set_result(first)
        finally:
            self._remembering = None

    async def _remember(self, batch: list[tuple[list[str], asyncio.Future[bool]]]) -> list[bool]:
        now = self.clock()
        new: list[bool] = []
        async with self.new_uow() as uow:
            await uow.chat.forget_requests(now - 2 * WINDOW)
            for keys, _ in batch:
                # Remembered atomically: of two copies arriving at once, one runs; a copy
                # refused leaves nothing of itself remembered.
                remembered = [k for k in keys if await uow.chat.remember_request(k, now)]
                new.append(len(remembered) == len(keys))
                if not new[-1]:
                    await uow.chat.forget_keys(remembered)
            await uow.commit()
        return new
