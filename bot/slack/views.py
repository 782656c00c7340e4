"""Modal submissions: the Notice to Improve form and the decision form. The NTI form is checked
inline (Slack shows the errors in the modal); both are then acted on afterwards and answered
by DM, refusals included."""

from __future__ import annotations

import json
from datetime import date

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import AlertRef
from bot.slack.deps import Ack, Body, Deps, direct_message, just_ack
from bot.slack.forms import values


def nti_errors(v: Body) -> dict[str, str]:
    """What is wrong with the NTI form, by block id (empty when it can be issued)."""
    errors = {}
    if not str(v.get("improvement") or "").strip():
        errors["improvement"] = "Say what sufficient improvement means for this family."
    if not str(v.get("max_further") or "").isdigit():
        errors["max_further"] = "A whole number of sessions, 0 or more."
    return errors


async def nti_validate(ack: Ack, view: Body) -> None:
    errors = nti_errors(values(view))
    if errors:
        await ack(response_action="errors", errors=errors)
    else:
        await ack()


def register(app: AsyncApp, deps: Deps) -> None:
    async def nti_issue(body: Body, view: Body, client: AsyncWebClient) -> None:
        v, user = values(view), body["user"]["id"]
        if nti_errors(v):
            return  # the modal stayed open showing the errors (nti_validate)
        upn = str(json.loads(view["private_metadata"])["upn"])
        on = date.fromisoformat(v.get("on") or deps.today().isoformat())
        available = tuple(str(v.get("available") or "").splitlines())
        answer = await deps.commands.issue_nti(
            deps.ask(user, "form nti_issue", body),
            upn,
            str(v["improvement"]),
            int(v["max_further"]),
            on,
            available,
        )
        await direct_message(client, user, answer.text)

    async def decision_submit(body: Body, view: Body, client: AsyncWebClient) -> None:
        v, meta, user = values(view), json.loads(view["private_metadata"]), body["user"]["id"]
        answer = await deps.commands.alerts.record_decision(
            deps.ask(user, "form alert_decision", body),
            AlertRef(str(meta.get("event_id", "")), str(meta.get("upn", ""))),
            str(v.get("about")),
            str(v.get("decision")),
            str(v.get("reason")),
        )
        await direct_message(client, user, answer.text)

    app.view("nti_issue")(ack=nti_validate, lazy=[nti_issue])
    app.view("alert_decision")(ack=just_ack, lazy=[decision_submit])
