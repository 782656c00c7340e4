"""`staff link ID`: a one-time sign-in link to the case pages (CONTRACT.md: the URL alone on
the last line of stdout, valid for 15 minutes, usable once)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from supportfirst.cli.chat import staff_app
from supportfirst.cli.common import ByOpt, DbOpt, acting, run

if TYPE_CHECKING:
    from supportfirst.bootstrap import App


@staff_app.command("link")
def staff_link(
    staff_id: Annotated[str, typer.Argument(help="the staff member's id (their Slack user id)")],
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Print a one-time sign-in link to the case pages, valid for 15 minutes: send it to the
    member of staff (it is theirs alone; only its hash is stored)."""
    from casework.signin import LINK_LIFETIME, sign_in_link

    async def work(application: App) -> None:
        token = await sign_in_link(
            application.uow(),
            staff_id,
            await acting(application, by, "admin"),
            application.clock.now(),
        )
        base = application.settings.public_url.rstrip("/")
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        typer.echo(
            f"A sign-in link for {staff_id.upper()}, usable once in the next {minutes} minutes:"
        )
        typer.echo(f"{base}/signin/{token}")

    run(db, work)
