"""Microsoft Teams adapter: an AlertView as an Adaptive Card 1.5, posted to a Teams Workflows
webhook (the "Post to a channel when a webhook request is received" workflow)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal

import aiohttp

from bot.views import AlertView

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

Json = dict[str, Any]
Color = Literal["default", "dark", "light", "accent", "good", "warning", "attention"]
Weight = Literal["default", "lighter", "bolder"]
Size = Literal["default", "small", "medium", "large", "extraLarge"]
Spacing = Literal["default", "none", "small", "medium", "large", "extraLarge", "padding"]

# Error bodies end up in logs and exceptions; Teams' are short JSON, anything longer is noise.
_MAX_ERROR_BODY = 1000


# --- a small Adaptive Card builder: only the elements the alerts use -------------------------
# Enum values are spelt as the schema's enums (lower camel case); hosts match them
# case-insensitively, but the schema's case-insensitive patterns are loosely anchored, so the
# exact spelling is what the schema really checks.


def text_block(
    text: str,
    *,
    weight: Weight | None = None,
    color: Color | None = None,
    size: Size | None = None,
    subtle: bool = False,
    spacing: Spacing | None = None,
) -> Json:
    """A TextBlock that wraps (Teams clips unwrapped text at the card's width)."""
    block: Json = {"type": "TextBlock", "text": text, "wrap": True}
    if weight is not None:
        block["weight"] = weight
    if color is not None:
        block["color"] = color
    if size is not None:
        block["size"] = size
    if subtle:
        block["isSubtle"] = True
    if spacing is not None:
        block["spacing"] = spacing
    return block


def fact_set(facts: Sequence[tuple[str, str]]) -> Json:
    """A FactSet of label/value pairs."""
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]}


def open_url(title: str, url: str) -> Json:
    """An Action.OpenUrl button: the only action a webhook-posted card can usefully carry,
    since nothing is listening for Submit/Execute."""
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def card(body: Sequence[Json], actions: Sequence[Json] = (), fallback_text: str = "") -> Json:
    """A top-level Adaptive Card, version 1.5."""
    result: Json = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": list(body),
    }
    if actions:
        result["actions"] = list(actions)
    if fallback_text:
        result["fallbackText"] = fallback_text
    return result


def adaptive_card(alert: AlertView) -> Json:
    """The card for one alert: title, pupil line, what happened, facts, a link to the case.

    Only the AlertView's channel-safe fields are shown; upn and event_id never leave the
    service (a channel message carries initials and year group, no identifiers)."""
    body = [
        text_block(
            alert.title,
            weight="bolder",
            size="medium",
            color="attention" if alert.urgent else None,
        ),
        text_block(alert.pupil, subtle=True, spacing="none"),
        text_block(alert.what_happened),
    ]
    if alert.facts:
        body.append(fact_set(alert.facts))
    label = "Open the case" if alert.upn else "Open the page"  # a service alert: its page
    actions = [open_url(label, alert.case_url)] if alert.case_url else []
    return card(body, actions, fallback_text=f"{alert.title}: {alert.pupil}")


def webhook_body(content: Json) -> Json:
    """The request body a Teams Workflows webhook expects: a message with one card attachment."""
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": content}],
    }


# --- delivery ---------------------------------------------------------------------------------


class TeamsDeliveryError(Exception):
    """Teams did not accept the alert: a refusal (4xx other than 429), or retries ran out.

    status is None when the last attempt failed without an HTTP answer (connection error)."""

    def __init__(self, status: int | None, body: str) -> None:
        # The webhook URL carries its signature (sig=...), so it is never put in the message.
        said = "gave no answer" if status is None else f"answered {status}"
        super().__init__(f"Teams webhook {said}: {body}")
        self.status = status
        self.body = body


def retry_after_seconds(headers: Mapping[str, str], cap: float) -> float | None:
    """Retry-After as seconds, capped; None when absent or not a number of seconds."""
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        return None  # an HTTP-date: not what Teams sends, so fall back to the backoff
    if seconds < 0:
        return None
    return min(seconds, cap)


class TeamsWebhook:
    """Posts alert cards to one Teams Workflows webhook, retrying throttling and outages."""

    def __init__(
        self,
        url: str,
        *,
        max_attempts: int = 6,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        timeout: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._url = url
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sleep = sleep
        # Made on first use: a ClientSession belongs to the running event loop.
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return "TeamsWebhook(<url hidden>)"  # the URL is a bearer secret

    async def __aenter__(self) -> TeamsWebhook:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _backoff(self, attempt: int) -> float:
        return float(min(self._base_delay * 2 ** (attempt - 1), self._max_delay))

    async def post(self, alert: AlertView) -> None:
        """Deliver one alert; returns once Teams answers 2xx, else raises TeamsDeliveryError.

        Retries 429 (after Retry-After), 5xx and connection errors with exponential backoff.
        A retry after a lost answer may post the card twice: the webhook has no idempotency key,
        and a duplicate card is better than a missed safeguarding alert."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        body = webhook_body(adaptive_card(alert))
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with self._session.post(self._url, json=body) as response:
                    if 200 <= response.status < 300:
                        return  # Workflows answers 202 Accepted: the flow runs afterwards
                    text = (await response.text(errors="replace"))[:_MAX_ERROR_BODY]
                    failure = TeamsDeliveryError(response.status, text)
                    if response.status == 429:
                        delay = retry_after_seconds(response.headers, self._max_delay)
                        if delay is None:
                            delay = self._backoff(attempt)
                    elif response.status >= 500:
                        delay = self._backoff(attempt)
                    else:
                        # A refused card or a wrong/revoked URL: retrying cannot help.
                        raise failure
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as e:
                failure = TeamsDeliveryError(None, f"{type(e).__name__}: {e}")
                failure.__cause__ = e
                delay = self._backoff(attempt)
            if attempt == self._max_attempts:
                raise failure
            await self._sleep(delay)
