"""`mail quarantine|attach|dismiss`: staff triage the mail that matched no case (CONTRACT.md,
Additions 2026-12), the same acts as the /inbox page, audited and in the chronology."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from supportfirst.cli.common import (
    ByOpt,
    DbOpt,
    JsonOpt,
    OnlySchoolOpt,
    UserError,
    acting,
    emit_json,
    run,
    seeing,
)
from supportfirst.cli.mail import mail_app

__all__ = ["mail_app"]

if TYPE_CHECKING:
    from casework.quarantine import Triaged
    from casework.records import InboundRecord
    from supportfirst.bootstrap import App

MessageArg = Annotated[
    str, typer.Argument(help="the message's number (mail quarantine lists it) or its Message-ID")
]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (the chronology keeps it)")]


def message_json(r: InboundRecord) -> dict[str, object]:
    return {
        "id": r.id,
        "message_id": r.message_id,
        "from": r.from_address,
        "subject": r.subject,
        "class": r.mail_class,
        "reason": r.reason,
        "quarantine": r.quarantine,  # the reason's code: casework.mail_trust.Quarantine
        "sender_verified": r.sender_verified,
        "sha256": r.sha256,
        "received_at": r.received_at.isoformat(),
    }


@mail_app.command("quarantine")
def mail_quarantine(
    json_: JsonOpt = False, by: ByOpt = None, school: OnlySchoolOpt = None, db: DbOpt = None
) -> None:
    """The messages waiting in quarantine (matched no case, or not from the parent's address),
    oldest first, with why each is there (those that may be about the pupils of the schools of
    the member of staff asking, and those about no pupil)."""
    from casework.quarantine import waiting
    from casework.scope import seen_messages

    async def work(application: App) -> None:
        scope = await seeing(application, by, school, "reading the quarantine")
        held = await seen_messages(application.uow(), scope, await waiting(application.uow()))
        messages = [message_json(r) for r in held]
        if json_:
            emit_json({"messages": messages})
            return
        if not messages:
            typer.echo("Nothing waits in the quarantine.")
        for m in messages:
            typer.echo(f"{m['id']:>5} {m['class']:<10} {m['from'] or '-'} {m['subject'] or '-'}")
            typer.echo(f"      {m['reason']}")

    run(db, work)


def _report(t: Triaged, json_: bool) -> None:
    if json_:
        emit_json(
            {
                "id": t.message.id,
                "triage": str(t.triage),
                "upn": t.upn,
                "entry": t.entry_kind,
            }
        )
        return
    where = f" to {t.upn}'s case" if t.triage == "attached" else ""
    noted = f" (chronology: {t.entry_kind.replace('_', ' ')})" if t.entry_kind else ""
    typer.echo(f"message {t.message.id} {t.triage}{where}{noted}")


async def _theirs(application: App, who: str, ref: str) -> None:
    """A message about another school's pupils is refused (audited), as on the /inbox page."""
    from casework.access import Caller
    from casework.quarantine import quarantined_message
    from casework.scope import message_allowed

    message = await quarantined_message(application.uow(), ref)
    now = application.clock.now()
    await message_allowed(application.uow, Caller(who, "cli"), message, now, "log")


@mail_app.command("attach")
def mail_attach(
    message: MessageArg,
    reason: ReasonOpt,
    by: ByOpt = None,
    upn_arg: Annotated[
        str | None, typer.Argument(metavar="UPN", help="the pupil whose case it belongs to")
    ] = None,
    upn_opt: Annotated[str | None, typer.Option("--upn", help="the same as UPN")] = None,
    parent: Annotated[
        str | None,
        typer.Option("--parent", help="the parent who wrote it: only then is it their reply"),
    ] = None,
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Attach a quarantined message to a pupil's case, with the reason."""
    from casework.quarantine import attach_message

    upn = upn_arg or upn_opt
    if upn is None or (upn_arg and upn_opt and upn_arg.upper() != upn_opt.upper()):
        raise UserError("name the pupil once: mail attach MESSAGE_ID UPN (or --upn UPN)")

    async def work(application: App) -> None:
        now = application.clock.now()
        who = await acting(application, by, "log", upn=upn.upper())
        await _theirs(application, who, message)
        done = await attach_message(application.uow(), message, upn, reason, who, now, parent)
        _report(done, json_)

    run(db, work)


@mail_app.command("dismiss")
def mail_dismiss(
    message: MessageArg,
    reason: ReasonOpt,
    by: ByOpt = None,
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Set a quarantined message aside (spam, not about any pupil…), with the reason."""
    from casework.quarantine import dismiss_message

    async def work(application: App) -> None:
        now = application.clock.now()
        who = await acting(application, by, "log")
        await _theirs(application, who, message)
        _report(await dismiss_message(application.uow(), message, reason, who, now), json_)

    run(db, work)
