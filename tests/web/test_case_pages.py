"""The case pages over HTTP: sign-in by a one-time link, the case as stored, the acts audited
and in the chronology, CSRF, roles, and only this pupil's files downloadable."""

from __future__ import annotations

import re

import aiohttp

from documents.chronology import day
from tests import builders as b
from tests.cases import HEAD
from tests.web.conftest import NOW, OFFICER, ON, READER, Site


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "every page with a form carries the session's CSRF token"
    return found.group(1)


async def audit_actions(site: Site) -> list[str]:
    async with site.app.uow() as uow:
        return [a.action for a in await uow.audit.all()]


async def test_without_a_session_every_page_sends_you_to_sign_in(site: Site) -> None:
    async with aiohttp.ClientSession() as s:
        for path in ("/cases", f"/cases/{b.UPN_1}"):
            async with s.get(site.url(path), allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"] == "/signin"
        async with s.get(site.url("/signin")) as r:
            assert "supportfirst staff link" in await r.text()


async def test_a_link_signs_in_once_with_a_locked_down_cookie(site: Site) -> None:
    link = await site.link(OFFICER.id)
    async with aiohttp.ClientSession() as s:
        async with s.get(link) as r:  # a scanner's GET does not use the link up
            assert r.status == 200 and "<form" in await r.text()
        async with s.post(link, allow_redirects=False) as r:
            assert r.status == 303
            cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "sf_session=" in cookie
        async with s.post(link, allow_redirects=False) as r:
            assert r.status == 400 and "not valid" in await r.text()


async def test_the_case_page_shows_the_case_with_strict_headers_and_is_audited(
    site: Site,
) -> None:
    async with (
        await site.signed_in(OFFICER.id) as s,
        s.get(site.url(f"/cases/{b.UPN_1}")) as r,
    ):
        page = await r.text()
        headers = r.headers
    assert r.status == 200
    assert "Sam" in page and "Attendance by school week" in page and "<svg" in page
    assert "ThresholdMet" in page  # the alert still to acknowledge
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert "<script" not in page
    assert (await audit_actions(site))[-1] == "web.viewed"


async def test_a_note_needs_the_csrf_token_and_lands_in_the_chronology(site: Site) -> None:
    note = site.url(f"/cases/{b.UPN_1}/note")
    async with await site.signed_in(OFFICER.id) as s:
        async with s.post(note, data={"kind": "note", "text": "Phoned home"}) as r:
            assert r.status == 403
        async with s.get(site.url(f"/cases/{b.UPN_1}")) as r:
            token = csrf_of(await r.text())
        form = {"csrf": token, "kind": "contact", "text": "Phoned home, spoke to mum"}
        async with s.post(note, data=form) as r:
            assert r.status == 200 and "Phoned home, spoke to mum" in await r.text()
    async with site.app.uow() as uow:
        entries = await uow.cases.entries(b.UPN_1)
    assert [(e.kind, e.by) for e in entries][-1] == ("contact", OFFICER.id)


async def test_acknowledging_names_a_real_alert_of_this_pupil(site: Site) -> None:
    async with await site.signed_in(OFFICER.id) as s:
        async with s.get(site.url(f"/cases/{b.UPN_1}")) as r:
            page = await r.text()
        token = csrf_of(page)
        [event_id] = re.findall(r'name="event_id" value="([^"]+)"', page)[:1]
        ack = site.url(f"/cases/{b.UPN_1}/acknowledge")
        async with s.post(ack, data={"csrf": token, "event_id": "made-up"}) as r:
            assert r.status == 403 and "no alert" in await r.text()
        async with s.post(ack, data={"csrf": token, "event_id": event_id}) as r:
            assert r.status == 200 and "None waiting." in await r.text()
    assert "alert.acknowledged" in await audit_actions(site)


async def test_read_only_staff_may_look_but_not_act_and_the_refusal_is_audited(
    site: Site,
) -> None:
    async with await site.signed_in(READER.id) as s:
        async with s.get(site.url(f"/cases/{b.UPN_1}")) as r:
            page = await r.text()
        assert r.status == 200 and "Add to the chronology" not in page
        form = {"csrf": csrf_of(page), "kind": "note", "text": "x"}
        async with s.post(site.url(f"/cases/{b.UPN_1}/note"), data=form) as r:
            assert r.status == 403
    assert (await audit_actions(site))[-1] == "web.refused"


async def test_files_download_exactly_as_stored_and_only_this_pupils(site: Site) -> None:
    async with await site.signed_in(OFFICER.id) as s:
        async with s.get(site.url(f"/cases/{b.UPN_1}")) as r:
            page = await r.text()
        links = re.findall(rf'href="(/cases/{b.UPN_1}/files/[0-9a-f]{{64}})"', page)
        assert len(links) == 4  # a letter and a slip for each of the two parents (post)
        async with s.get(site.url(links[0])) as r:
            body = await r.read()
            assert r.headers["Content-Disposition"].startswith("attachment;")
        sha = links[0].rsplit("/", 1)[1]
        assert site.app.evidence().get(sha) == body
        async with s.get(site.url(f"/cases/{b.UPN_1}/files/{'0' * 64}")) as r:
            assert r.status == 404
    assert "web.downloaded" in await audit_actions(site)


async def test_each_notice_shows_its_planned_and_its_served_period(site: Site) -> None:
    from datetime import date

    from casework.notices import issue_nti
    from tests.cases import hand_over

    app = site.app
    await issue_nti(app.uow(), app.mailroom(), b.UPN_1, HEAD, "No absence", ON, 0, NOW)
    async with await site.signed_in(OFFICER.id) as s:
        async with s.get(site.url(f"/cases/{b.UPN_1}")) as r:
            before = await r.text()
        await hand_over(app, b.UPN_1, date(2025, 3, 12), NOW)
        async with s.get(site.url(f"/cases/{b.UPN_1}")) as r:
            after = await r.text()
    async with app.uow() as uow:
        [n] = await uow.cases.notices(b.UPN_1)
    planned = f"as planned</th><td>{day(n.period_start)} to {day(n.period_end)}</td>"
    assert planned in before and planned in after
    assert "not yet served on every parent: the period has not started" in before
    assert n.served_start == date(2025, 3, 13) and n.served_end is not None
    assert f"as served</th><td>{day(n.served_start)} to {day(n.served_end)}" in after


async def test_the_parents_leave_request_is_offered_for_download_exactly_as_kept(
    site: Site,
) -> None:
    from datetime import date

    from casework.letters import LetterOptions
    from casework.sending import send_letter

    request = b"<html><script>alert(1)</script>May Sam miss 17 to 21 March?</html>"
    leave = LetterOptions(leave_from=date(2025, 3, 17), leave_to=date(2025, 3, 21))
    await send_letter(
        site.app.uow(), site.app.mailroom(), "leave_request_response", b.UPN_1, HEAD, ON, NOW,
        leave, request=("request.html", request),
    )  # fmt: skip
    async with await site.signed_in(OFFICER.id) as s:
        async with s.get(site.url(f"/cases/{b.UPN_1}")) as r:
            page = await r.text()
        found = re.search(
            rf'href="(/cases/{b.UPN_1}/files/[0-9a-f]{{64}})">Request for term-time leave, '
            r"2025-03-17 to 2025-03-21 \(request.html\)</a>",
            page,
        )
        assert found, "the case page links the request the leave response answered"
        async with s.get(site.url(found.group(1))) as r:
            assert await r.read() == request
            assert r.headers["Content-Type"] == "application/octet-stream"  # never run as a page
            assert r.headers["Content-Disposition"].startswith("attachment;")
    assert (await audit_actions(site))[-1] == "web.downloaded"
