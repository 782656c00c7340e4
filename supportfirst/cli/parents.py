"""`parent address-checked` and `parent addresses`: a parent's postal address, checked and kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from supportfirst.cli.common import (
    ByOpt,
    DbOpt,
    JsonOpt,
    acting,
    emit_json,
    parse_date,
    run,
    seeing_one,
)

if TYPE_CHECKING:
    from supportfirst.bootstrap import App

parent_app = typer.Typer(help="Parents' postal addresses.", no_args_is_help=True)


@parent_app.command("address-checked")
def address_checked(
    parent_id: str,
    on: Annotated[str, typer.Option("--on", help="the day the address was checked")],
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Record that a parent's current address was checked with them and is still right."""
    from casework.addresses import record_address_check

    async def work(application: App) -> None:
        check = await record_address_check(
            application.uow(),
            parent_id,
            parse_date(on),
            await acting(application, by, "log", parent_id=parent_id),
            application.clock.now(),
        )
        typer.echo(
            f"parent {check.parent_id}: address checked on {check.on} by {check.by}: "
            f"{check.address.one_line()}"
        )

    run(db, work)


@parent_app.command("addresses")
def addresses(parent_id: str, json_: JsonOpt = False, by: ByOpt = None, db: DbOpt = None) -> None:
    """Every postal address on file for a parent, oldest first, with the day each was first seen."""
    from casework.addresses import address_history

    async def work(application: App) -> None:
        await seeing_one(application, by, "reading this parent's addresses", parent_id=parent_id)
        versions = await address_history(application.uow(), parent_id)
        if json_:
            emit_json(
                {
                    "parent_id": parent_id,
                    "addresses": [
                        {
                            "lines": list(v.address.lines()),
                            "postcode": v.address.postcode,
                            "first_seen_on": v.first_seen_on.isoformat(),
                            "source": v.source,
                        }
                        for v in versions
                    ],
                }
            )
            return
        if not versions:
            typer.echo(f"parent {parent_id}: no postal address on file")
        for v in versions:
            typer.echo(f"{v.first_seen_on}  {v.address.one_line()}  (from {v.source})")

    run(db, work)
