"""The one error boundary: each error a user can cause and fix becomes one line on stderr,
`supportfirst: …`, with a non-zero exit and no traceback. Anything else is a bug and keeps
its traceback."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supportfirst.cli.common import UserError, first_line

if TYPE_CHECKING:
    from typer._click.exceptions import ClickException


@dataclass(frozen=True)
class Failure:
    lines: list[str]  # printed on stderr as they are, before the `supportfirst: …` line
    message: str
    code: int = 1


def explain(error: Exception) -> Failure | None:
    """How `error` is told to the user, or None when it is not theirs to fix.

    The classes are imported here, when something failed, not at start-up: a mistyped
    command must not load SQLAlchemy or pydantic just to say so."""
    from typer._click.exceptions import ClickException  # Typer vendors its own Click

    from casework.errors import CaseworkError, ImportRejected

    if isinstance(error, ClickException):
        return _explain_usage(error)
    if isinstance(error, ImportRejected):
        n = error.total
        return Failure(error.problems, f"nothing was imported: {n} problem{'s' if n != 1 else ''}")
    if isinstance(error, CaseworkError | UserError):
        return Failure([], str(error))
    if isinstance(error, OSError) and error.filename is not None:
        return Failure([], f"{error.filename}: {error.strerror or error}")
    return _explain_setup(error)


def _explain_usage(error: ClickException) -> Failure:
    """A mistyped command or option: one line naming the command, what is wrong and where the
    help is, e.g. `consent record: missing option '--evidence' (see … --help)`. Typer would draw
    a box of usage around it."""
    from typer._click.exceptions import NoArgsIsHelpError, UsageError

    if isinstance(error, NoArgsIsHelpError):
        # `supportfirst consent` alone: Typer printed the help when it made the error.
        return Failure([], "", error.exit_code)
    ctx = error.ctx if isinstance(error, UsageError) else None
    message = error.format_message().strip().splitlines()[0].rstrip(".")
    message = message[:1].lower() + message[1:]
    if ctx is None:
        return Failure([], message, error.exit_code)
    names: list[str] = []
    while ctx.parent is not None:  # the root's name is how Python was started: not shown
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    command = " ".join(names)
    where = f"{command}: " if command else ""
    help_ = " ".join(["supportfirst", *names, "--help"])
    return Failure([], f"{where}{message} (see {help_})", error.exit_code)


def _explain_setup(error: Exception) -> Failure | None:
    """Errors from the settings and the database."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from store.db import DatabaseUrlError
    from store.signing import SigningKeyError
    from supportfirst.bootstrap import LoopDied
    from supportfirst.settings import SettingsError, one_line

    if isinstance(error, DatabaseUrlError | SettingsError | LoopDied | SigningKeyError):
        return Failure([], str(error))
    if isinstance(error, ValidationError):
        return Failure([], one_line(error))
    if isinstance(error, SQLAlchemyError) and not os.environ.get("SUPPORTFIRST_DEBUG"):
        return Failure([], f"database error: {first_line(error)}", 2)
    return None
