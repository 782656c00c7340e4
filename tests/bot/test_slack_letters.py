"""Letters that need more than a line of text, from Slack: `/attendance letter
leave_request_response|meeting_notes UPN` opens a form (the leave dates as datepickers, the
discussion as a select, `again` as a checkbox), its submission is checked in the modal and the
letter queued with what was chosen; refusals speak Slack, never the command line's flags.
Through serve's real endpoint, requests signed as Slack signs them, the Web API's stand-in."""

from __future__ import annotations

import itertools
import json
from typing import Any

from casework.records import Entry
from tests import builders as b
from tests.bot.slack_endpoint import Endpoint, endpoint
from tests.mail.test_pdf import pdf_text
from tests.slackapi import (
    SlackStandIn,
    interaction_body,
    slash_command_body,
    view_submission_payload,
)

__all__ = ["endpoint"]  # the fixture
OFFICER = "U1OFFICER"


async def open_form(endpoint: Endpoint, api: SlackStandIn, text: str) -> dict[str, Any]:
    before = len(api.calls_to("views.open"))
    status, _ = await endpoint.post(slash_command_body(text=text, user_id=OFFICER))
    assert status == 200
    opened = await api.wait_for_calls("views.open", before + 1)
    view: dict[str, Any] = opened[-1].args["view"]
    return view


def picked(day: str) -> dict[str, Any]:
    return {"value": {"type": "datepicker", "selected_date": day}}


TRIGGERS = itertools.count(13345224610)


def ticked(*chosen: str) -> dict[str, Any]:
    return {"value": {"type": "checkboxes", "selected_options": [{"value": c} for c in chosen]}}


async def submit(
    endpoint: Endpoint, api: SlackStandIn, view: dict[str, Any], state: dict[str, Any]
) -> str:
    """Submit the form with `state`; the DM that answers it."""
    before = len(api.calls_to("chat.postMessage"))
    # Each real submission has its own trigger_id: two identical bodies signed in the same
    # second would be one request replayed, which the endpoint acknowledges and does not run.
    payload = view_submission_payload(
        "letter_send",
        state,
        private_metadata=view["private_metadata"],
        user_id=OFFICER,
        trigger_id=f"{next(TRIGGERS)}.738474920.8088930838d88f008e0",
    )
    status, body = await endpoint.post(interaction_body(payload))
    assert status == 200 and not body.strip(), body  # accepted: the modal closes
    told = await api.wait_for_calls("chat.postMessage", before + 1, 60)
    assert told[-1].args["channel"] == OFFICER
    return str(told[-1].args["text"])


async def entries(endpoint: Endpoint, kind: str) -> list[Entry]:
    async with endpoint.app.uow() as uow:
        return [e for e in await uow.cases.entries(b.UPN_1) if e.kind == kind]


async def test_the_leave_response_form_takes_the_dates_and_again_and_queues_the_letter(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    view = await open_form(endpoint, slack_api, f"letter leave_request_response {b.UPN_1}")
    assert view["callback_id"] == "letter_send"
    inputs = {blk["block_id"]: blk["element"]["type"] for blk in view["blocks"] if "element" in blk}
    assert inputs == {
        "leave_from": "datepicker",
        "leave_to": "datepicker",
        "granted": "checkboxes",
        "request": "file_input",
        "again": "checkboxes",
    }
    backwards = {"leave_from": picked("2025-03-21"), "leave_to": picked("2025-03-17")}
    payload = view_submission_payload(
        "letter_send", backwards, private_metadata=view["private_metadata"], user_id=OFFICER
    )
    status, body = await endpoint.post(interaction_body(payload))
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert answer["errors"] == {"leave_to": "The last day of leave is before the first."}
    assert await entries(endpoint, "letter_sent") == []

    dates = {"leave_from": picked("2025-03-17"), "leave_to": picked("2025-03-21")}
    sent = await submit(endpoint, slack_api, view, dates)
    assert sent.startswith(f"leave_request_response for {b.UPN_1}:") and "parent P2" in sent
    [leave] = await entries(endpoint, "leave_request")
    assert (leave.details["leave_from"], leave.details["leave_to"]) == ("2025-03-17", "2025-03-21")
    assert leave.details["sessions"] == 10 and leave.details["granted"] is False

    twice = await submit(endpoint, slack_api, view, dates)
    assert "was already sent to parent P1, P2 on" in twice
    assert "tick “Send it again today” in the form" in twice and "--" not in twice
    again = await submit(endpoint, slack_api, view, {**dates, "again": ticked("again")})
    assert again.startswith(f"leave_request_response for {b.UPN_1}:")
    letters = await entries(endpoint, "letter_sent")
    assert [e.details.get("again", False) for e in letters] == [False, False, True, True]
    assert {e.details["leave_from"] for e in letters} == {"2025-03-17"}

    agreed = {**dates, "granted": ticked("granted")}
    await submit(endpoint, slack_api, view, agreed)  # a different answer: a different letter
    assert [e.details["granted"] for e in await entries(endpoint, "leave_request")] == [
        False,
        True,
    ]


async def test_meeting_notes_choose_the_discussion_from_a_select(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    refused = await endpoint.command(f"letter meeting_notes {b.UPN_1}", slack_api)
    assert refused.startswith(f"No meeting, contract meeting or contact is logged for {b.UPN_1}")
    await endpoint.command(f"log {b.UPN_1} contact Phoned mum about mornings", slack_api)
    [contact] = await entries(endpoint, "contact")
    view = await open_form(endpoint, slack_api, f"letter meeting_notes {b.UPN_1}")
    [select] = [blk for blk in view["blocks"] if blk.get("block_id") == "entry"]
    [option] = select["element"]["options"]
    assert option["value"] == str(contact.id) and "Phoned mum" in option["text"]["text"]
    payload = view_submission_payload(
        "letter_send", {}, private_metadata=view["private_metadata"], user_id=OFFICER
    )
    status, body = await endpoint.post(interaction_body(payload))
    assert json.loads(body)["errors"] == {"entry": "Choose the discussion whose notes to send."}
    chosen = {
        "entry": {
            "value": {"type": "static_select", "selected_option": {"value": str(contact.id)}}
        },
        "notes": {"value": {"type": "plain_text_input", "value": "We agreed a 8:40 start."}},
    }
    sent = await submit(endpoint, slack_api, view, chosen)
    assert sent.startswith(f"meeting_notes for {b.UPN_1}:")
    letters = await entries(endpoint, "letter_sent")
    assert [e.details["entry"] for e in letters] == [contact.id, contact.id]
    async with endpoint.app.uow() as uow:
        printed = await uow.mail.printed_for(b.UPN_1)
    assert len(printed) == 2
    for p in printed:  # the notes typed in the form, to each parent
        text = " ".join(pdf_text(endpoint.app.evidence().get(p.letter_sha256)).split())
        assert "We agreed a 8:40 start." in text


async def test_a_repeat_from_the_command_says_to_add_again_not_a_flag(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await endpoint.command(f"letter initial_concern {b.UPN_1}", slack_api)
    twice = await endpoint.command(f"letter initial_concern {b.UPN_1}", slack_api)
    assert "was already sent to parent P1, P2 on" in twice
    assert f"add `again`: `/attendance letter initial_concern {b.UPN_1} again`" in twice
    assert "--again" not in twice


async def test_the_parents_request_given_in_the_form_is_kept_byte_for_byte(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    asked = b"%PDF-1.4 May Sam miss 17 to 21 March? Alex Taylor\r\n\x00\xff"
    view = await open_form(endpoint, slack_api, f"letter leave_request_response {b.UPN_1}")
    [field] = [blk for blk in view["blocks"] if blk.get("block_id") == "request"]
    assert field["element"]["type"] == "file_input" and field["optional"] is True
    given = {
        "value": {"type": "file_input", "files": [slack_api.shared_file("request.pdf", asked)]}
    }
    dates = {"leave_from": picked("2025-03-17"), "leave_to": picked("2025-03-21")}
    sent = await submit(endpoint, slack_api, view, {**dates, "request": given})
    assert sent.startswith(f"leave_request_response for {b.UPN_1}:")
    [download] = slack_api.calls_to("file_download")
    assert (
        download.status == 200 and download.headers["Authorization"] == f"Bearer {slack_api.token}"
    )
    [leave] = await entries(endpoint, "leave_request")
    assert leave.details["request_file"] == "request.pdf"
    assert endpoint.app.evidence().get(leave.details["request_sha256"]) == asked


async def test_a_request_file_not_stored_in_slack_is_not_fetched_and_nothing_is_sent(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    view = await open_form(endpoint, slack_api, f"letter leave_request_response {b.UPN_1}")
    elsewhere = {
        **slack_api.shared_file("request.pdf", b"x"),
        "url_private_download": ("https://attacker.example/steal"),
    }
    given = {"value": {"type": "file_input", "files": [elsewhere]}}
    dates = {"leave_from": picked("2025-03-17"), "leave_to": picked("2025-03-21")}
    told = await submit(endpoint, slack_api, view, {**dates, "request": given})
    assert told == "Nothing was sent: request.pdf is not a file stored in Slack."
    assert (
        await entries(endpoint, "letter_sent") == []
        and await entries(endpoint, "leave_request") == []
    )
