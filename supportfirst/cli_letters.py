"""`letter preview` (sending arrives with the mail outbox)."""

from __future__ import annotations

from typing import Annotated

import typer

from casework.letters import Staff, letter_for
from mail.letters import LetterRenderer
from supportfirst.bootstrap import App
from supportfirst.cli import DbOpt, letter_app, parse_date, run


@letter_app.command("preview")
def letter_preview(
    template: Annotated[str, typer.Argument(help="e.g. initial_concern, meeting_invite, nti")],
    upn: str,
    parent: Annotated[str, typer.Option("--parent", help="the parent it is addressed to")],
    by: Annotated[str, typer.Option("--by", help="the named contact who signs it")],
    role: Annotated[str, typer.Option("--role")] = "",
    phone: Annotated[str, typer.Option("--phone")] = "",
    email: Annotated[str, typer.Option("--email")] = "",
    meeting: Annotated[
        str | None,
        typer.Option("--meeting", help="the meeting's date and time, as the letter should say it"),
    ] = None,
    granted: Annotated[bool, typer.Option("--granted", help="leave request: agreed")] = False,
    slip_for: Annotated[
        str, typer.Option("--slip-for", help="hand_delivery_slip: the letter it records")
    ] = "nti",
    html: Annotated[bool, typer.Option("--html", help="the HTML part, not the text")] = False,
    on: Annotated[str | None, typer.Option("--on", help="the letter's date")] = None,
    db: DbOpt = None,
) -> None:
    """Show a letter as a parent would receive it: subject, then the text (or HTML) part."""

    async def work(application: App) -> None:
        letter = await letter_for(
            application.uow(),
            LetterRenderer(),
            template,
            upn.upper(),
            parent,
            Staff(by, role, phone, email),
            parse_date(on),
        )
        typer.echo(f"Subject: {letter.subject}\n")
        typer.echo(letter.html if html else letter.text)

    run(db, work)
