"""`consent record|withdraw|list` (CONTRACT.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from attendance.consent import METHODS
from supportfirst.cli.common import (
    ByOpt,
    DbOpt,
    JsonOpt,
    OnlySchoolOpt,
    acting,
    emit_json,
    parse_date,
    run,
    seeing,
    seeing_one,
)

if TYPE_CHECKING:
    from supportfirst.bootstrap import App

consent_app = typer.Typer(help="Each parent's consent to email.", no_args_is_help=True)

OnOpt = Annotated[str | None, typer.Option("--on", help="the date (default today)")]


@consent_app.command("record")
def consent_record(
    parent_id: str,
    email: Annotated[str, typer.Option("--email", help="the address this parent consented to")],
    method: Annotated[str, typer.Option("--method", help=" | ".join(METHODS))],
    evidence: Annotated[
        Path,
        typer.Option(
            "--evidence",
            help="the written consent: the signed form or the parent's email, as a file",
        ),
    ],
    on: OnOpt = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", help="why this parent may take an address another parent withdrew"
        ),
    ] = None,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Record a parent's written consent to email, with its evidence (refused if another parent
    holds the same mailbox)."""
    # A copy that cannot be read: the boundary names the file.
    copy = (evidence.name, evidence.read_bytes())

    from casework.consent import record_consent

    async def work(application: App) -> None:
        c = await record_consent(
            application.uow(),
            application.evidence(),
            parent_id,
            email,
            method,
            parse_date(on),
            await acting(application, by, "consent", parent_id=parent_id, account_ok=True),
            application.clock.now(),
            copy,
            reason,
        )
        kept = f"; evidence sha256 {c.evidence_sha256}" if c.evidence_sha256 else ""
        typer.echo(f"consent {c.id}: parent {c.parent_id} at {c.email} from {c.given_on}{kept}")

    run(db, work)


@consent_app.command("withdraw")
def consent_withdraw(parent_id: str, on: OnOpt = None, by: ByOpt = None, db: DbOpt = None) -> None:
    """Withdraw a parent's consent: from then on they are written to by post."""
    from casework.consent import withdraw_consent

    async def work(application: App) -> None:
        day = parse_date(on)
        c = await withdraw_consent(
            application.uow(),
            parent_id,
            day,
            await acting(application, by, "consent", parent_id=parent_id, account_ok=True),
            application.clock.now(),
        )
        typer.echo(f"consent {c.id} withdrawn on {day}: parent {parent_id} gets post from now")

    run(db, work)


@consent_app.command("list")
def consent_list(
    upn: Annotated[str | None, typer.Option("--upn", help="only this pupil's parents")] = None,
    json_: JsonOpt = False,
    by: ByOpt = None,
    school: OnlySchoolOpt = None,
    db: DbOpt = None,
) -> None:
    """Every consent on record, in force or withdrawn (those of the parents of the pupils of
    the schools of the member of staff asking)."""
    from casework.consent import list_consents
    from casework.scope import seen_families

    async def work(application: App) -> None:
        scope = await seeing(application, by, school, "reading consents")
        if upn:
            await seeing_one(application, by, "reading consents", upn=upn.upper())
        lines = await list_consents(application.uow(), upn.upper() if upn else None)
        lines = await seen_families(application.uow(), scope, lines, lambda line: line.upns)
        if json_:
            emit_json(
                {
                    "consents": [
                        {
                            "consent_id": line.consent.id,
                            "parent_id": line.parent_id,
                            "name": line.name,
                            "upns": list(line.upns),
                            "email": line.consent.email,
                            "method": line.consent.method,
                            "given_on": line.consent.given_on.isoformat(),
                            "withdrawn_on": line.consent.withdrawn_on.isoformat()
                            if line.consent.withdrawn_on
                            else None,
                            "evidence_sha256": line.consent.evidence_sha256,
                        }
                        for line in lines
                    ]
                }
            )
            return
        for line in lines:
            c = line.consent
            state = f"withdrawn {c.withdrawn_on}" if c.withdrawn_on else "in force"
            typer.echo(f"{line.parent_id:<10} {c.email:<32} {c.method:<12} {c.given_on} {state}")

    run(db, work)
