"""Signing in with the school's own accounts: `/signin/oidc` sends the browser to the identity
provider with a fresh state, nonce and PKCE verifier (kept in a short-lived HttpOnly cookie
bound to this browser); `/signin/oidc/callback` checks the state, exchanges the code, believes
the ID token only once web/oidc.py has checked its signature and claims, and opens a session
for the member of staff with that email. Every refusal is audited and shown in one line."""

from __future__ import annotations

import hmac
import secrets

import aiohttp
from aiohttp import web

from casework.errors import Refused
from casework.signin import sign_in_by_email, sign_in_refused
from web.oidc import OidcClient, OidcRefused, staff_email
from web.render import page
from web.security import set_session_cookie
from web.signin import deps, html

FLOW_PATH = "/signin/oidc"
FLOW_LIFETIME = 600  # seconds to come back from the provider


def flow_cookie(secure: bool) -> str:
    return "__Secure-sf_oidc" if secure else "sf_oidc"


def _client(request: web.Request) -> OidcClient:
    client = deps(request).oidc
    if client is None:
        raise web.HTTPNotFound(
            text=page(
                "message",
                title="Not set up",
                text="Signing in by the school's accounts "
                "is not set up here: ask for a sign-in link (supportfirst staff link).",
            ),
            content_type="text/html",
        )
    return client


def _unreachable(e: Exception) -> web.Response:
    text = f"The sign-in provider cannot be reached or did not answer as expected: {e}"
    return html(page("signin", token=None, problem=text, oidc=True), status=502)


async def start(request: web.Request) -> web.StreamResponse:
    client, d = _client(request), deps(request)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    try:
        target = await client.authorize_url(state, nonce, verifier)
    except (TimeoutError, OidcRefused, aiohttp.ClientError, KeyError) as e:
        return _unreachable(e)
    response = web.HTTPSeeOther(target)
    response.set_cookie(
        flow_cookie(d.secure),
        f"{state}.{nonce}.{verifier}",
        max_age=FLOW_LIFETIME,
        httponly=True,
        samesite="Lax",  # sent on the provider's redirect back (a top-level GET)
        secure=d.secure,
        path=FLOW_PATH,
    )
    raise response


async def _refuse(request: web.Request, who: str, why: str, status: int = 400) -> web.Response:
    d = deps(request)
    await sign_in_refused(d.new_uow(), who, why, d.now())
    response = html(page("signin", token=None, problem=why, oidc=True), status=status)
    response.del_cookie(flow_cookie(d.secure), path=FLOW_PATH)
    return response


async def callback(request: web.Request) -> web.StreamResponse:
    client, d = _client(request), deps(request)
    state, _, rest = request.cookies.get(flow_cookie(d.secure), "").partition(".")
    nonce, _, verifier = rest.partition(".")
    if not (state and nonce and verifier):
        return await _refuse(
            request, "", "This sign-in expired or began in another browser: start again."
        )
    if not hmac.compare_digest(state.encode(), request.query.get("state", "").encode()):
        return await _refuse(request, "", "The sign-in's state does not match: start again.")
    if "error" in request.query or "code" not in request.query:
        said = request.query.get("error_description") or request.query.get("error", "no code")
        return await _refuse(request, "", f"The sign-in provider refused: {said}")
    try:
        token = await client.id_token(request.query["code"], verifier)
        claims = await client.verified_claims(token, nonce)
    except OidcRefused as e:
        return await _refuse(request, "", f"Not signed in: {e}")
    except (TimeoutError, aiohttp.ClientError, KeyError) as e:
        return _unreachable(e)
    email = staff_email(claims)
    if email is None:
        return await _refuse(request, "", "Not signed in: the provider gave no verified email.")
    try:
        secret, _ = await sign_in_by_email(d.new_uow(), email, client.settings.issuer, d.now())
    except Refused as e:  # audited by sign_in_by_email
        refused = html(page("signin", token=None, problem=f"Not signed in: {e}", oidc=True), 403)
        refused.del_cookie(flow_cookie(d.secure), path=FLOW_PATH)
        return refused
    response = web.HTTPSeeOther("/cases")
    set_session_cookie(response, secret, d.secure)
    response.del_cookie(flow_cookie(d.secure), path=FLOW_PATH)
    raise response
