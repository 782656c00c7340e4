"""Every Slack act passes the one access guard: a refusal is in the audit log and the user is
told, for buttons and forms as for the slash command."""

from __future__ import annotations

import json
from typing import Any

import pytest

from casework.records import AuditRecord
from tests import builders as b
from tests.bot.slack_endpoint import Endpoint, endpoint, open_home, posted_alert, press
from tests.slackapi import (
    SlackStandIn,
    block_actions_payload,
    interaction_body,
    view_submission_payload,
)

__all__ = ["endpoint"]  # the fixture


async def last_audit(endpoint: Endpoint) -> tuple[AuditRecord, dict[str, Any]]:
    """The latest audit record, and its details read back."""
    async with endpoint.app.uow() as uow:
        last = (await uow.audit.all())[-1]
    return last, json.loads(last.details)


async def test_a_read_only_user_cannot_acknowledge_an_alert_and_is_told(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await posted_alert(endpoint.app, "ev-1")
    text = await press(endpoint, slack_api, "alert_ack", f"ev-1|{b.UPN_1}", "U2VIEWER")
    assert text.startswith("Sorry, your role (read only) does not allow acknowledging alerts")
    refused, details = await last_audit(endpoint)
    assert (refused.action, refused.actor) == ("chat.refused", "U2VIEWER")
    assert details["action"] == "log" and details["text"] == "button alert_ack"
    assert details["event_id"] == "ev-1" and details["upn"] == b.UPN_1
    async with endpoint.app.uow() as uow:
        kinds = [e.kind for e in await uow.cases.entries(b.UPN_1)]
    assert "alert_acknowledged" not in kinds and slack_api.calls_to("chat.update") == []


async def test_a_read_only_user_cannot_open_the_decision_form_and_is_told(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await posted_alert(endpoint.app, "ev-2")
    text = await press(endpoint, slack_api, "alert_decision", f"ev-2|{b.UPN_1}", "U2VIEWER")
    assert text.startswith("Sorry, your role (read only) does not allow recording decisions")
    refused, details = await last_audit(endpoint)
    assert refused.action == "chat.refused" and details["user_id"] == "U2VIEWER"
    assert details["text"] == "button alert_decision"
    assert slack_api.calls_to("views.open") == []


async def submit_decision(endpoint: Endpoint, api: SlackStandIn, event_id: str, user: str) -> str:
    """Submit the decision form for `event_id` as `user`; the DM that answered it."""
    submit = view_submission_payload(
        "alert_decision",
        {
            "about": {"value": {"type": "static_select", "selected_option": {"value": "other"}}},
            "decision": {"value": {"type": "plain_text_input", "value": "Close the case"}},
            "reason": {"value": {"type": "plain_text_input", "value": "Attending again"}},
        },
        private_metadata=json.dumps({"upn": b.UPN_1, "event_id": event_id}),
        user_id=user,
    )
    status, _ = await endpoint.post(interaction_body(submit))
    assert status == 200
    [told] = await api.wait_for_calls("chat.postMessage")
    assert told.args["channel"] == user
    return str(told.args["text"])


@pytest.mark.parametrize(
    ("user", "event_id", "answer"),
    [
        ("U2VIEWER", "ev-3", "Sorry, your role (read only) does not allow recording decisions"),
        ("U1OFFICER", "ev-404", "Sorry, there is no alert 'ev-404'"),
    ],
    ids=["read-only", "no-such-alert"],
)
async def test_a_decision_form_refused_is_answered_by_dm_and_audited(
    endpoint: Endpoint, slack_api: SlackStandIn, user: str, event_id: str, answer: str
) -> None:
    await posted_alert(endpoint.app, "ev-3")
    told = await submit_decision(endpoint, slack_api, event_id, user)
    assert told.startswith(answer)
    refused, details = await last_audit(endpoint)
    assert refused.action == "chat.refused" and details["text"] == "form alert_decision"
    assert details["user_id"] == user and details["event_id"] == event_id
    async with endpoint.app.uow() as uow:
        assert "decision" not in [e.kind for e in await uow.cases.entries(b.UPN_1)]


async def test_an_nti_form_submitted_by_a_read_only_user_is_refused_by_dm_and_audited(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    submit = view_submission_payload(
        "nti_issue",
        {
            "improvement": {"value": {"type": "plain_text_input", "value": "Attend daily"}},
            "max_further": {"value": {"type": "number_input", "value": "0"}},
            "on": {"value": {"type": "datepicker", "selected_date": "2025-03-07"}},
        },
        private_metadata=json.dumps({"upn": b.UPN_1}),
        user_id="U2VIEWER",
    )
    status, _ = await endpoint.post(interaction_body(submit))
    assert status == 200
    [told] = await slack_api.wait_for_calls("chat.postMessage")
    assert told.args["channel"] == "U2VIEWER"
    assert str(told.args["text"]).startswith("Sorry, your role (read only) does not allow `nti`")
    refused, details = await last_audit(endpoint)
    assert refused.action == "chat.refused" and details["text"] == "form nti_issue"
    async with endpoint.app.uow() as uow:
        assert await uow.cases.notices(open_only=True) == []


async def test_a_button_naming_an_alert_never_posted_is_refused_and_audited(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    text = await press(endpoint, slack_api, "alert_ack", f"ev-404|{b.UPN_1}", "U1OFFICER")
    assert text == "Sorry, there is no alert 'ev-404': nothing was done."
    refused, details = await last_audit(endpoint)
    assert refused.action == "chat.refused" and refused.actor == "U1OFFICER"
    assert details["event_id"] == "ev-404" and "no alert" in details["reason"]
    async with endpoint.app.uow() as uow:
        kinds = [e.kind for e in await uow.cases.entries(b.UPN_1)]
    assert "alert_acknowledged" not in kinds


async def test_a_button_naming_a_pupil_not_on_the_register_is_refused_and_audited(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await posted_alert(endpoint.app, "ev-5")
    text = await press(endpoint, slack_api, "alert_open_case", "ev-5|Z999999999999", "U1OFFICER")
    assert text.startswith("Sorry, alert 'ev-5' is not about Z999999999999")
    refused, details = await last_audit(endpoint)
    assert refused.action == "chat.refused" and details["upn"] == "Z999999999999"
    assert slack_api.calls_to("views.open") == []


async def test_an_unknown_user_pressing_a_button_is_told_to_ask_to_be_added(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await posted_alert(endpoint.app, "ev-6")
    text = await press(endpoint, slack_api, "alert_open_case", f"ev-6|{b.UPN_1}", "U9STRANGER")
    assert text.startswith("Sorry, you are not set up as staff in supportfirst yet")
    refused, details = await last_audit(endpoint)
    assert refused.actor == "unknown slack user U9STRANGER" and refused.action == "chat.refused"


async def test_an_officer_opening_the_case_sees_the_status_and_the_chronology(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await posted_alert(endpoint.app, "ev-7")
    async with endpoint.app.uow() as uow:
        audited = len(await uow.audit.all())
    click = block_actions_payload("alert_open_case", f"ev-7|{b.UPN_1}", user_id="U1OFFICER")
    status, _ = await endpoint.post(interaction_body(click))
    assert status == 200
    [opened] = await slack_api.wait_for_calls("views.open")
    shown = json.dumps(opened.args["view"])
    assert opened.args["view"]["callback_id"] == "case_view" and "10 unauthorised sessions" in shown
    async with endpoint.app.uow() as uow:
        assert len(await uow.audit.all()) == audited  # nothing refused


async def test_the_case_page_button_is_a_link_whose_click_is_only_acknowledged(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    # Slack opens the button's URL itself and still sends the click: unanswered, Slack would
    # show the user a warning. Nothing is done with it (the page is the browser's).
    click = block_actions_payload("alert_open_page", f"ev-8|{b.UPN_1}", user_id="U1OFFICER")
    status, _ = await endpoint.post(interaction_body(click))
    assert status == 200
    assert not slack_api.calls_to("views.open") and not slack_api.calls_to("response_url")


async def test_the_app_home_of_someone_not_on_the_staff_shows_no_pupil_and_is_audited(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    shown = await open_home(endpoint, slack_api, "U9STRANGER")
    assert "you are not set up as staff" in shown and b.UPN_1 not in shown
    refused, details = await last_audit(endpoint)
    assert refused.action == "chat.refused" and details["text"] == "app home"
