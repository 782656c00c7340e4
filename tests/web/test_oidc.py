"""Signing in with the school's accounts (OpenID Connect) against a local provider stand-in
that signs real RS256 ID tokens: the whole flow (discovery, PKCE, state, nonce, the JWKS), and
each way an answer can be wrong, refused in one line, audited, and with no session opened."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import TestServer, unused_port
from pydantic import SecretStr

from casework.records import StaffRecord
from supportfirst.bootstrap import App
from supportfirst.serve import make_web_app
from tests import builders as b
from tests.web.conftest import NOW, Fixed, Site, site  # noqa: F401  (fixture)
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, start

DEE = StaffRecord("U0DEE", "Ms Dee", "dsl", email="Dee@School.example", schools=(b.SCHOOL_A,))


@dataclass
class Oidc:
    site: Site
    provider: Provider

    async def sign_in(self, s: aiohttp.ClientSession) -> aiohttp.ClientResponse:
        async with s.get(self.site.url("/signin/oidc")) as r:  # redirects followed
            await r.read()
            return r


@pytest.fixture
async def oidc(app: App) -> AsyncIterator[Oidc]:
    async with served_with_oidc(app) as o:
        yield o


@asynccontextmanager
async def served_with_oidc(app: App) -> AsyncIterator[Oidc]:
    """The pages, with the provider stand-in as the school's identity provider, and Ms Dee (a
    DSL whose email the provider vouches for)."""
    provider = await start(Provider())
    port = unused_port()
    app.settings = app.settings.model_copy(
        update={
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
            "public_url": f"http://127.0.0.1:{port}",
        }
    )
    async with app.uow() as uow:
        await uow.chat.save_staff(DEE, NOW)
        await uow.commit()
    app.clock = Fixed(NOW)
    server = TestServer(make_web_app(app), host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield Oidc(Site(app, server), provider)
    finally:
        await server.close()
        assert provider.server is not None
        await provider.server.close()


def browser() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def audit(app: App) -> list[tuple[str, str, dict[str, object]]]:
    async with app.uow() as uow:
        return [(a.action, a.actor, json.loads(a.details)) for a in await uow.audit.all()]


async def test_staff_sign_in_with_the_school_account_matched_by_email(oidc: Oidc) -> None:
    async with browser() as s:
        async with s.get(oidc.site.url("/signin")) as r:
            assert "Sign in with your school account" in await r.text()
        r = await oidc.sign_in(s)
        assert r.status == 200 and r.url.path == "/cases"
        async with s.get(oidc.site.url("/cases")) as again:
            assert "Ms Dee" in await again.text()
    assert oidc.provider.token_requests == 1  # the code, with the PKCE verifier, once
    [(actor, details)] = [(a, d) for x, a, d in await audit(oidc.site.app) if x == "web.signed_in"]
    assert actor == "U0DEE" and details == {"how": f"oidc:{oidc.provider.issuer}"}


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        ("key", "not valid"),
        ("nonce", "nonce"),
        ("aud", "aud"),
        ("expired", "exp"),
        ("iss", "iss"),
    ],
)
async def test_a_token_wrong_in_any_way_opens_no_session(
    oidc: Oidc, tamper: str, said: str
) -> None:
    oidc.provider.tamper = tamper
    async with browser() as s:
        r = await oidc.sign_in(s)
        assert r.status == 400 and r.url.path == "/signin/oidc/callback"
        async with s.get(oidc.site.url("/cases"), allow_redirects=False) as cases:
            assert cases.status == 303  # still not signed in
    action, _, details = (await audit(oidc.site.app))[-1]
    assert action == "web.sign_in_refused" and said in str(details["why"])


async def test_a_callback_whose_state_is_not_this_browsers_is_refused(oidc: Oidc) -> None:
    async with browser() as s:
        async with s.get(oidc.site.url("/signin/oidc"), allow_redirects=False) as r:
            to_provider = r.headers["Location"]
        async with s.get(to_provider, allow_redirects=False) as r:
            back = r.headers["Location"]
        forged = back.replace("state=", "state=x")
        async with s.get(forged, allow_redirects=False) as r:
            assert r.status == 400 and "state does not match" in await r.text()
        assert oidc.provider.token_requests == 0  # the code was never exchanged
    async with browser() as other, other.get(back, allow_redirects=False) as r:
        assert r.status == 400 and "another browser" in await r.text()


async def test_an_email_no_member_of_staff_has_is_refused_and_audited(oidc: Oidc) -> None:
    oidc.provider.user = {"email": "stranger@school.example"}
    async with browser() as s:
        r = await oidc.sign_in(s)
        assert r.status == 403
    action, actor, _ = (await audit(oidc.site.app))[-1]
    assert (action, actor) == ("web.sign_in_refused", "stranger@school.example")


async def test_an_unverified_email_is_not_believed(oidc: Oidc) -> None:
    oidc.provider.user = {"email": "dee@school.example", "email_verified": False}
    async with browser() as s:
        r = await oidc.sign_in(s)
        assert r.status == 400 and "no verified email" in await r.text()


async def test_without_a_provider_configured_the_route_says_so(site: Site) -> None:  # noqa: F811
    async with aiohttp.ClientSession() as s, s.get(site.url("/signin/oidc")) as r:
        assert r.status == 404 and "staff link" in await r.text()
    async with aiohttp.ClientSession() as s, s.get(site.url("/signin")) as r:
        assert "school account" not in await r.text()
