"""`school set|show`: a school's contact details for letters and the pack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from supportfirst.cli.common import ByOpt, DbOpt, JsonOpt, acting, emit_json, run

if TYPE_CHECKING:
    from casework.schools import SchoolDetails
    from supportfirst.bootstrap import App

school_app = typer.Typer(help="A school's contact details.", no_args_is_help=True)


@school_app.command("set")
def school_set(
    urn: str,
    address: Annotated[
        str | None, typer.Option("--address", help="one line, as on a letter")
    ] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="the school office")] = None,
    email: Annotated[str | None, typer.Option("--email", help="the attendance email")] = None,
    champion: Annotated[
        str | None, typer.Option("--champion", help="the Senior Attendance Champion's name")
    ] = None,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Set what is given of the school's contact details; the rest stay."""
    from casework.schools import set_school

    changes = {
        k: v
        for k, v in (
            ("address", address),
            ("phone", phone),
            ("email", email),
            ("champion", champion),
        )
        if v is not None
    }

    async def work(application: App) -> None:
        details = await set_school(
            application.uow(),
            urn,
            changes,
            await acting(application, by, "admin", school_urn=urn),
            application.clock.now(),
        )
        _show(details)

    run(db, work)


@school_app.command("show")
def school_show(urn: str, json_: JsonOpt = False, db: DbOpt = None) -> None:
    """The school and its contact details."""
    from casework.schools import school_details

    async def work(application: App) -> None:
        details = await school_details(application.uow(), urn)
        if json_:
            s, c = details.school, details.contact
            emit_json(
                {
                    "urn": s.urn,
                    "name": s.name,
                    "local_authority": s.local_authority,
                    "address": c.address,
                    "phone": c.phone,
                    "email": c.email,
                    "champion": c.champion,
                }
            )
        else:
            _show(details)

    run(db, work)


def _show(details: SchoolDetails) -> None:
    s, c = details.school, details.contact
    typer.echo(f"{s.urn} {s.name} ({s.local_authority})")
    for label, value in (
        ("address", c.address),
        ("phone", c.phone),
        ("email", c.email),
        ("Senior Attendance Champion", c.champion),
    ):
        typer.echo(f"  {label}: {value or '(not set)'}")
