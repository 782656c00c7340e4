"""The case pages in a real browser (Debian's chromium driven by Playwright): signing in by
the link, reading the case, acting on it with JavaScript switched off, on a phone's width, and
axe-core finding no accessibility violation on any page."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests import builders as b
from tests.web.conftest import OFFICER, Site

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt-get install chromium)"
    if not AXE.exists():
        return "axe-core is not installed (npm ci --prefix tests/web)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e .[test])"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    why = _missing()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


async def violations(page: Any) -> list[str]:
    await page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = await page.evaluate("async () => (await axe.run()).violations")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in found]


async def sign_in(page: Any, site: Site) -> None:
    await page.goto(await site.link(OFFICER.id))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/cases")


async def test_staff_sign_in_read_the_case_and_every_page_passes_axe(
    site: Site, browser: Any
) -> None:
    # axe is injected as a script, which the pages' CSP forbids: only this context bypasses it.
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    await page.goto(site.url("/signin"))
    assert await violations(page) == []
    await sign_in(page, site)
    assert await page.get_by_role("heading", name="My cases").is_visible()
    assert await violations(page) == []
    await page.get_by_role("link", name="Sam0 Taylor").first.click()
    await page.wait_for_url(f"**/cases/{b.UPN_1}")
    assert await page.get_by_role("heading", name="Chronology").is_visible()
    assert await violations(page) == []
    await context.close()


async def test_forms_work_without_javascript_on_a_phone(site: Site, browser: Any) -> None:
    context = await browser.new_context(
        java_script_enabled=False, viewport={"width": 360, "height": 740}
    )
    page = await context.new_page()
    await sign_in(page, site)
    await page.goto(site.url(f"/cases/{b.UPN_1}"))
    await page.get_by_label("Contact with the family").check()
    await page.get_by_label("What happened").fill("Met mum at the gate")
    await page.get_by_role("button", name="Add to the chronology").click()
    await page.wait_for_url("**?done=note")
    assert await page.get_by_text("Met mum at the gate").first.is_visible()
    async with site.app.uow() as uow:
        [*_, last] = await uow.cases.entries(b.UPN_1)
    assert (last.kind, last.summary) == ("contact", "Met mum at the gate")
    await context.close()


async def test_the_content_security_policy_blocks_injected_script(site: Site, browser: Any) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, site)
    await page.goto(site.url(f"/cases/{b.UPN_1}"))
    ran = await page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.appendChild(s); return window.injected === 1; }"
    )
    assert ran is False
    await context.close()


async def test_a_quarantined_message_is_attached_without_javascript_and_passes_axe(
    site: Site, browser: Any
) -> None:
    from tests.web.test_inbox_pages import quarantine

    m = await quarantine(site)
    context = await browser.new_context(java_script_enabled=False, bypass_csp=True)
    page = await context.new_page()
    await sign_in(page, site)
    await page.get_by_role("link", name="Inbox").click()
    assert await violations_off(context, page.url) == []
    await page.get_by_role("link", name="Sam <b>ill</b>").click()
    assert await violations_off(context, page.url) == []
    await page.get_by_label("The pupil's UPN").fill(b.UPN_1)
    await page.get_by_role("button", name="Find the pupil").click()
    assert await violations_off(context, page.url) == []
    await page.get_by_label("Alex Taylor (mother, P1)", exact=False).check()
    await page.get_by_label("Why it belongs on this case").fill("Mum wrote from work")
    await page.get_by_role("button", name="Attach to Sam0's case").click()
    await page.wait_for_url("**/inbox?done=attached")
    async with site.app.uow() as uow:
        message = await uow.quarantine.message(m)
        [*_, last] = await uow.cases.entries(b.UPN_1)
    assert message is not None and (message.upn, message.parent_id) == (b.UPN_1, "P1")
    assert (last.kind, last.details["reason"]) == ("parent_replied", "Mum wrote from work")
    await context.close()


async def violations_off(context: Any, url: str) -> list[str]:
    """axe needs script: the page as served, checked in a second tab that runs it."""
    tab = await context.browser.new_context(
        bypass_csp=True, storage_state=await context.storage_state()
    )
    page = await tab.new_page()
    await page.goto(url)
    assert page.url == url  # signed in there too, not sent to the sign-in page
    found = await violations(page)
    await tab.close()
    return found
