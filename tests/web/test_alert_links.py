"""An alert's link, followed in a real browser, opens the pupil's page at that alert
(`#alert-{id}`), where it is acknowledged. The alert is delivered for real (`serve`'s Alerts) to
a Teams Workflows webhook stand-in and to the Slack Web API stand-in; the Teams card is rendered
by Microsoft's Adaptive Cards renderer (npm `adaptivecards`) in the page and its action clicked;
the Slack alert's link button is followed as Slack's client does, opening its URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from casework.casepage import case_page
from supportfirst.alerting import Alerts
from supportfirst.bootstrap import App
from tests import builders as b
from tests.bot.test_teams import WorkflowsReceiver, receiver  # noqa: F401  (fixture)
from tests.slackapi import SlackStandIn, slack_api  # noqa: F401  (fixture)
from tests.web.conftest import NOW, OFFICER, one_case
from tests.web.test_browser import browser  # noqa: F401  (fixture)
from tests.web.test_journey import WAIT
from tests.web.test_oidc import Oidc, served_with_oidc

RENDERER = (
    Path(__file__).parent / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.min.js"
)
PHONE = {"width": 360, "height": 640}  # the alerts are below the fold: the link must scroll

# Teams opens an Action.OpenUrl in the browser: here, the same page.
RENDER_CARD = """(card) => {
  const shown = new AdaptiveCards.AdaptiveCard();
  shown.onExecuteAction = (action) => { window.location.assign(action.url); };
  shown.parse(card);
  document.getElementById("card").appendChild(shown.render());
}"""


@pytest.fixture
async def delivered(
    app: App,
    slack_api: SlackStandIn,  # noqa: F811
    receiver: WorkflowsReceiver,  # noqa: F811
) -> AsyncIterator[tuple[Oidc, str]]:
    """The case's alert delivered to Slack's channel C1 and to Teams; the id of the alert."""
    if not RENDERER.exists():
        pytest.fail("adaptivecards is not installed (npm ci --prefix tests/web)")
    await one_case(app)
    async with served_with_oidc(app) as o:  # SUPPORTFIRST_PUBLIC_URL is this server
        app.settings = app.settings.model_copy(
            update={
                "slack_bot_token": SecretStr(slack_api.token),
                "slack_api_url": slack_api.base_url,
                "slack_alert_channel": "C1",
                "teams_webhook_url": receiver.url,
            }
        )
        alerts = Alerts(app)
        try:
            assert (await alerts.deliver()).posts >= 2
        finally:
            await alerts.close()
        [alert, *_] = (await case_page(app.uow(), b.UPN_1, NOW)).alerts
        yield o, alert.id


def teams_card(receiver: WorkflowsReceiver, event_id: str) -> dict[str, Any]:  # noqa: F811
    [card] = [c for c in receiver.cards if any(event_id in a["url"] for a in c["actions"])]
    return card


def slack_link(slack_api: SlackStandIn, event_id: str) -> str:  # noqa: F811
    buttons = [
        e
        for m in slack_api.posted("C1")
        for block in m["blocks"]
        if block["type"] == "actions"
        for e in block["elements"]
        if e["value"].startswith(f"{event_id}|")
    ]
    [url] = [e["url"] for e in buttons if "url" in e]
    return str(url)


async def signed_in_phone(browser: Any, o: Oidc) -> tuple[Any, Any]:  # noqa: F811
    context = await browser.new_context(viewport=PHONE)
    context.set_default_timeout(WAIT)
    context.set_default_navigation_timeout(WAIT)
    page = await context.new_page()
    await page.goto(await o.site.link(OFFICER.id))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(o.site.url("/cases"))
    return context, page


async def at_the_alert(page: Any, o: Oidc, event_id: str) -> None:
    """The page is the pupil's, scrolled to the alert the link named, with its buttons."""
    from playwright.async_api import expect

    await page.wait_for_url(o.site.url(f"/cases/{b.UPN_1}#alert-{event_id}"))
    alert = page.locator(f"#alert-{event_id}")
    await expect(alert).to_be_in_viewport()
    assert await page.evaluate("() => document.querySelector(':target').id") == f"alert-{event_id}"
    await expect(alert.get_by_role("button", name="Record the decision")).to_be_visible()


async def test_a_teams_cards_action_opens_the_case_page_at_the_alert(
    delivered: tuple[Oidc, str],
    receiver: WorkflowsReceiver,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    from playwright.async_api import expect

    o, event_id = delivered
    card = teams_card(receiver, event_id)
    context, page = await signed_in_phone(browser, o)
    await page.goto(o.site.url(f"/cases/{b.UPN_1}"))
    await expect(page.locator(f"#alert-{event_id}")).not_to_be_in_viewport()  # without the link
    await page.goto("about:blank")  # the card in a page of its own, as in Teams
    await page.set_content('<main id="card"></main>')
    await page.add_script_tag(content=RENDERER.read_text(encoding="utf-8"))
    await page.evaluate(RENDER_CARD, card)
    await page.get_by_role("link", name="Open the case").click()  # OpenUrl: a link
    await at_the_alert(page, o, event_id)
    await page.locator(f"#alert-{event_id}").get_by_role("button", name="Acknowledge").click()
    await page.wait_for_url("**?done=acknowledge")
    assert event_id not in {e.id for e in (await case_page(o.site.app.uow(), b.UPN_1, NOW)).alerts}
    # The card in the channel still links there: it opens at the alert, now acknowledged.
    [action] = card["actions"]
    await page.goto(action["url"])
    handled = page.locator(f"#alert-{event_id}")
    await expect(handled).to_be_in_viewport()
    await expect(handled).to_contain_text("Ms Patel acknowledged the alert.")
    await context.close()


async def test_a_slack_alerts_button_opens_the_case_page_at_the_alert(
    delivered: tuple[Oidc, str],
    slack_api: SlackStandIn,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    o, event_id = delivered
    url = slack_link(slack_api, event_id)
    assert url == o.site.url(f"/cases/{b.UPN_1}") + f"#alert-{event_id}"
    context, page = await signed_in_phone(browser, o)
    await page.goto(url)
    await at_the_alert(page, o, event_id)
    await context.close()
