"""The case pages: my cases and today's alerts, one pupil's case, its stored files, and the acts
staff take there (acknowledge, decide, note). Each view and act is audited like the same act
from Slack or the CLI, and refused (and audited) when the role does not allow it."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from markupsafe import Markup

from casework.access import Act, Caller, Forbidden, NoSuchPupil, admit
from casework.alert_actions import acknowledge_alert, record_decision
from casework.caselog import DECISIONS, LogRequest, log_entry
from casework.casepage import case_page, stored_file
from casework.errors import NotFound, Refused
from casework.home import today_for
from casework.records import StaffRecord
from casework.staff import MAY
from documents.chart import attendance_chart_svg
from web.render import page
from web.signin import deps, form, html, signed_in

# Acts by the words of casework.staff.MAY, as Slack's guard uses them.
VIEW, ACT = "status", "log"


async def _audit(request: web.Request, who: StaffRecord, action: str, subject: str) -> None:
    d = deps(request)
    async with d.new_uow() as uow:
        details: dict[str, Any] = {"staff_id": who.id, "path": request.path}
        await uow.audit.append(who.id, action, subject, details, d.now())
        await uow.commit()


async def _admit(
    request: web.Request, act: str, upn: str | None = None, event_id: str | None = None
) -> tuple[StaffRecord, Any]:
    """The signed-in member when the one guard (casework.access) allows `act` on the pupil
    (one of their schools') and the alert named; else 403 (404 for no such pupil), audited."""
    member, session = await signed_in(request)
    d = deps(request)
    what = Act(act, upn=upn, event_id=event_id, text=f"{request.method} {request.path}")
    try:
        await admit(d.new_uow, Caller(member.id, "web"), what, d.now())
    except NoSuchPupil:
        raise web.HTTPNotFound(
            text=page("message", title="Not found", text=f"No pupil with UPN {upn}."),
            content_type="text/html",
        ) from None
    except Forbidden as e:
        raise web.HTTPForbidden(
            text=page("message", title="Not allowed", text=str(e)), content_type="text/html"
        ) from None
    return member, session


async def my_cases(request: web.Request) -> web.Response:
    member, session = await _admit(request, VIEW)
    d = deps(request)
    now = d.now()
    today = await today_for(d.new_uow(), member.id, now.date(), now)
    await _audit(request, member, "web.viewed", "cases")
    return html(page("cases", me=member, csrf=session.csrf_token, today=today))


async def one_case(request: web.Request) -> web.Response:
    upn = request.match_info["upn"].upper()
    member, session = await _admit(request, VIEW, upn)
    d = deps(request)
    try:
        case = await case_page(d.new_uow(), upn, d.now())
    except NotFound:
        raise web.HTTPNotFound(
            text=page("message", title="Not found", text=f"No pupil with UPN {upn}."),
            content_type="text/html",
        ) from None
    await _audit(request, member, "web.viewed", f"pupil:{upn}")
    chart = Markup(attendance_chart_svg(case.view.weeks, case.view.threshold))  # built escaped
    may_act = ACT in MAY.get(member.role, frozenset())
    return html(
        page(
            "case",
            me=member,
            csrf=session.csrf_token,
            case=case,
            chart=chart,
            may_act=may_act,
            decisions=DECISIONS,
            done=request.query.get("done"),
        )
    )


async def download(request: web.Request) -> web.Response:
    upn, sha256 = request.match_info["upn"].upper(), request.match_info["sha256"]
    member, _ = await _admit(request, VIEW, upn)
    d = deps(request)
    found = await stored_file(d.new_uow(), upn, sha256, d.now())
    if found is None:  # only this pupil's own files, whatever hash is asked for
        raise web.HTTPNotFound(text="no such file on this case")
    await _audit(request, member, "web.downloaded", f"pupil:{upn}")
    ext = {"message/rfc822": "eml", "application/pdf": "pdf"}.get(found.media_type, "bin")
    return web.Response(
        body=d.evidence().get(sha256),
        content_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{upn}-{sha256[:12]}.{ext}"'},
    )


async def act(request: web.Request) -> web.Response:
    """The case page's forms: acknowledge an alert, record a decision, log a note."""
    upn, what = request.match_info["upn"].upper(), request.match_info["act"]
    member, session = await _admit(request, ACT, upn)
    fields = await form(request, session)
    if what in ("acknowledge", "decision"):  # the alert the form names: this pupil's, and real
        await _admit(request, ACT, upn, fields.get("event_id", ""))
    try:
        await _do(request, what, upn, member, fields)
    except (Refused, NotFound) as e:
        return html(page("message", title="Not done", text=str(e)), status=400)
    raise web.HTTPSeeOther(f"/cases/{upn}?done={what}")


async def _do(
    request: web.Request, what: str, upn: str, member: StaffRecord, fields: dict[str, str]
) -> None:
    d = deps(request)
    now = d.now()
    by, on = member.id, now.date()
    if what in ("acknowledge", "decision") and fields.get("event_id"):
        await _known_alert(request, upn, fields["event_id"])
    if what == "acknowledge":
        await acknowledge_alert(d.new_uow(), fields.get("event_id", ""), upn, by, on, now)
    elif what == "decision":
        await record_decision(
            d.new_uow(),
            fields.get("event_id", ""),
            upn,
            fields.get("about", ""),
            fields.get("decision", ""),
            fields.get("reason", ""),
            by,
            on,
            now,
        )
    elif what == "note":
        kind = fields.get("kind", "note")
        if kind not in ("note", "contact"):
            raise Refused(f"a note or a contact, not {kind!r}")
        await log_entry(d.new_uow(), LogRequest(upn, kind, by, on, fields.get("text", "")), now)
    else:
        raise web.HTTPNotFound()


async def _known_alert(request: web.Request, upn: str, event_id: str) -> None:
    """An act naming an alert must name one raised about this pupil (and not acknowledged)."""
    page_now = await case_page(deps(request).new_uow(), upn, deps(request).now())
    if event_id not in {e.id for e in page_now.alerts}:
        raise Refused(f"there is no alert {event_id!r} waiting on this case: nothing was done")
