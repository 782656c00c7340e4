"""The `supportfirst` command line (CONTRACT.md). User errors: one line on stderr, exit 1."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from casework.errors import CaseworkError, ImportRejected
from store.db import DatabaseUrlError
from supportfirst.bootstrap import App, LoopDied, bootstrap
from supportfirst.settings import SettingsError, load_settings

T = TypeVar("T")

app = typer.Typer(
    help="Support-first school attendance: registers, the national threshold, Notices to Improve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
case_app = typer.Typer(help="The case log and the chronology.", no_args_is_help=True)
nti_app = typer.Typer(help="Notices to Improve.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
authority_app = typer.Typer(help="Each local authority's rules.", no_args_is_help=True)
penalty_app = typer.Typer(help="Penalty-notice limits (National Framework).", no_args_is_help=True)
consent_app = typer.Typer(help="Each parent's consent to email.", no_args_is_help=True)
letter_app = typer.Typer(help="Support-first letters and notices.", no_args_is_help=True)
outbox_app = typer.Typer(help="Emails waiting to be sent, and the sender.", no_args_is_help=True)
evidence_app = typer.Typer(help="Emails kept exactly as sent or received.", no_args_is_help=True)
mail_app = typer.Typer(help="Reading parents' replies and bounces.", no_args_is_help=True)
staff_app = typer.Typer(help="Who may do what from chat.", no_args_is_help=True)
alerts_app = typer.Typer(help="Where alerts go.", no_args_is_help=True)
for sub, name in (
    (case_app, "case"),
    (nti_app, "nti"),
    (audit_app, "audit"),
    (authority_app, "authority"),
    (outbox_app, "outbox"),
    (evidence_app, "evidence"),
    (mail_app, "mail"),
    (staff_app, "staff"),
    (alerts_app, "alerts"),
    (penalty_app, "penalty"),
    (consent_app, "consent"),
    (letter_app, "letter"),
):
    app.add_typer(sub, name=name)

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL (default: SUPPORTFIRST_DATABASE_URL or the embedded SQLite file)",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@app.callback()
def _global_options(db: DbOpt = None) -> None:
    """`supportfirst --db URL COMMAND …` works as well as `supportfirst COMMAND … --db URL`."""
    if db:
        os.environ["SUPPORTFIRST_DATABASE_URL"] = db


class UserError(Exception):
    pass


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"supportfirst: {message}", err=True)
    return typer.Exit(code)


def parse_date(value: str | None, option: str = "--on") -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def run(db: str | None, work: Callable[[App], Awaitable[T]]) -> T:
    """Run one command against the database, turning every user error into one line."""
    try:
        application = bootstrap(load_settings(), db)
    except (DatabaseUrlError, SettingsError, UserError) as e:
        raise fail(str(e)) from None
    except (OperationalError, SQLAlchemyError) as e:
        raise fail(f"cannot open the database: {_first_line(e)}") from None

    async def go() -> T:
        try:
            return await work(application)
        finally:
            await application.close()

    try:
        return asyncio.run(go())
    except ImportRejected as e:
        for problem in e.problems:
            typer.echo(problem, err=True)
        raise fail(
            f"nothing was imported: {len(e.problems)} problem{'s' if len(e.problems) != 1 else ''}"
        ) from None
    except (CaseworkError, UserError, LoopDied) as e:
        raise fail(str(e)) from None
    except SQLAlchemyError as e:
        if os.environ.get("SUPPORTFIRST_DEBUG"):
            raise
        raise fail(f"database error: {_first_line(e)}", 2) from None


def _first_line(e: BaseException) -> str:
    text = str(getattr(e, "orig", None) or e)
    return text.strip().splitlines()[0] if text.strip() else type(e).__name__


def emit_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=None, sort_keys=False, default=str))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


# Commands are registered by importing their modules (kept small, one area each).
from supportfirst import (  # noqa: E402, F401
    cli_cases,
    cli_chat,
    cli_consent,
    cli_core,
    cli_demo,
    cli_letters,
    cli_mail,
    cli_pack,
)
