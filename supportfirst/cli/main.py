"""The root of the `supportfirst` command line (CONTRACT.md): every area's commands are added
here, in the order `--help` lists them, and every run passes through the one error boundary."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from supportfirst.cli import (
    cases,
    chat,
    consent,
    core,
    demo,
    keys,
    letters,
    mail,
    notices,
    pack,
    parents,
    penalties,
    quarantine,
    schools,
)
from supportfirst.cli import web as _web  # noqa: F401  (adds `staff link` to chat's staff)
from supportfirst.cli.boundary import explain
from supportfirst.cli.common import DbOpt, Verbosity, complain

app = typer.Typer(
    help="Support-first school attendance: registers, the national threshold, Notices to Improve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Added without a name, a Typer's commands join the root's: `init`, `import`, `demo`, `pack`…
for commands in (core.commands, demo.commands, pack.commands):
    app.add_typer(commands)
for sub, name in (
    (cases.case_app, "case"),
    (notices.nti_app, "nti"),  # cases.py's, with close|withdraw added
    (core.audit_app, "audit"),
    (core.authority_app, "authority"),
    (mail.outbox_app, "outbox"),
    (mail.evidence_app, "evidence"),
    (quarantine.mail_app, "mail"),  # mail.py's, with quarantine|attach|dismiss added
    (chat.staff_app, "staff"),
    (schools.school_app, "school"),
    (chat.alerts_app, "alerts"),
    (chat.slack_app, "slack"),
    (penalties.penalty_app, "penalty"),  # cases.py's, with agree|state|list added
    (consent.consent_app, "consent"),
    (parents.parent_app, "parent"),
    (letters.letter_app, "letter"),
    (keys.key_app, "key"),
):
    app.add_typer(sub, name=name)


@app.callback()
def _global_options(
    ctx: typer.Context,
    db: DbOpt = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", help="Name the database and data folder on stderr (anywhere on the line)."
        ),
    ] = False,
) -> None:
    """`supportfirst --db URL COMMAND …` works as well as `supportfirst COMMAND … --db URL`:
    the URL waits in the root context for the command's own --db (common.DbOpt)."""
    ctx.obj = db
    Verbosity.on = Verbosity.on or verbose


def _lift_verbose(args: list[str]) -> list[str]:
    """`--verbose` after the command is the root's option too: moved to the front (before any
    `--`, after which everything is an argument)."""
    end = args.index("--") if "--" in args else len(args)
    if "--verbose" not in args[:end]:
        return args
    return ["--verbose", *(a for i, a in enumerate(args) if i >= end or a != "--verbose")]


def main() -> None:
    # Every file the service writes holds personal data or evidence: its user's only (0600,
    # folders 0700), whatever the shell's umask.
    os.umask(0o077)
    try:
        # Not standalone: Click's usage errors reach the boundary, which makes them one line
        # instead of Typer's box; the exit code of typer.Exit comes back as the result.
        args = _lift_verbose(sys.argv[1:])
        code = app(args, standalone_mode=False, prog_name="supportfirst")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:
        failure = explain(e)
        if failure is None:
            raise
        for line in failure.lines:
            typer.echo(line, err=True)
        if failure.message:
            complain(failure.message)
        sys.exit(failure.code)
    sys.exit(code if isinstance(code, int) else 0)
