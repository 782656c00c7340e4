"""`staff add|list`, `alerts route|routes`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from casework.staff import ALERT_KINDS, ROLES
from supportfirst.cli.common import (
    ByOpt,
    DbOpt,
    JsonOpt,
    OnlySchoolOpt,
    UserError,
    acting,
    complain,
    emit_json,
    run,
    seeing,
)

if TYPE_CHECKING:
    from casework.records import StaffRecord
    from supportfirst.bootstrap import App

staff_app = typer.Typer(help="The staff: roles, contact details, schools.", no_args_is_help=True)
alerts_app = typer.Typer(help="Where alerts go.", no_args_is_help=True)
slack_app = typer.Typer(help="Which schools a Slack workspace works for.", no_args_is_help=True)


@staff_app.command("add")
def staff_add(
    staff_id: Annotated[
        str, typer.Argument(help="their id, e.g. PATEL (a U…/W… id is their Slack user id too)")
    ],
    name: Annotated[str | None, typer.Option("--name")] = None,
    role: Annotated[str | None, typer.Option("--role", help=" | ".join(ROLES))] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="given to parents in letters")
    ] = None,
    phone: Annotated[
        str | None, typer.Option("--phone", help="given to parents in letters")
    ] = None,
    school: Annotated[
        list[str] | None,
        typer.Option("--school", help="a school (URN) whose pupils they work with; repeatable"),
    ] = None,
    all_schools: Annotated[
        bool, typer.Option("--all-schools", help="a trust or LA role: every school's pupils")
    ] = False,
    slack_user: Annotated[
        str | None, typer.Option("--slack-user", help="their Slack user id (U… or W…)")
    ] = None,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Add a member of staff, or change what is given of one. The very first member adds
    themselves (--by their own id)."""
    from casework.staff import add_staff

    given: dict[str, object] = {
        k: v
        for k, v in (
            ("name", name),
            ("role", role),
            ("email", email),
            ("phone", phone),
            ("slack_user_id", slack_user),
        )
        if v is not None
    }
    if school:
        given["schools"] = tuple(dict.fromkeys(u.strip() for u in school))
    if all_schools:
        given["all_schools"] = True

    async def work(application: App) -> None:
        who = by or application.settings.operator
        if not who:
            raise UserError("--by STAFF is required (or set SUPPORTFIRST_OPERATOR)")
        m, warnings = await add_staff(
            application.uow(), staff_id, given, who, application.clock.now()
        )
        typer.echo(_line(m))
        for w in warnings:
            complain(f"warning: {w}")

    run(db, work, reads=False)


def _line(m: StaffRecord) -> str:
    schools = "all schools" if m.all_schools else ", ".join(m.schools)
    slack = f", Slack {m.slack_user_id}" if m.slack_user_id else ""
    contact = " ".join(x for x in (m.phone, m.email) if x) or "no phone or email"
    return f"{m.id} {m.name}: {m.role} ({schools}{slack}) {contact}"


def _json(m: StaffRecord) -> dict[str, object]:
    from casework.staff import staff_details  # the audit's record of a member, keyed `id` here

    details = staff_details(m)
    return {"id": details.pop("staff_id"), **details}


@staff_app.command("list")
def staff_list(
    json_: JsonOpt = False, by: ByOpt = None, school: OnlySchoolOpt = None, db: DbOpt = None
) -> None:
    """Every member of staff (those working for a school of the member of staff asking, trust
    and LA-wide roles included)."""

    async def work(application: App) -> None:
        scope = await seeing(application, by, school, "reading the staff list")
        async with application.uow() as uow:
            members = await uow.chat.all_staff()
        if scope.schools is not None:
            members = [m for m in members if any(m.covers(u) for u in scope.schools)]
        if json_:
            emit_json({"staff": [_json(m) for m in members]})
            return
        for m in members:
            typer.echo(_line(m))

    run(db, work)


@alerts_app.command("route")
def alerts_route(
    kind: Annotated[str, typer.Argument(help="* or " + ", ".join(ALERT_KINDS))],
    destination: Annotated[
        str, typer.Argument(help="console | teams | slack:CHANNEL_ID | slack-dm:USER_ID")
    ],
    remove: Annotated[bool, typer.Option("--remove", help="stop sending that kind there")] = False,
    school: Annotated[
        str | None, typer.Option("--school", help="only alerts about this school's pupils")
    ] = None,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Send alerts of a kind to a destination (with no route, they go to the defaults);
    with --school, only those about that school's pupils."""
    from casework.staff import route_alerts

    async def work(application: App) -> None:
        routes = await route_alerts(
            application.uow(),
            kind,
            destination,
            await acting(application, by, "admin", school_urn=school),
            application.clock.now(),
            remove,
            school or "",
        )
        for k, d, urn in routes:
            typer.echo(_route(k, d, urn))

    run(db, work)


@alerts_app.command("routes")
def alerts_routes(json_: JsonOpt = False, db: DbOpt = None) -> None:
    """Every route."""

    async def work(application: App) -> None:
        async with application.uow() as uow:
            routes = await uow.chat.school_routes()
        if json_:
            emit_json(
                {
                    "routes": [
                        {"kind": k, "destination": d, "school_urn": urn or None}
                        for k, d, urn in routes
                    ]
                }
            )
        else:
            for k, d, urn in routes:
                typer.echo(_route(k, d, urn))

    run(db, work)


def _route(kind: str, destination: str, urn: str) -> str:
    return f"{kind} -> {destination}" + (f" (school {urn})" if urn else "")


@slack_app.command("workspace")
def slack_workspace(
    team_id: Annotated[str, typer.Argument(help="the Slack workspace (team) id, e.g. T012AB3CD")],
    school: Annotated[
        list[str], typer.Option("--school", help="a school (URN) it works for; repeatable")
    ],
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Say which schools a Slack workspace works for: its users then see and act on those
    schools' pupils only (and, as ever, only on their own schools')."""
    from casework.staff import map_workspace

    async def work(application: App) -> None:
        urns = tuple(dict.fromkeys(u.strip() for u in school))
        who = await acting(application, by, "admin")
        for urn in urns:
            await acting(application, who, "admin", school_urn=urn)
        schools = await map_workspace(
            application.uow(), team_id, urns, who, application.clock.now()
        )
        typer.echo(f"Slack workspace {team_id}: {', '.join(sorted(schools))}")

    run(db, work)
