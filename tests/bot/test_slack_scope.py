"""Staff see and act only on their schools' pupils from Slack, and a workspace mapped to its
schools (`slack workspace TEAM --school URN`) limits everyone in it the same way; a refusal is
told and audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from casework.staff import map_workspace
from tests import builders as b
from tests.bot.slack_endpoint import Endpoint, endpoint, posted_alert, press
from tests.cases import HEAD, enrol
from tests.slackapi import SlackStandIn

__all__ = ["endpoint"]  # the fixture
NOW = datetime(2025, 3, 7, 15, 0, tzinfo=UTC)


async def last_refusal(endpoint: Endpoint) -> dict[str, object]:
    async with endpoint.app.uow() as uow:
        last = (await uow.audit.all())[-1]
    assert last.action == "chat.refused"
    return dict(json.loads(last.details))


async def test_a_dsl_of_another_school_is_refused_the_pupil_and_it_is_audited(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await enrol(endpoint.app.uow, "U3DSL", "Dee Lee", "dsl", (b.SCHOOL_B,), "U3DSL", NOW)
    text = await endpoint.command(f"status {b.UPN_1}", slack_api, user="U3DSL")
    assert text == f"Sorry, pupil {b.UPN_1} is not at one of your schools: nothing was done."
    details = await last_refusal(endpoint)
    assert details["upn"] == b.UPN_1 and details["user_id"] == "U3DSL"
    await posted_alert(endpoint.app, "ev-b1")
    answer = await press(endpoint, slack_api, "alert_open_case", f"ev-b1|{b.UPN_1}", "U3DSL")
    assert answer.startswith(f"Sorry, pupil {b.UPN_1} is not at one of your schools")
    assert slack_api.calls_to("views.open") == []


async def test_the_same_dsl_at_the_pupils_school_is_shown_the_status(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await enrol(endpoint.app.uow, "U3DSL", "Dee Lee", "dsl", (b.SCHOOL_A,), "U3DSL", NOW)
    text = await endpoint.command(f"status {b.UPN_1}", slack_api, user="U3DSL")
    assert "10 unauthorised sessions" in text


async def test_a_workspace_of_another_school_limits_even_a_member_of_both(
    endpoint: Endpoint, slack_api: SlackStandIn
) -> None:
    await map_workspace(endpoint.app.uow(), "T1", (b.SCHOOL_B,), HEAD, NOW)
    text = await endpoint.command(f"log {b.UPN_1} note Rang home", slack_api)  # U1OFFICER
    assert text == f"Sorry, pupil {b.UPN_1} is not at a school of this Slack workspace."
    details = await last_refusal(endpoint)
    assert details["team_id"] == "T1" and details["action"] == "log"
    async with endpoint.app.uow() as uow:
        assert "note" not in [e.kind for e in await uow.cases.entries(b.UPN_1)]
    await map_workspace(endpoint.app.uow(), "T1", (b.SCHOOL_A,), HEAD, NOW)
    logged = await endpoint.command(f"log {b.UPN_1} note Rang home", slack_api)
    assert logged.startswith(f"Logged note for {b.UPN_1}")
