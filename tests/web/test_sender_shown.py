"""A reply nothing proves the parent sent is filed, and the case page and the referral pack say
so beside it; a verified one says that (issue 13 point 1), on SQLite and PostgreSQL."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from casework.consent import record_consent
from casework.evidence import evidence_for
from casework.inbound import Arrived, ReadHere, file_messages
from casework.pack import build_pack
from casework.packview import PackView
from casework.sending import send_letter
from mail.reading import read_message
from tests import builders as b
from tests.cases import HEAD
from tests.web.conftest import NOW, OFFICER, ON, Site

FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")
PARENT = "alex@example.org"


async def reply_filed(site: Site, authserv_results: str | None) -> None:
    app = site.app
    await record_consent(app.uow(), app.evidence(), "P1", PARENT, "form", ON, "o", NOW, FORM)
    # The site's letter went by post before consent; this one by email, the same day: again.
    sent = await send_letter(
        app.uow(), app.mailroom(), "initial_concern", b.UPN_1, HEAD, ON, NOW, again=True
    )
    [emailed] = [p for p in sent.parents if p.route == "email"]
    item = await evidence_for(app.uow(), app.evidence(), str(emailed.message_id))
    assert item.raw is not None
    ours = message_from_bytes(item.raw, policy=default)
    stamp = (
        f"Authentication-Results: mx.school.test; {authserv_results}\r\n"
        if authserv_results
        else ""
    )
    raw = (
        f"{stamp}From: Alex Taylor <{PARENT}>\r\nTo: {ours['Reply-To']}\r\n"
        f"Subject: Re: {ours['Subject']}\r\nIn-Reply-To: {ours['Message-ID']}\r\n"
        "Message-ID: <r1@example.org>\r\nDate: Mon, 17 Mar 2025 08:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nWe can come in on Thursday.\r\n"
    ).encode()

    def read(data: bytes):  # type: ignore[no-untyped-def]
        return read_message(data, authenticate=app.authenticator)

    [filed] = await file_messages(
        app.uow(), app.evidence(), ReadHere(read), [Arrived(raw, "INBOX")], NOW
    )
    assert not filed.record.quarantined


async def pack_rows(site: Site) -> list[tuple[str, str]]:
    views: list[PackView] = []

    def render(view: PackView) -> bytes:
        views.append(view)
        return b"%PDF-1.4"

    async with site.app.uow() as uow:
        await build_pack(uow, site.app.evidence(), render, b.UPN_1, NOW, "Ms Patel")
    return [(r.what, r.outcome) for r in views[0].timeline]


async def case_page(site: Site) -> str:
    async with (
        await site.signed_in(OFFICER.id) as s,
        s.get(site.url(f"/cases/{b.UPN_1}")) as r,
    ):
        assert r.status == 200
        return await r.text()


async def test_an_unproven_reply_is_marked_on_the_case_page_and_in_the_pack(site: Site) -> None:
    await reply_filed(site, None)  # the default DNS stand-in knows nothing of example.org
    page = await case_page(site)
    assert "sender NOT verified: nothing proves who sent it" in page
    assert "Reply from the parent (alex@example.org, sender not verified)" in page
    assert ("Parent replied", "sender NOT verified: nothing proves who sent it") in await pack_rows(
        site
    )


async def test_a_reply_the_schools_server_vouched_for_is_marked_verified(site: Site) -> None:
    site.app.settings.trusted_authserv_id = "mx.school.test"
    await reply_filed(site, "dkim=pass header.d=example.org; dmarc=pass header.from=example.org")
    page = await case_page(site)
    assert "sender verified (DKIM/SPF/DMARC)" in page and "NOT verified" not in page
    assert ("Parent replied", "sender verified (DKIM/SPF/DMARC)") in await pack_rows(site)
