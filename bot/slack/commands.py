"""The `/attendance` slash command: acknowledged at once, run by the command layer afterwards,
answered privately (the NTI form opens as a modal; the pack comes as a DM)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import Body, Deps, just_ack
from bot.slack.forms import letter_form, nti_form
from casework.letters import TITLES


async def _send_pack(
    client: AsyncWebClient, user_id: str, comment: str, attachment: tuple[str, bytes]
) -> str:
    """The pack to the requester only, by DM; what the command answers."""
    dm = await client.conversations_open(users=user_id)
    name, data = attachment
    await client.files_upload_v2(
        channel=dm["channel"]["id"],
        filename=name,
        content=data,
        title=name,
        initial_comment=comment,
    )
    return f"{name} is in your direct messages."


def register(app: AsyncApp, deps: Deps) -> None:
    async def attendance(body: Body, respond: Any, client: AsyncWebClient) -> None:
        user = body["user_id"]
        answer = await deps.commands.run(deps.ask(user, body.get("text", ""), body))
        if answer.form == "nti" and answer.upn:
            view = nti_form(answer.upn, answer.prefill, deps.today())
            await client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        if answer.form == "letter" and answer.upn:
            title = TITLES.get(answer.template, answer.template)
            view = letter_form(answer.upn, answer.template, title, answer.choices)
            await client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        text = answer.text
        if answer.attachment is not None:
            try:
                text = await _send_pack(client, user, answer.text, answer.attachment)
            except SlackApiError as e:  # not exported: nothing is audited as sent
                error = e.response.get("error", "unknown error")
                await respond(
                    text=f"The pack could not be sent to you ({error}): try again.",
                    response_type="ephemeral",
                )
                return
            if answer.delivered is not None:
                await answer.delivered()
        await respond(text=text, response_type="ephemeral")

    app.command("/attendance")(ack=just_ack, lazy=[attendance])
