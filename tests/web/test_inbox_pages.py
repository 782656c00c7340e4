"""/inbox over HTTP on SQLite and PostgreSQL: the quarantine as staff triage it. A message opens
as stored (its text escaped, its bytes downloadable), the pupil is confirmed before attaching,
the parent said or not, each view and act audited, CSRF and roles enforced."""

from __future__ import annotations

import re

import aiohttp

from casework.inbound import Arrived, ReadHere, file_messages
from mail.reading import read_message
from tests import builders as b
from tests.web.conftest import NOW, OFFICER, READER, Site
from tests.web.test_case_pages import audit_actions, csrf_of

HOSTILE = (
    b"From: Alex <alex.work@example.net>\r\nTo: attendance@school.test\r\n"
    b"Subject: Sam <b>ill</b>\r\nMessage-ID: <ill-2@example.net>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b"<p>Sam has a fever.</p><script>alert(1)</script><img src=x onerror=alert(2)>\r\n"
)


async def quarantine(site: Site, raw: bytes = HOSTILE) -> int:
    [filed] = await file_messages(
        site.app.uow(), site.app.evidence(), ReadHere(read_message), [Arrived(raw, "INBOX")], NOW
    )
    assert filed.record.quarantined
    async with site.app.uow() as uow:
        [held] = await uow.quarantine.waiting()
    return held.id


async def test_the_inbox_is_for_staff_who_act_and_every_view_is_audited(site: Site) -> None:
    m = await quarantine(site)
    async with aiohttp.ClientSession() as s, s.get(site.url("/inbox"), allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/signin"
    async with await site.signed_in(READER.id) as s, s.get(site.url(f"/inbox/{m}")) as r:
        assert r.status == 403
    assert (await audit_actions(site))[-1] == "web.refused"
    async with await site.signed_in(OFFICER.id) as s, s.get(site.url("/inbox")) as r:
        page = await r.text()
    assert r.status == 200 and f'href="/inbox/{m}"' in page and "alex.work@example.net" in page
    assert "matches no email we sent" in page
    assert (await audit_actions(site))[-1] == "web.viewed"


async def test_a_message_opens_as_stored_with_its_html_made_harmless(site: Site) -> None:
    m = await quarantine(site)
    async with await site.signed_in(OFFICER.id) as s:
        async with s.get(site.url(f"/inbox/{m}")) as r:
            page = await r.text()
        assert "Sam has a fever." in page and "<script>alert" not in page
        assert "Sam &lt;b&gt;ill&lt;/b&gt;" in page and "onerror" not in page
        async with s.get(site.url(f"/inbox/{m}/raw")) as r:
            assert await r.read() == HOSTILE and r.content_type == "message/rfc822"
        async with s.get(site.url("/inbox/999")) as r:
            assert r.status == 404
    async with site.app.uow() as uow:
        audit = [(a.action, a.subject) for a in await uow.audit.all()]
    assert ("web.viewed", f"mail:{m}") in audit and ("web.downloaded", f"mail:{m}") in audit


async def test_attaching_confirms_the_pupil_then_records_the_parents_reply(site: Site) -> None:
    m = await quarantine(site)
    async with await site.signed_in(OFFICER.id) as s:
        async with s.get(site.url(f"/inbox/{m}?upn=NOSUCH")) as r:
            assert "no pupil with UPN NOSUCH" in await r.text()
        async with s.get(site.url(f"/inbox/{m}?upn={b.UPN_1}")) as r:
            page = await r.text()
        assert "Alex Taylor (mother, P1)" in page and 'value="P1"' in page
        attach = site.url(f"/inbox/{m}/attach")
        form = {"upn": b.UPN_1, "parent": "P1", "reason": "mum's work address"}
        async with s.post(attach, data=form) as r:
            assert r.status == 403  # no CSRF token
        async with s.post(attach, data={**form, "csrf": csrf_of(page)}) as r:
            assert r.status == 200 and "the message was attached to the case" in await r.text()
        async with s.get(site.url(f"/cases/{b.UPN_1}")) as r:
            case = await r.text()
    assert "Reply from the parent (alex.work@example.net)" in case
    assert re.search(r"Email from alex.work@example.net \(reply\)", case)  # downloadable
    async with site.app.uow() as uow:
        [*_, last] = await uow.cases.entries(b.UPN_1)
    assert (last.kind, last.by, last.details["parent_id"]) == ("parent_replied", "U0OFFICER", "P1")


async def test_dismissing_needs_a_reason_and_happens_once(site: Site) -> None:
    m = await quarantine(site)
    async with await site.signed_in(OFFICER.id) as s:
        async with s.get(site.url(f"/inbox/{m}")) as r:
            token = csrf_of(await r.text())
        dismiss = site.url(f"/inbox/{m}/dismiss")
        async with s.post(dismiss, data={"csrf": token, "reason": " "}) as r:
            assert r.status == 400 and "say why" in await r.text()
        async with s.post(dismiss, data={"csrf": token, "reason": "not about a pupil"}) as r:
            page = await r.text()
        assert "Nothing waits." in page and "not about a pupil" in page
        async with s.post(dismiss, data={"csrf": token, "reason": "again"}) as r:
            assert r.status == 400 and "already dismissed by U0OFFICER" in await r.text()
    assert "mail.dismissed" in await audit_actions(site)
