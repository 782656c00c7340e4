"""The Slack app (slack-bolt, async, HTTP mode at POST /slack/events).

Every listener acknowledges first (Slack wants the ack within 3 seconds) and does its work in a
lazy listener afterwards, reporting back privately (response_url, a DM, or a modal). Bolt checks
each request's signature and age: a forged or stale request gets 401 and reaches no listener.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Ask, Commands, status_text
from bot.slack.blocks import context
from bot.slack.forms import case_view, decision_form, home_view, nti_form, values
from casework.alert_actions import acknowledge_alert, record_decision
from casework.caselog import chronology
from casework.errors import CaseworkError
from casework.home import today_for
from casework.ports import UnitOfWork
from casework.staff import MAY
from casework.status import pupil_status

log = logging.getLogger("supportfirst.slack")
Ack = Callable[..., Awaitable[None]]


def build_app(
    commands: Commands,
    new_uow: Callable[[], UnitOfWork],
    client: AsyncWebClient,
    signing_secret: str,
    today: Callable[[], date],
    clock: Callable[[], datetime],
    oauth_settings: AsyncOAuthSettings | None = None,
) -> AsyncApp:
    """With `oauth_settings`, the app is installed per workspace (tokens from the installation
    store); otherwise `client` carries the one workspace's bot token."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=False,
        oauth_settings=oauth_settings,
    )

    def ask(user_id: str, text: str = "") -> Ask:
        return Ask(user_id, text, today(), clock())

    async def allowed(user_id: str, action: str) -> str | None:
        async with new_uow() as uow:
            member = await uow.chat.staff(user_id)
        if member is None or action not in MAY.get(member.role, frozenset()):
            return None
        return member.name

    async def just_ack(ack: Ack) -> None:
        await ack()

    async def attendance(body: dict[str, Any], respond: Any, client: AsyncWebClient) -> None:
        answer = await commands.run(ask(body["user_id"], body.get("text", "")))
        if answer.form == "nti" and answer.upn:
            await client.views_open(
                trigger_id=body["trigger_id"], view=nti_form(answer.upn, answer.prefill, today())
            )
            return
        if answer.attachment is not None:  # the pack: to the requester only, by DM
            dm = await client.conversations_open(users=body["user_id"])
            name, data = answer.attachment
            await client.files_upload_v2(
                channel=dm["channel"]["id"],
                filename=name,
                content=data,
                title=name,
                initial_comment=answer.text,
            )
            await respond(text=f"{name} is in your direct messages.", response_type="ephemeral")
            return
        await respond(text=answer.text, response_type="ephemeral")

    app.command("/attendance")(ack=just_ack, lazy=[attendance])

    async def nti_validate(ack: Ack, view: dict[str, Any]) -> None:
        v = values(view)
        errors = {}
        if not str(v.get("improvement") or "").strip():
            errors["improvement"] = "Say what sufficient improvement means for this family."
        if not str(v.get("max_further") or "").isdigit():
            errors["max_further"] = "A whole number of sessions, 0 or more."
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack()

    async def nti_issue(body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        v, user = values(view), body["user"]["id"]
        if not str(v.get("improvement") or "").strip() or not str(v.get("max_further")).isdigit():
            return  # refused inline by nti_validate
        upn = str(json.loads(view["private_metadata"])["upn"])
        on = date.fromisoformat(v.get("on") or today().isoformat())
        answer = await commands.issue_nti(
            ask(user), upn, str(v["improvement"]), int(v["max_further"]), on
        )
        await client.chat_postMessage(channel=user, text=answer.text)

    app.view("nti_issue")(ack=nti_validate, lazy=[nti_issue])

    def alert_key(body: dict[str, Any]) -> tuple[str, str]:
        event_id, _, upn = body["actions"][0]["value"].partition("|")
        return event_id, upn

    async def alert_ack(body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        event_id, upn = alert_key(body)
        user = body["user"]["id"]
        name = await allowed(user, "status")
        if name is None:
            await respond(
                text="Sorry, your role does not allow that.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        await acknowledge_alert(new_uow(), event_id, upn, name, today(), clock())
        message = body["message"]
        blocks = [b for b in message.get("blocks", []) if b.get("type") != "actions"]
        blocks.append(context(f"Acknowledged by {name} at {clock():%H:%M}"))
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=message["ts"],
            text=message.get("text", ""),
            blocks=blocks,
        )

    async def alert_open_case(body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        _, upn = alert_key(body)
        if await allowed(body["user"]["id"], "status") is None:
            await respond(
                text="Sorry, your role does not allow opening cases.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        status = await pupil_status(new_uow(), upn, today())
        c = await chronology(new_uow(), upn)
        latest = [f"{e.on} {e.kind.replace('_', ' ')}: {e.summary}" for e in c.entries[-10:]]
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=case_view(f"Case {upn}", status_text(status), latest),
        )

    async def alert_decision(body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        event_id, upn = alert_key(body)
        if await allowed(body["user"]["id"], "log") is None:
            await respond(
                text="Sorry, your role does not allow recording decisions.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        await client.views_open(trigger_id=body["trigger_id"], view=decision_form(upn, event_id))

    for action_id, work in (
        ("alert_ack", alert_ack),
        ("alert_open_case", alert_open_case),
        ("alert_decision", alert_decision),
    ):
        app.action(action_id)(ack=just_ack, lazy=[work])

    async def decision_submit(
        body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        v, meta, user = values(view), json.loads(view["private_metadata"]), body["user"]["id"]
        name = await allowed(user, "log")
        if name is None:
            return
        try:
            await record_decision(
                new_uow(),
                meta["event_id"],
                meta["upn"],
                str(v["about"]),
                str(v["decision"]),
                str(v["reason"]),
                name,
                today(),
                clock(),
            )
            text = f"Decision recorded in {meta['upn']}'s chronology."
        except CaseworkError as e:
            text = f"The decision was not recorded: {e}"
        await client.chat_postMessage(channel=user, text=text)

    app.view("alert_decision")(ack=just_ack, lazy=[decision_submit])

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        today_view = await today_for(new_uow(), event["user"], today(), clock())
        await client.views_publish(user_id=event["user"], view=home_view(today_view))

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack listener failed: %s", error, exc_info=error)

    return app
