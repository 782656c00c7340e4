"""`staff add|list`, `alerts route|routes`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from casework.staff import ALERT_KINDS, ROLES
from supportfirst.cli.common import DbOpt, JsonOpt, emit_json, run

if TYPE_CHECKING:
    from supportfirst.bootstrap import App

staff_app = typer.Typer(help="Who may do what from chat.", no_args_is_help=True)
alerts_app = typer.Typer(help="Where alerts go.", no_args_is_help=True)

ByOpt = Annotated[str, typer.Option("--by", help="who is making the change (audited)")]


@staff_app.command("add")
def staff_add(
    slack_user_id: Annotated[str, typer.Argument(help="the Slack user id, e.g. U012AB3CD")],
    name: Annotated[str, typer.Option("--name")],
    role: Annotated[str, typer.Option("--role", help=" | ".join(ROLES))],
    by: ByOpt,
    db: DbOpt = None,
) -> None:
    """Give a member of staff a role (or change it)."""
    from casework.staff import add_staff

    async def work(application: App) -> None:
        m = await add_staff(
            application.uow(), slack_user_id, name, role, by, application.clock.now()
        )
        typer.echo(f"{m.slack_user_id} {m.name}: {m.role}")

    run(db, work)


@staff_app.command("list")
def staff_list(json_: JsonOpt = False, db: DbOpt = None) -> None:
    """Everyone with a role."""

    async def work(application: App) -> None:
        async with application.uow() as uow:
            members = await uow.chat.all_staff()
        if json_:
            emit_json(
                {
                    "staff": [
                        {"slack_user_id": m.slack_user_id, "name": m.name, "role": m.role}
                        for m in members
                    ]
                }
            )
            return
        for m in members:
            typer.echo(f"{m.slack_user_id} {m.name}: {m.role}")

    run(db, work)


@alerts_app.command("route")
def alerts_route(
    kind: Annotated[str, typer.Argument(help="* or " + ", ".join(ALERT_KINDS))],
    destination: Annotated[
        str, typer.Argument(help="console | teams | slack:CHANNEL_ID | slack-dm:USER_ID")
    ],
    by: ByOpt,
    remove: Annotated[bool, typer.Option("--remove", help="stop sending that kind there")] = False,
    db: DbOpt = None,
) -> None:
    """Send alerts of a kind to a destination (with no route, they go to the defaults)."""
    from casework.staff import route_alerts

    async def work(application: App) -> None:
        routes = await route_alerts(
            application.uow(), kind, destination, by, application.clock.now(), remove
        )
        for k, d in routes:
            typer.echo(f"{k} -> {d}")

    run(db, work)


@alerts_app.command("routes")
def alerts_routes(json_: JsonOpt = False, db: DbOpt = None) -> None:
    """Every route."""

    async def work(application: App) -> None:
        async with application.uow() as uow:
            routes = await uow.chat.routes()
        if json_:
            emit_json({"routes": [{"kind": k, "destination": d} for k, d in routes]})
        else:
            for k, d in routes:
                typer.echo(f"{k} -> {d}")

    run(db, work)
