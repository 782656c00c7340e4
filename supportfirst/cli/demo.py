"""`supportfirst demo [--out DIR]` (CONTRACT.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from supportfirst.cli.common import fail

commands = typer.Typer()


@commands.command("demo")
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="a new folder for the demonstration school")
    ] = Path("./supportfirst-demo"),
) -> None:
    """Build a demonstration school on the embedded defaults and play the whole flow: review,
    alerts, letters, a Notice to Improve by email, replies and a bounce read back, a breach, a
    referral pack. Prints where everything is."""
    # The whole service (Slack, SMTP, WeasyPrint): loaded only when the demo runs.
    import asyncio

    from supportfirst.bootstrap import bootstrap
    from supportfirst.demo import DemoClock, run_demo
    from supportfirst.settings import Settings

    if out.exists() and any(out.iterdir()):
        raise fail(f"--out {out}: the folder is not empty; choose a new one")
    # The embedded defaults, whatever the environment says: nothing leaves the machine.
    settings = Settings(
        data_dir=out,
        SUPPORTFIRST_FROM="attendance@riverside.example",
        database_url=None,
        smtp_url=None,
        imap_url=None,
        inbox_maildir=None,
        SLACK_BOT_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        SLACK_APP_TOKEN=None,
        SLACK_CLIENT_ID=None,
        teams_webhook_url=None,
    )
    started = time.monotonic()
    application = bootstrap(settings, clock=DemoClock())  # the term it plays, not today

    async def go() -> list[str]:
        try:
            return (await run_demo(application)).lines
        finally:
            await application.close()

    for line in asyncio.run(go()):
        typer.echo(line)
    typer.echo(f"Done in {time.monotonic() - started:.1f} s; everything is in {out.resolve()}")
