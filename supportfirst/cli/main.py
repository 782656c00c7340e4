"""The root of the `supportfirst` command line (CONTRACT.md): every area's commands are added
here, in the order `--help` lists them, and every run passes through the one error boundary."""

from __future__ import annotations

import sys

import typer

from supportfirst.cli import (
    cases,
    chat,
    consent,
    core,
    demo,
    letters,
    mail,
    notices,
    pack,
    penalties,
)
from supportfirst.cli.boundary import explain
from supportfirst.cli.common import DbOpt, complain

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
    (mail.mail_app, "mail"),
    (chat.staff_app, "staff"),
    (chat.alerts_app, "alerts"),
    (penalties.penalty_app, "penalty"),  # cases.py's, with agree|state|list added
    (consent.consent_app, "consent"),
    (letters.letter_app, "letter"),
):
    app.add_typer(sub, name=name)


@app.callback()
def _global_options(ctx: typer.Context, db: DbOpt = None) -> None:
    """`supportfirst --db URL COMMAND …` works as well as `supportfirst COMMAND … --db URL`:
    the URL waits in the root context for the command's own --db (common.DbOpt)."""
    ctx.obj = db


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:
        failure = explain(e)
        if failure is None:
            raise
        for line in failure.lines:
            typer.echo(line, err=True)
        complain(failure.message)
        sys.exit(failure.code)
