"""Signing in and out, and finding who is signed in (or sending them to sign in)."""

from __future__ import annotations

from aiohttp import web

from casework.errors import Refused
from casework.records import StaffRecord
from casework.session_records import WebSession
from casework.signin import current_staff, redeem_link, sign_out
from web.deps import WebDeps
from web.render import page
from web.security import (
    clear_session_cookie,
    cookie_name,
    csrf_ok,
    set_session_cookie,
)

DEPS = web.AppKey("deps", WebDeps)


def deps(request: web.Request) -> WebDeps:
    return request.app[DEPS]


async def signed_in(request: web.Request) -> tuple[StaffRecord, WebSession]:
    """The member of staff at this request, or a redirect to the sign-in page."""
    d = deps(request)
    found = await current_staff(d.new_uow(), request.cookies.get(cookie_name(d.secure)), d.now())
    if found is None:
        raise web.HTTPSeeOther("/signin")
    return found


async def form(request: web.Request, session: WebSession) -> dict[str, str]:
    """The posted form, once its CSRF token is the session's own."""
    data = await request.post()
    if not csrf_ok(session.csrf_token, data.get("csrf")):
        raise web.HTTPForbidden(
            text=page("message", title="Refused", text="This form has expired: reload the page."),
            content_type="text/html",
        )
    return {k: v for k, v in data.items() if isinstance(v, str)}


async def sign_in_page(request: web.Request) -> web.Response:
    return html(page("signin", token=None, problem=None, oidc=deps(request).oidc is not None))


async def link_page(request: web.Request) -> web.Response:
    # A GET never uses the link up: mail scanners open links before people do.
    return html(page("signin", token=request.match_info["token"], problem=None))


async def redeem(request: web.Request) -> web.Response:
    d = deps(request)
    try:
        secret, _ = await redeem_link(d.new_uow(), request.match_info["token"], d.now())
    except Refused as e:
        return html(page("signin", token=None, problem=str(e)), status=400)
    response = web.HTTPSeeOther("/cases")
    set_session_cookie(response, secret, d.secure)
    raise response


async def leave(request: web.Request) -> web.Response:
    d = deps(request)
    _, session = await signed_in(request)
    await form(request, session)
    secret = request.cookies.get(cookie_name(d.secure), "")
    await sign_out(d.new_uow(), secret, d.now())
    response = html(page("message", title="Signed out", text="You are signed out."))
    clear_session_cookie(response, d.secure)
    return response


def html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
