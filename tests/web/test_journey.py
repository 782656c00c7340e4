"""The whole journey in a real browser (Debian's chromium driven by Playwright): a DSL signs in
with the school's account through the OpenID Connect provider stand-in (discovery, PKCE, state,
nonce, an RS256 ID token checked against its JWKS), opens her cases and a case, records a
decision on an alert and acknowledges it, then triages the inbox: one message attached to the
case as a named parent's reply, another dismissed. Then the store is read: the chronology, the
audit log, the alert acknowledged. axe-core checks every page on the way. A token signed by
another key, or with the wrong nonce, audience or expiry, opens no session in the browser."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from casework.casepage import case_page
from casework.inbound import Arrived, ReadHere, file_messages
from mail.reading import read_message
from supportfirst.bootstrap import App
from tests import builders as b
from tests.web.conftest import NOW, one_case
from tests.web.test_browser import browser, violations  # noqa: F401  (fixture)
from tests.web.test_inbox_pages import HOSTILE
from tests.web.test_oidc import DEE, Oidc, served_with_oidc

WAIT = 15_000  # ms: any one step; a loaded machine is slow, a hung page fails the test

SPAM = (
    b"From: Prizes <win@prizes.example>\r\nTo: attendance@school.test\r\n"
    b"Subject: You have won\r\nMessage-ID: <win-1@prizes.example>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nClaim your prize today.\r\n"
)


@pytest.fixture
async def journey(app: App) -> AsyncIterator[Oidc]:
    await one_case(app)
    async with served_with_oidc(app) as o:
        yield o


async def audit_rows(app: App) -> list[tuple[str, str, str, dict[str, Any]]]:
    async with app.uow() as uow:
        return [
            (a.action, a.actor, a.subject, json.loads(a.details)) for a in await uow.audit.all()
        ]


async def new_page(browser: Any, **options: Any) -> tuple[Any, Any]:  # noqa: F811
    # axe is injected as a script, which the pages' CSP forbids: only these contexts bypass it.
    context = await browser.new_context(bypass_csp=True, **options)
    context.set_default_timeout(WAIT)
    context.set_default_navigation_timeout(WAIT)
    return context, await context.new_page()


async def sign_in_with_the_school_account(page: Any, o: Oidc) -> None:
    await page.goto(o.site.url("/signin"))
    assert await violations(page) == []
    await page.get_by_role("button", name="Sign in with your school account").click()


async def quarantine_two(o: Oidc) -> tuple[int, int]:
    app = o.site.app
    arrived = [Arrived(HOSTILE, "INBOX"), Arrived(SPAM, "INBOX")]
    await file_messages(app.uow(), app.evidence(), ReadHere(read_message), arrived, NOW)
    async with app.uow() as uow:
        held = {m.subject: m.id for m in await uow.quarantine.waiting()}
    return held["Sam <b>ill</b>"], held["You have won"]


async def test_a_dsl_signs_in_with_the_school_account_acts_on_a_case_and_triages_the_inbox(
    journey: Oidc,
    browser: Any,  # noqa: F811
) -> None:
    o, app = journey, journey.site.app
    reply, spam = await quarantine_two(o)
    context, page = await new_page(browser)
    await sign_in_with_the_school_account(page, o)
    await page.wait_for_url(o.site.url("/cases"))
    assert await page.get_by_role("heading", name="My cases").is_visible()
    assert await violations(page) == []
    assert o.provider.token_requests == 1  # the code exchanged once, with its PKCE verifier

    await page.get_by_role("link", name="Sam0 Taylor").first.click()
    await page.wait_for_url(o.site.url(f"/cases/{b.UPN_1}"))
    assert await violations(page) == []
    alert = page.locator(".alert").first
    event_id = (await alert.get_attribute("id") or "").removeprefix("alert-")
    assert event_id
    await alert.get_by_label("About").select_option(index=0)
    await alert.get_by_label("Decision").fill("Meet the parents before any notice")
    await alert.get_by_label("Reason").fill("First time over the threshold; mum engaged")
    await alert.get_by_role("button", name="Record the decision").click()
    await page.wait_for_url("**?done=decision")
    await page.locator(f"#alert-{event_id}").get_by_role("button", name="Acknowledge").click()
    await page.wait_for_url("**?done=acknowledge")
    assert await page.locator(f".alert#alert-{event_id}").count() == 0  # no longer waiting
    handled = await page.locator(f"#alert-{event_id}").inner_text()  # but a link still finds it
    assert "Ms Dee acknowledged the alert." in handled
    assert await violations(page) == []

    await page.get_by_role("link", name="Inbox").click()
    await page.wait_for_url(o.site.url("/inbox"))
    assert await violations(page) == []
    await page.get_by_role("link", name="Sam <b>ill</b>").click()
    await page.wait_for_url(o.site.url(f"/inbox/{reply}"))
    assert await violations(page) == []
    await page.get_by_label("The pupil's UPN").fill(b.UPN_1)
    await page.get_by_role("button", name="Find the pupil").click()
    await page.get_by_label("Alex Taylor (mother, P1)", exact=False).check()
    await page.get_by_label("Why it belongs on this case").fill("Mum wrote from her work address")
    assert await violations(page) == []
    await page.get_by_role("button", name="Attach to Sam0's case").click()
    await page.wait_for_url("**/inbox?done=attached")
    await page.get_by_role("link", name="You have won").click()
    await page.wait_for_url(o.site.url(f"/inbox/{spam}"))
    await page.get_by_label("Why it belongs on no case", exact=False).fill("Spam")
    await page.get_by_role("button", name="Dismiss it").click()
    await expect_text(page, "Nothing waits.")
    await context.close()

    async with app.uow() as uow:
        entries = await uow.cases.entries(b.UPN_1)
        held, junk = await uow.quarantine.message(reply), await uow.quarantine.message(spam)
    by_dee = [(e.kind, e.summary, e.details) for e in entries if e.by == DEE.id]
    assert [k for k, _, _ in by_dee] == ["decision", "alert_acknowledged", "parent_replied"]
    (_, decided, why), (_, _, acked), (_, _, replied) = by_dee
    assert decided == "Meet the parents before any notice"
    assert why["reason"] == "First time over the threshold; mum engaged"
    assert acked == {"event_id": event_id}
    assert (replied["parent_id"], replied["reason"]) == ("P1", "Mum wrote from her work address")
    assert held is not None and (held.upn, held.parent_id, held.triage) == (
        b.UPN_1,
        "P1",
        "attached",
    )
    assert junk is not None and (junk.triage, junk.triage_reason) == ("dismissed", "Spam")
    waiting = await case_page(app.uow(), b.UPN_1, NOW)
    assert event_id not in {e.id for e in waiting.alerts}  # the alert acknowledged, in the store

    audit = await audit_rows(app)
    mine = {(action, subject) for action, actor, subject, _ in audit if actor == DEE.id}
    assert {
        ("web.signed_in", "staff:U0DEE"),
        ("web.viewed", "cases"),
        ("web.viewed", f"pupil:{b.UPN_1}"),
        ("case.decision", f"pupil:{b.UPN_1}"),
        ("alert.acknowledged", f"pupil:{b.UPN_1}"),
        ("web.viewed", "inbox"),
        ("web.viewed", f"mail:{reply}"),
        ("mail.attached", f"pupil:{b.UPN_1}"),
        ("web.viewed", f"mail:{spam}"),
        ("mail.dismissed", f"mail:{spam}"),
    } <= mine, mine


async def expect_text(page: Any, text: str) -> None:
    from playwright.async_api import expect

    await expect(page.get_by_text(text).first).to_be_visible()


async def test_in_the_browser_a_token_wrong_in_any_way_opens_no_session(
    journey: Oidc,
    browser: Any,  # noqa: F811
) -> None:
    o = journey
    context, page = await new_page(browser)
    # "key": signed by a key the provider never published (same kid), as a second provider's
    for tamper, said in (
        ("key", "not valid"),
        ("nonce", "nonce"),
        ("aud", "aud"),
        ("expired", "exp"),
    ):
        o.provider.tamper = tamper
        await sign_in_with_the_school_account(page, o)
        await page.wait_for_url("**/signin/oidc/callback?**")
        shown = await page.get_by_role("alert").inner_text()
        assert shown.startswith("Not signed in:") and said in shown, (tamper, shown)
        again = page.get_by_role("button", name="Sign in with your school account")
        assert await again.is_visible()  # the page says what happened and how to start again
        assert await violations(page) == []
        assert not [c for c in await context.cookies() if c["name"].endswith("sf_session")]
        await page.goto(o.site.url("/cases"))
        await page.wait_for_url(o.site.url("/signin"))  # still not signed in
        action, _, _, details = (await audit_rows(o.site.app))[-1]
        assert action == "web.sign_in_refused" and said in details["why"], tamper
    await context.close()
    assert o.provider.token_requests == 4  # each got as far as its token, and was refused there
    assert "web.signed_in" not in [a for a, *_ in await audit_rows(o.site.app)]
