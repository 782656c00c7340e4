"""`/attendance` and the alert buttons, through serve's real HTTP endpoint with requests signed
as Slack signs them; the Web API is the local stand-in."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from bot.slack.blocks import actions, button
from casework.consent import record_consent
from casework.packzip import read_zip, verify_files
from tests import builders as b
from tests.bot.slack_endpoint import NOW, SECRET, Endpoint, endpoint, open_home, posted_alert
from tests.slackapi import (
    SlackStandIn,
    block_actions_payload,
    interaction_body,
    signed_headers,
    slash_command_body,
    view_submission_payload,
)

FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")

__all__ = ["endpoint"]  # the fixture


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no signature at all
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=forged"},
        signed_headers(SECRET, slash_command_body(text="help"), int(time.time()) - 600),
    ],
    ids=["missing", "forged", "stale"],
)
async def test_an_unsigned_forged_or_stale_request_gets_401(
    endpoint: Endpoint, headers: dict[str, str]
) -> None:
    status, _ = await endpoint.post(slash_command_body(text="help"), headers)
    assert status == 401


async def test_status_answers_the_officer_privately(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    text = await endpoint.command(f"status {b.UPN_1}", slack_api)
    assert "10 unauthorised sessions" in text and "meets the national threshold" in text
    assert "Parent P1 Alex Taylor: post (no consent to email)" in text


async def test_a_read_only_user_cannot_send_a_letter_and_the_attempt_is_audited(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    text = await endpoint.command(f"letter initial_concern {b.UPN_1}", slack_api, "U2VIEWER")
    assert text.startswith("Sorry, your role (read only) does not allow `letter`")
    async with endpoint.app.uow() as uow:
        audit = await uow.audit.all()
        assert await uow.mail.printed_for(b.UPN_1) == []
    assert audit[-1].action == "chat.refused" and "U2VIEWER" in audit[-1].details


async def test_the_same_letter_twice_in_a_day_from_slack_needs_again(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    async def answer(n: int, text: str) -> str:
        body = slash_command_body(
            text=text, user_id="U1OFFICER", response_url=slack_api.response_url()
        )
        status, _ = await endpoint.post(body)
        assert status == 200
        return str((await slack_api.wait_for_calls("response_url", n, 60))[-1].args["text"])

    first = await answer(1, f"letter initial_concern {b.UPN_1}")
    assert first.startswith(f"initial_concern for {b.UPN_1}:")
    twice = await answer(2, f"letter initial_concern {b.UPN_1}")
    assert "was already sent to parent P1, P2 on" in twice
    again = await answer(3, f"letter initial_concern {b.UPN_1} again")
    assert again.startswith(f"initial_concern for {b.UPN_1}:")
    async with endpoint.app.uow() as uow:
        assert len(await uow.mail.printed_for(b.UPN_1)) == 4


async def test_an_nti_from_the_form_is_issued_and_the_officer_told(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await record_consent(
        endpoint.app.uow(),
        endpoint.app.evidence(),
        "P1",
        "alex@example.org",
        "form",
        date(2025, 3, 1),
        "o",
        NOW,
        FORM,
    )
    status, _ = await endpoint.post(slash_command_body(text=f"nti {b.UPN_1}", user_id="U1OFFICER"))
    [opened] = await slack_api.wait_for_calls("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "nti_issue" and b.UPN_1 in view["private_metadata"]
    empty = view_submission_payload(
        "nti_issue",
        {
            "improvement": {"value": {"type": "plain_text_input", "value": " "}},
            "max_further": {"value": {"type": "number_input", "value": "0"}},
            "on": {"value": {"type": "datepicker", "selected_date": "2025-03-07"}},
        },
        private_metadata=view["private_metadata"],
        user_id="U1OFFICER",
    )
    status, body = await endpoint.post(interaction_body(empty))
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    assert [blk["block_id"] for blk in view["blocks"] if blk["type"] == "input"] == [
        "improvement",
        "max_further",
        "available",
        "on",
    ]
    good = json.loads(json.dumps(empty))
    good["view"]["state"]["values"]["improvement"]["value"]["value"] = "No more absence"
    good["view"]["state"]["values"]["available"] = {
        "value": {"type": "plain_text_input", "value": "Breakfast club\nA weekly check-in\n"}
    }
    status, _ = await endpoint.post(interaction_body(good))
    [dm] = await slack_api.wait_for_calls("chat.postMessage")
    assert dm.args["channel"] == "U1OFFICER"
    assert str(dm.args["text"]).startswith(f"Notice to Improve 1 issued for {b.UPN_1}")
    assert "parent P1: emailed" in str(dm.args["text"])
    assert "Warning: no support has been logged" in str(dm.args["text"])
    # Slack's words, not the command line's: the slash command to log support, no flag.
    assert f"(`/attendance log {b.UPN_1} support_offered …`)" in str(dm.args["text"])
    assert "--" not in str(dm.args["text"])
    async with endpoint.app.uow() as uow:
        [email] = await uow.mail.emails_for(b.UPN_1)
        [issued] = [e for e in await uow.cases.entries(b.UPN_1) if e.kind == "nti_issued"]
    assert email.template == "nti" and email.recipient == "alex@example.org"
    assert issued.details["support_available"] == ["Breakfast club", "A weekly check-in"]


async def test_acknowledging_an_alert_lands_in_the_chronology(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await posted_alert(endpoint.app, "ev-1")
    message = {
        "type": "message",
        "ts": "1700000000.000100",
        "text": "Threshold met",
        "blocks": [{"type": "actions", "elements": []}],
    }
    click = block_actions_payload(
        "alert_ack",
        f"ev-1|{b.UPN_1}",
        user_id="U1OFFICER",
        message=message,
        response_url=slack_api.response_url(),
    )
    status, _ = await endpoint.post(interaction_body(click))
    assert status == 200
    [update] = await slack_api.wait_for_calls("chat.update")
    assert "Acknowledged by Ms Patel" in json.dumps(update.args["blocks"])
    async with endpoint.app.uow() as uow:
        entries = await uow.cases.entries(b.UPN_1)
    assert entries[-1].kind == "alert_acknowledged" and entries[-1].by == "U1OFFICER"


async def test_once_acknowledged_the_buttons_go_but_the_case_page_link_stays(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await posted_alert(endpoint.app, "ev-2")
    key = f"ev-2|{b.UPN_1}"
    page = f"https://sf.school.example/cases/{b.UPN_1}#alert-ev-2"
    shown = [
        button("Acknowledge", "alert_ack", key, "primary"),
        button("Open the case page", "alert_open_page", key, url=page),
    ]
    message = {"type": "message", "ts": "1.2", "text": "Threshold met", "blocks": [actions(*shown)]}
    click = block_actions_payload(
        "alert_ack",
        key,
        user_id="U1OFFICER",
        message=message,
        response_url=slack_api.response_url(),
    )
    status, _ = await endpoint.post(interaction_body(click))
    assert status == 200
    [update] = await slack_api.wait_for_calls("chat.update")
    [kept, said] = update.args["blocks"]
    assert [e.get("url") for e in kept["elements"]] == [page]
    assert "Acknowledged by Ms Patel" in json.dumps(said)


async def test_the_app_home_lists_the_officers_open_cases(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    shown = await open_home(endpoint, slack_api, "U1OFFICER")
    assert f"({b.UPN_1})" in shown and "10 unauthorised sessions: at the threshold" in shown


async def test_the_pack_goes_to_the_requester_by_dm_and_a_read_only_user_gets_none(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    refused = await endpoint.command(f"pack {b.UPN_1}", slack_api, "U2VIEWER")
    assert refused.startswith("Sorry, your role (read only) does not allow `pack`")
    url = slack_api.response_url()
    body = slash_command_body(text=f"pack {b.UPN_1}", user_id="U1OFFICER", response_url=url)
    status, _ = await endpoint.post(body)
    assert status == 200
    [upload] = await slack_api.wait_for_calls("files.completeUploadExternal", timeout=60)
    assert upload.args["channel_id"] == "DU1OFFICER"
    [sent] = slack_api.uploads.values()
    assert sent.data is not None and verify_files(read_zip(sent.data)) == []
    await slack_api.wait_for_calls("response_url", count=2)  # answered after the upload
    async with endpoint.app.uow() as uow:
        built = (await uow.audit.all())[-1]
    assert built.action == "pack.built" and json.loads(built.details)["to"] == "slack:U1OFFICER"


async def test_a_pack_that_slack_would_not_take_is_not_audited_as_exported(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    slack_api.fail("files.completeUploadExternal", "invalid_channel")
    url = slack_api.response_url()
    body = slash_command_body(text=f"pack {b.UPN_1}", user_id="U1OFFICER", response_url=url)
    status, _ = await endpoint.post(body)
    assert status == 200
    await slack_api.wait_for_calls("files.completeUploadExternal", timeout=60)
    [answer] = await slack_api.wait_for_calls("response_url")
    assert answer.args["text"] == "The pack could not be sent to you (invalid_channel): try again."
    async with endpoint.app.uow() as uow:
        assert all(e.action != "pack.built" for e in await uow.audit.all())


async def test_the_decision_button_records_the_decision_and_reason_in_the_chronology(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await posted_alert(endpoint.app, "ev-9")
    click = block_actions_payload("alert_decision", f"ev-9|{b.UPN_1}", user_id="U1OFFICER")
    status, _ = await endpoint.post(interaction_body(click))
    assert status == 200
    [opened] = await slack_api.wait_for_calls("views.open")
    assert opened.args["view"]["callback_id"] == "alert_decision"
    submit = view_submission_payload(
        "alert_decision",
        {
            "about": {
                "value": {
                    "type": "static_select",
                    "selected_option": {"value": "notice_to_improve"},
                }
            },
            "decision": {"value": {"type": "plain_text_input", "value": "No NTI for now"}},
            "reason": {"value": {"type": "plain_text_input", "value": "Mum engaged at meeting"}},
        },
        private_metadata=opened.args["view"]["private_metadata"],
        user_id="U1OFFICER",
    )
    status, _ = await endpoint.post(interaction_body(submit))
    assert status == 200
    [told] = await slack_api.wait_for_calls("chat.postMessage")
    assert "Decision recorded" in str(told.args["text"])
    async with endpoint.app.uow() as uow:
        last = (await uow.cases.entries(b.UPN_1))[-1]
    assert (last.kind, last.summary, last.by) == ("decision", "No NTI for now", "U1OFFICER")
    assert last.details["about"] == "notice_to_improve"
    assert last.details["reason"] == "Mum engaged at meeting"


async def test_siblings_logged_from_chat_are_a_check_made(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    text = await endpoint.command(
        f"log {b.UPN_1} siblings_checked None at other schools", slack_api
    )
    assert text.startswith(f"Logged siblings checked for {b.UPN_1}")
    async with endpoint.app.uow() as uow:
        [entry] = [e for e in await uow.cases.entries(b.UPN_1) if e.kind == "siblings"]
    assert entry.details["checked"] is True and entry.summary == "None at other schools"


async def test_siblings_not_yet_checked_are_not_logged_from_chat(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    refused = await endpoint.command(f"log {b.UPN_1} siblings Not checked yet", slack_api)
    assert refused.startswith("From chat, log one of") and "siblings_checked" in refused
