"""/inbox: the quarantine triaged from the pages. Staff who may act on cases see what waits,
open a message as stored (its text, and the bytes to download), and attach it to a case (naming
the pupil, then confirming which parent wrote it, if one did) or dismiss it, with a reason.
The same use cases as `mail attach|dismiss`; every view, download and act is audited."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from casework.access import Caller, Forbidden
from casework.errors import NotFound, Refused
from casework.message_view import MessageView, message_view
from casework.ports import Evidence
from casework.quarantine import (
    attach_message,
    dismiss_message,
    quarantined_message,
    recently_triaged,
    triage_view,
    waiting,
)
from casework.records import InboundRecord, StaffRecord
from casework.scope import message_allowed, scope_of, seen_messages, seen_pupils
from web.pages import ACT, _admit, _audit
from web.render import page
from web.signin import deps, form, html

DONE = {"attached": "attached to the case", "dismissed": "dismissed"}


async def inbox(request: web.Request) -> web.Response:
    member, session = await _admit(request, ACT)
    d = deps(request)
    scope = scope_of(member)  # their schools' mail, and mail about no pupil yet
    held = await seen_messages(d.new_uow(), scope, await waiting(d.new_uow()))
    triaged = await recently_triaged(d.new_uow(), d.now())
    triaged = await seen_messages(d.new_uow(), scope, triaged)
    await _audit(request, member, "web.viewed", "inbox")
    done = DONE.get(request.query.get("done", ""))
    return html(
        page("inbox", me=member, csrf=session.csrf_token, held=held, triaged=triaged, done=done)
    )


async def _theirs(request: web.Request, member: StaffRecord, message: InboundRecord) -> None:
    """403, audited, for a message about pupils of none of the member's schools."""
    d = deps(request)
    try:
        await message_allowed(d.new_uow, Caller(member.id, "web"), message, d.now(), ACT)
    except Forbidden as e:
        raise web.HTTPForbidden(
            text=page("message", title="Not allowed", text=str(e)), content_type="text/html"
        ) from None


def _not_found(e: NotFound) -> web.HTTPNotFound:
    return web.HTTPNotFound(
        text=page("message", title="Not found", text=str(e)), content_type="text/html"
    )


async def one_message(request: web.Request) -> web.Response:
    ref = request.match_info["id"]
    member, session = await _admit(request, ACT)  # the message is about no case yet
    d = deps(request)
    upn = request.query.get("upn", "").strip() or None
    problem = None
    try:
        view = await triage_view(d.new_uow(), ref, upn)
    except NotFound as e:
        if upn is None:
            raise _not_found(e) from None
        view, problem = await triage_view(d.new_uow(), ref), str(e)  # a mistyped UPN
    await _theirs(request, member, view.message)
    if view.pupil is not None:  # the pupil named to attach it to: one of theirs, or 403
        await _admit(request, ACT, view.pupil.upn)
    found = await seen_pupils(d.new_uow(), scope_of(member), view.suggestions, lambda s: s.upn)
    view = replace(view, suggestions=tuple(found))  # no other school's pupil named
    await _audit(request, member, "web.viewed", f"mail:{view.message.id}")
    shown = _shown(d.evidence(), view.message.sha256)
    return html(
        page(
            "inbox_message",
            me=member,
            csrf=session.csrf_token,
            view=view,
            shown=shown,
            upn=upn or "",
            problem=problem,
        )
    )


def _shown(evidence: Evidence, sha256: str) -> MessageView:
    try:
        return message_view(evidence.get(sha256))
    except LookupError:  # the evidence store lost it: say so (evidence show says more)
        return MessageView((), None, False, (), f"its stored bytes ({sha256}) are missing")


async def download(request: web.Request) -> web.Response:
    ref = request.match_info["id"]
    member, _ = await _admit(request, ACT)  # the message is about no case yet
    d = deps(request)
    try:
        message = await quarantined_message(d.new_uow(), ref)
    except NotFound as e:
        raise _not_found(e) from None
    await _theirs(request, member, message)
    try:
        raw = d.evidence().get(message.sha256)
    except LookupError:
        raise web.HTTPNotFound(
            text=f"the stored bytes of message {message.id} are missing"
        ) from None
    await _audit(request, member, "web.downloaded", f"mail:{message.id}")
    return web.Response(
        body=raw,
        content_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="message-{message.id}.eml"'},
    )


async def act(request: web.Request) -> web.Response:
    ref, what = request.match_info["id"], request.match_info["act"]
    member, session = await _admit(request, ACT)  # the message is about no case yet
    fields = await form(request, session)
    d = deps(request)
    reason, now = fields.get("reason", ""), d.now()
    try:
        await _theirs(request, member, await quarantined_message(d.new_uow(), ref))
        if what == "attach":
            parent = fields.get("parent") or None
            upn = fields.get("upn", "").strip().upper()
            await _admit(request, ACT, upn or None)  # the case it goes to: one of theirs
            await attach_message(d.new_uow(), ref, upn, reason, member.id, now, parent)
        else:
            await dismiss_message(d.new_uow(), ref, reason, member.id, now)
    except (Refused, NotFound) as e:
        return html(page("message", title="Not done", text=str(e)), status=400)
    raise web.HTTPSeeOther(f"/inbox?done={what}ed")
