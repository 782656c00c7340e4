"""The Teams adapter against a local stand-in for a Teams Workflows webhook that checks every
card against the official Adaptive Card schema (tests/data/README.md says where it is from)."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp import web

from bot.teams import TeamsDeliveryError, TeamsWebhook, adaptive_card, webhook_body
from bot.views import AlertView

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text()
)
# The schema declares its own draft (draft-06); validator_for honours that.
Validator = jsonschema.validators.validator_for(SCHEMA)
Validator.check_schema(SCHEMA)
VALIDATOR = Validator(SCHEMA)

CASE_URL = "https://attendance.example.org/cases/4821"

URGENT = AlertView(
    event_id="evt-7f3a",
    kind="NtiBreached",
    title="Notice to Improve breached",
    pupil="S.T., Year 5",
    what_happened="Two unauthorised absences since the notice was served.",
    urgent=True,
    case_url=CASE_URL,
    upn="A123456789012",
    facts=(("Attendance", "84.2%"), ("Unauthorised sessions", "12 of 76")),
)
ROUTINE = AlertView(
    event_id="evt-0b21",
    kind="ParentReplied",
    title="Parent replied",
    pupil="J.K., Year 9",
    what_happened="A parent answered the attendance letter.",
)


def card_errors(card: dict[str, Any]) -> list[str]:
    """The schema's complaint, if any; best_match digs under the top-level anyOf to the cause."""
    error = jsonschema.exceptions.best_match(VALIDATOR.iter_errors(card))
    return [] if error is None else [f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"]


class WorkflowsReceiver:
    """Plays the Teams Workflows webhook: answers the scripted statuses first, then 202;
    answers 400 to a body that is not a message with one schema-valid Adaptive Card."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str]]] = []
        self.requests = 0
        self.cards: list[dict[str, Any]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.json()
        [attachment] = body["attachments"]
        shape_ok = (
            body["type"] == "message"
            and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
            and attachment["contentUrl"] is None
        )
        errors = card_errors(attachment["content"])
        if not shape_ok or errors:
            return web.json_response({"error": errors or "not a card message"}, status=400)
        if self.script:
            status, headers = self.script.pop(0)
            return web.json_response({"error": "scripted"}, status=status, headers=headers)
        self.cards.append(attachment["content"])
        return web.Response(status=202)


class Sleeps(list[float]):
    """Records the delays instead of waiting them."""

    async def __call__(self, delay: float) -> None:
        self.append(delay)


@pytest.fixture
async def receiver() -> AsyncIterator[WorkflowsReceiver]:
    receiver = WorkflowsReceiver()
    app = web.Application()
    app.router.add_post("/workflows/abc/triggers/manual/paths/invoke", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}/workflows/abc/triggers/manual/paths/invoke?sig=t"
    yield receiver
    await runner.cleanup()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def webhook(receiver: WorkflowsReceiver, sleeps: Sleeps) -> AsyncIterator[TeamsWebhook]:
    async with TeamsWebhook(receiver.url, max_attempts=4, base_delay=0.5, sleep=sleeps) as hook:
        yield hook


def texts(card: dict[str, Any]) -> list[str]:
    return [block["text"] for block in card["body"] if block["type"] == "TextBlock"]


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


async def test_an_urgent_alert_arrives_as_a_valid_card_whose_only_action_opens_the_case(
    receiver: WorkflowsReceiver, webhook: TeamsWebhook
) -> None:
    await webhook.post(URGENT)

    [card] = receiver.cards
    assert card_errors(card) == []
    assert card["version"] == "1.5"
    title = card["body"][0]
    assert (title["text"], title["weight"], title["color"]) == (URGENT.title, "bolder", "attention")
    assert texts(card) == [URGENT.title, "S.T., Year 5", URGENT.what_happened]
    [facts] = [block for block in card["body"] if block["type"] == "FactSet"]
    assert [(f["title"], f["value"]) for f in facts["facts"]] == list(URGENT.facts)
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open the case", "url": CASE_URL}
    ]


def test_the_card_shows_only_what_the_alert_carries() -> None:
    card = adaptive_card(URGENT)

    from_alert = {URGENT.title, URGENT.pupil, URGENT.what_happened, CASE_URL}
    from_alert |= {text for fact in URGENT.facts for text in fact}
    from_alert.add(f"{URGENT.title}: {URGENT.pupil}")  # the fallback text
    card_words = {
        "http://adaptivecards.io/schemas/adaptive-card.json",
        "AdaptiveCard",
        "1.5",
        "TextBlock",
        "bolder",
        "medium",
        "attention",
        "none",
        "FactSet",
        "Action.OpenUrl",
        "Open the case",
    }
    assert set(strings(card)) - from_alert == card_words
    dumped = json.dumps(card)
    assert URGENT.upn and URGENT.upn not in dumped
    assert URGENT.event_id not in dumped


async def test_a_card_without_a_case_url_has_no_actions_and_still_validates(
    receiver: WorkflowsReceiver, webhook: TeamsWebhook
) -> None:
    await webhook.post(ROUTINE)

    [card] = receiver.cards
    assert "actions" not in card
    assert "color" not in card["body"][0]  # not urgent: no attention colour
    assert not any(block["type"] == "FactSet" for block in card["body"])
    assert card_errors(card) == []


def test_the_schema_refuses_a_misspelt_property_and_an_unknown_action() -> None:
    misspelt, unknown = adaptive_card(URGENT), adaptive_card(URGENT)
    misspelt["body"][0]["colour"] = "attention"
    unknown["actions"][0]["type"] = "Action.Open"

    assert card_errors(misspelt) and card_errors(unknown)


def test_the_webhook_body_wraps_the_card_as_one_adaptive_attachment() -> None:
    content = adaptive_card(ROUTINE)
    assert webhook_body(content) == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": content,
            }
        ],
    }


async def test_a_429_storm_delays_by_retry_after_but_delivers_once(
    receiver: WorkflowsReceiver, webhook: TeamsWebhook, sleeps: Sleeps
) -> None:
    receiver.script = [(429, {"Retry-After": "2"})] * 3

    await webhook.post(URGENT)

    assert sleeps == [2, 2, 2]
    assert receiver.requests == 4
    assert len(receiver.cards) == 1


async def test_a_long_retry_after_is_capped(receiver: WorkflowsReceiver, sleeps: Sleeps) -> None:
    receiver.script = [(429, {"Retry-After": "3600"})]
    async with TeamsWebhook(receiver.url, max_delay=60, sleep=sleeps) as hook:
        await hook.post(URGENT)

    assert sleeps == [60]


async def test_a_500_is_retried_after_a_backoff(
    receiver: WorkflowsReceiver, webhook: TeamsWebhook, sleeps: Sleeps
) -> None:
    receiver.script = [(500, {})]

    await webhook.post(URGENT)

    assert sleeps == [0.5]
    assert len(receiver.cards) == 1


async def test_a_400_raises_at_once_without_retrying(
    receiver: WorkflowsReceiver, webhook: TeamsWebhook, sleeps: Sleeps
) -> None:
    receiver.script = [(400, {})]

    with pytest.raises(TeamsDeliveryError) as raised:
        await webhook.post(URGENT)

    assert raised.value.status == 400
    assert "scripted" in raised.value.body
    assert (receiver.requests, sleeps, receiver.cards) == (1, [], [])


async def test_a_503_to_every_attempt_raises_after_doubling_backoffs(
    receiver: WorkflowsReceiver, webhook: TeamsWebhook, sleeps: Sleeps
) -> None:
    receiver.script = [(503, {})] * 4

    with pytest.raises(TeamsDeliveryError) as raised:
        await webhook.post(URGENT)

    assert raised.value.status == 503
    assert sleeps == [0.5, 1.0, 2.0]
    assert (receiver.requests, receiver.cards) == (4, [])


async def test_a_refused_connection_is_retried_then_raises_without_a_status(
    sleeps: Sleeps,
) -> None:
    with socket.socket() as s:  # a port that was just free: nothing listens there now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with TeamsWebhook(f"http://127.0.0.1:{port}/", max_attempts=3, sleep=sleeps) as hook:
        with pytest.raises(TeamsDeliveryError) as raised:
            await hook.post(URGENT)

    assert raised.value.status is None
    assert sleeps == [1.0, 2.0]
