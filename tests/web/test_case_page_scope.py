"""The case pages go through the one guard: staff of another school are refused the pupil's
page, its files and its forms (403, audited), their list of cases leaves the pupil out, and a
form naming an alert that was never raised about this pupil is refused and audited."""

from __future__ import annotations

import json

from casework.records import StaffRecord
from tests import builders as b
from tests.web.conftest import NOW, OFFICER, Site

OTHER = StaffRecord("DSLB", "Dee Lee", "dsl", schools=(b.SCHOOL_B,))


async def last_audit(site: Site) -> tuple[str, dict[str, object]]:
    async with site.app.uow() as uow:
        last = (await uow.audit.all())[-1]
    return last.action, json.loads(last.details)


async def test_a_dsl_of_another_school_is_refused_the_case_page_and_it_is_audited(
    site: Site,
) -> None:
    async with site.app.uow() as uow:
        await uow.chat.save_staff(OTHER, NOW)
        await uow.commit()
    async with await site.signed_in(OTHER.id) as s:
        async with s.get(site.url(f"/cases/{b.UPN_1}")) as r:
            page = await r.text()
        assert r.status == 403 and "is not at one of your schools" in page and "Sam" not in page
        action, details = await last_audit(site)
        assert action == "web.refused" and details["caller"] == OTHER.id
        assert details["upn"] == b.UPN_1 and details["surface"] == "web"
        async with s.get(site.url("/cases")) as r:
            listed = await r.text()
        assert r.status == 200 and b.UPN_1 not in listed


async def test_a_form_naming_a_made_up_alert_is_refused_and_audited(site: Site) -> None:
    async with await site.signed_in(OFFICER.id) as s:
        async with s.get(site.url(f"/cases/{b.UPN_1}")) as r:
            page = await r.text()
        token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        ack = site.url(f"/cases/{b.UPN_1}/acknowledge")
        async with s.post(ack, data={"csrf": token, "event_id": "made-up"}) as r:
            assert r.status == 403 and "there is no alert" in await r.text()
    action, details = await last_audit(site)
    assert action == "web.refused" and details["event_id"] == "made-up"
    async with site.app.uow() as uow:
        kinds = [e.kind for e in await uow.cases.entries(b.UPN_1)]
    assert "alert_acknowledged" not in kinds


FROM_P1 = (
    b"From: Alex Taylor <alex@example.org>\r\nTo: attendance@school.test\r\n"
    b"Subject: About Sam\r\nMessage-ID: <sam-p1@example.org>\r\n\r\nSam is ill today.\r\n"
)


async def test_the_inbox_leaves_out_mail_about_another_schools_pupil(site: Site) -> None:
    """A quarantined message from a parent of Riverside's Sam is Riverside's: a DSL of Hillside
    does not see it listed, is refused it (403, audited), and its officer sees it."""
    from tests.web.test_inbox_pages import quarantine

    m = await quarantine(site, FROM_P1)
    async with site.app.uow() as uow:
        await uow.chat.save_staff(OTHER, NOW)
        await uow.commit()
    async with await site.signed_in(OTHER.id) as s:
        async with s.get(site.url("/inbox")) as r:
            assert r.status == 200 and f'href="/inbox/{m}"' not in await r.text()
        for path in (f"/inbox/{m}", f"/inbox/{m}/raw"):
            async with s.get(site.url(path)) as r:
                assert r.status == 403 and "Sam is ill" not in await r.text()
            action, details = await last_audit(site)
            assert action == "web.refused" and details["caller"] == OTHER.id
    async with await site.signed_in(OFFICER.id) as s, s.get(site.url("/inbox")) as r:
        assert f'href="/inbox/{m}"' in await r.text()
