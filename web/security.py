"""What every page response carries and every form must prove.

- Content-Security-Policy: nothing but this server's stylesheet; no script at all, no framing.
- The session cookie: HttpOnly, SameSite=Lax, Secure (and the `__Host-` prefix) under https.
- A CSRF token per session in every form; a POST without the session's token is refused.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a sign-in link must never leave in a Referer
    "Cache-Control": "no-store",  # personal data: never in a shared or back-button cache
    "X-Frame-Options": "DENY",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def cookie_name(secure: bool) -> str:
    return "__Host-sf_session" if secure else "sf_session"


def set_session_cookie(response: web.StreamResponse, secret: str, secure: bool) -> None:
    response.set_cookie(
        cookie_name(secure), secret, httponly=True, samesite="Lax", secure=secure, path="/"
    )


def clear_session_cookie(response: web.StreamResponse, secure: bool) -> None:
    response.del_cookie(cookie_name(secure), path="/")


def csrf_ok(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


@web.middleware
async def page_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as e:  # redirects and errors carry the headers too
        e.headers.update(PAGE_HEADERS)
        raise
    if not request.path.startswith(("/slack/", "/healthz")):
        response.headers.update(PAGE_HEADERS)
    return response
