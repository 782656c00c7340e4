"""`add_case_pages(app, deps)`: the case pages on `serve`'s web application."""

from __future__ import annotations

from aiohttp import web

from web import inbox, oidc_signin, pages, signin
from web.deps import WebDeps
from web.render import stylesheet
from web.security import page_headers


async def _style(_request: web.Request) -> web.Response:
    return web.Response(body=stylesheet(), content_type="text/css")


async def _home(_request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/cases")


def add_case_pages(app: web.Application, deps: WebDeps) -> None:
    app[signin.DEPS] = deps
    app.middlewares.append(page_headers)
    r = app.router
    r.add_get("/", _home)
    r.add_get("/style.css", _style)
    r.add_get("/signin", signin.sign_in_page)
    r.add_get(oidc_signin.FLOW_PATH, oidc_signin.start)  # before /signin/{token}
    r.add_get(f"{oidc_signin.FLOW_PATH}/callback", oidc_signin.callback)
    r.add_get("/signin/{token}", signin.link_page)
    r.add_post("/signin/{token}", signin.redeem)
    r.add_post("/signout", signin.leave)
    r.add_get("/cases", pages.my_cases)
    r.add_get("/cases/{upn}", pages.one_case)
    r.add_get("/cases/{upn}/files/{sha256:[0-9a-f]{64}}", pages.download)
    r.add_post("/cases/{upn}/{act:acknowledge|decision|note}", pages.act)
    r.add_get("/inbox", inbox.inbox)
    r.add_get("/inbox/{id:[0-9]+}", inbox.one_message)
    r.add_get("/inbox/{id:[0-9]+}/raw", inbox.download)
    r.add_post("/inbox/{id:[0-9]+}/{act:attach|dismiss}", inbox.act)
