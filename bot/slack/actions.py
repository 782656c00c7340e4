"""The alert buttons: acknowledge, open the case, record the decision. Each is acknowledged at
once; its work runs afterwards: the button's value parsed into the alert it names, one use case
(behind the access guard), then the result shown, or the refusal told to the user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import AlertRef, Answer, Ask
from bot.slack.blocks import actions, context
from bot.slack.deps import Body, Deps, just_ack, reply
from bot.slack.forms import case_view, decision_form

Act = Callable[[Ask, AlertRef], Awaitable[Answer]]
Show = Callable[[Body, AsyncWebClient, Answer, AlertRef], Awaitable[None]]


def alert_named(body: Body) -> AlertRef:
    """The button's value is `EVENT_ID|UPN` (bot.slack.blocks.alert_blocks)."""
    event_id, _, upn = str(body["actions"][0]["value"]).partition("|")
    return AlertRef(event_id, upn)


async def _acknowledged(body: Body, client: AsyncWebClient, answer: Answer, _: AlertRef) -> None:
    # The buttons go: an alert is acknowledged once, and the channel sees by whom. The link to
    # the case page stays: the chronology is still read there.
    message = body["message"]
    shown = message.get("blocks", [])
    blocks = [b for b in shown if b.get("type") != "actions"]
    links = [e for b in shown if b.get("type") == "actions" for e in b["elements"] if "url" in e]
    if links:
        blocks.append(actions(*links))
    blocks.append(context(answer.text))
    await client.chat_update(
        channel=body["channel"]["id"], ts=message["ts"], text=message.get("text", ""), blocks=blocks
    )


async def _case(body: Body, client: AsyncWebClient, answer: Answer, alert: AlertRef) -> None:
    view = case_view(f"Case {alert.upn}", answer.text, list(answer.prefill))
    await client.views_open(trigger_id=body["trigger_id"], view=view)


async def _decision(body: Body, client: AsyncWebClient, _: Answer, alert: AlertRef) -> None:
    view = decision_form(alert.upn, alert.event_id)
    await client.views_open(trigger_id=body["trigger_id"], view=view)


def _button(deps: Deps, action_id: str, act: Act, show: Show) -> Callable[..., Awaitable[None]]:
    async def work(body: Body, client: AsyncWebClient, respond: Any) -> None:
        alert = alert_named(body)
        answer = await act(deps.ask(body["user"]["id"], f"button {action_id}", body), alert)
        if answer.refused:
            await reply(respond, answer.text)
            return
        await show(body, client, answer, alert)

    work.__name__ = work.__qualname__ = action_id  # Bolt names lazy listeners by it
    return work


def register(app: AsyncApp, deps: Deps) -> None:
    alerts = deps.commands.alerts
    buttons: tuple[tuple[str, Act, Show], ...] = (
        ("alert_ack", alerts.acknowledge, _acknowledged),
        ("alert_open_case", alerts.open_case, _case),
        ("alert_decision", alerts.decision_form, _decision),
    )
    for action_id, act, show in buttons:
        app.action(action_id)(ack=just_ack, lazy=[_button(deps, action_id, act, show)])
    app.action("alert_open_page")(just_ack)  # a link: the browser opens the page, nothing to do
