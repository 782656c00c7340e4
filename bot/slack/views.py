"""Modal submissions: the Notice to Improve form, the letter form and the decision form. The NTI
and letter forms are checked inline (Slack shows the errors in the modal); each is then acted on
afterwards and answered by DM, refusals included."""

from __future__ import annotations

import json
from datetime import date

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import AlertRef
from bot.slack.deps import Ack, Body, Deps, direct_message, just_ack
from bot.slack.files import FileNotRead, shared_file
from bot.slack.forms import values
from casework.letters import LetterOptions


def nti_errors(v: Body) -> dict[str, str]:
    """What is wrong with the NTI form, by block id (empty when it can be issued)."""
    errors = {}
    if not str(v.get("improvement") or "").strip():
        errors["improvement"] = "Say what sufficient improvement means for this family."
    if not str(v.get("max_further") or "").isdigit():
        errors["max_further"] = "A whole number of sessions, 0 or more."
    return errors


def letter_errors(template: str, v: Body) -> dict[str, str]:
    """What is wrong with a letter form, by block id, in the form's own words."""
    errors = {}
    if template == "leave_request_response":
        start, end = v.get("leave_from"), v.get("leave_to")
        if not start:
            errors["leave_from"] = "Choose the first day of leave."
        if not end:
            errors["leave_to"] = "Choose the last day of leave."
        if start and end and end < start:
            errors["leave_to"] = "The last day of leave is before the first."
    if template == "meeting_notes" and not v.get("entry"):
        errors["entry"] = "Choose the discussion whose notes to send."
    return errors


def _template(view: Body) -> str:
    return str(json.loads(view.get("private_metadata") or "{}").get("template", ""))


def letter_options(v: Body) -> LetterOptions:
    """The form's answers as the letter takes them."""
    entry = str(v.get("entry") or "")
    return LetterOptions(
        granted="granted" in (v.get("granted") or []),
        leave_from=date.fromisoformat(v["leave_from"]) if v.get("leave_from") else None,
        leave_to=date.fromisoformat(v["leave_to"]) if v.get("leave_to") else None,
        entry=int(entry) if entry.isdigit() else None,
        notes=str(v.get("notes") or "").strip() or None,
    )


async def letter_validate(ack: Ack, view: Body) -> None:
    errors = letter_errors(_template(view), values(view))
    if errors:
        await ack(response_action="errors", errors=errors)
    else:
        await ack()


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

    async def letter_send(body: Body, view: Body, client: AsyncWebClient) -> None:
        v, template, user = values(view), _template(view), body["user"]["id"]
        if letter_errors(template, v):
            return  # the modal stayed open showing the errors (letter_validate)
        upn = str(json.loads(view["private_metadata"])["upn"])
        request = None
        if given := v.get("request"):
            try:
                request = await shared_file(client, given[0])
            except FileNotRead as e:
                await direct_message(client, user, f"Nothing was sent: {e}.")
                return
        answer = await deps.commands.send_letter_form(
            deps.ask(user, f"form letter_send {template}", body),
            upn,
            template,
            letter_options(v),
            again="again" in (v.get("again") or []),
            request=request,
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
    app.view("letter_send")(ack=letter_validate, lazy=[letter_send])
    app.view("alert_decision")(ack=just_ack, lazy=[decision_submit])
