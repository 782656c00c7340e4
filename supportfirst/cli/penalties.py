"""`penalty agree|state|list`: the LA's agreement first, and what became of each notice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from supportfirst.cli.cases import OnOpt, penalty_app
from supportfirst.cli.common import (
    ByOpt,
    DbOpt,
    JsonOpt,
    UserError,
    acting,
    emit_json,
    parse_date,
    run,
    seeing_one,
)

__all__ = ["penalty_app"]

if TYPE_CHECKING:
    from attendance.penalty import PenaltyState
    from supportfirst.bootstrap import App


@penalty_app.command("agree")
def penalty_agree(
    parent_id: str,
    upn: str,
    reference: Annotated[
        str, typer.Option("--reference", help="the LA's email, letter or case no.")
    ],
    on: OnOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Record the local authority's agreement to a penalty notice (it must come first)."""
    from casework.penalties import agree_penalty

    async def work(application: App) -> None:
        day = parse_date(on)
        await agree_penalty(
            application.uow(),
            parent_id,
            upn.upper(),
            day,
            await acting(application, by, "penalty", upn=upn.upper()),
            reference,
            application.clock.now(),
        )
        typer.echo(f"recorded: the LA agreed on {day} to a penalty notice to {parent_id}")

    run(db, work)


def _state(value: str) -> PenaltyState:
    from attendance.penalty import PenaltyState

    try:
        return PenaltyState(value.lower())
    except ValueError:
        known = ", ".join(s.value for s in PenaltyState)
        raise UserError(f"STATE: use one of {known}, not {value!r}") from None


@penalty_app.command("state")
def penalty_state(
    upn: str,
    penalty_id: int,
    state: Annotated[str, typer.Argument(help="paid, withdrawn, unpaid, prosecution_considered")],
    reason: Annotated[str, typer.Option("--reason", help="the payment, or the LA's decision")],
    on: OnOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Record what became of a penalty notice (unpaid: prosecution considered, or withdrawn)."""
    from casework.penalties import change_penalty_state

    async def work(application: App) -> None:
        p = await change_penalty_state(
            application.uow(),
            upn.upper(),
            penalty_id,
            _state(state),
            parse_date(on),
            await acting(application, by, "penalty", upn=upn.upper()),
            reason,
            application.clock.now(),
        )
        typer.echo(f"penalty notice {p.id} to {p.parent_id}: {p.state}")

    run(db, work)


@penalty_app.command("list")
def penalty_list(upn: str, json_: JsonOpt = False, by: ByOpt = None, db: DbOpt = None) -> None:
    """Every penalty notice for a child, with its state."""
    from casework.penalties import penalties_for

    async def work(application: App) -> None:
        await seeing_one(application, by, "reading this case", upn=upn.upper())
        rows = [
            {
                "id": p.id,
                "parent_id": p.parent_id,
                "kind": str(p.kind),
                "issued_on": p.issued_on.isoformat(),
                "offence_start": p.offence_start.isoformat(),
                "state": str(p.state),
            }
            for p in await penalties_for(application.uow(), upn.upper())
        ]
        if json_:
            emit_json({"upn": upn.upper(), "penalties": rows})
            return
        for r in rows:
            typer.echo(f"{r['id']}  {r['parent_id']}  {r['kind']}  {r['issued_on']}  {r['state']}")

    run(db, work)
