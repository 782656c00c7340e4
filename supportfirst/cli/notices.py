"""`nti close|withdraw`: staff's decision on a Notice to Improve, audited and in the chronology
(CONTRACT.md, Additions 2026-12)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from supportfirst.cli.cases import OnOpt, nti_app
from supportfirst.cli.common import ByOpt, DbOpt, JsonOpt, acting, emit_json, parse_date, run

__all__ = ["nti_app"]

if TYPE_CHECKING:
    from casework.notice_decisions import Decision
    from supportfirst.bootstrap import App

ReasonOpt = Annotated[str, typer.Option("--reason", help="why (the record the LA will read)")]
NoticeArg = Annotated[int, typer.Argument(help="the notice's id (nti issue printed it)")]


def _report(d: Decision, json_: bool) -> None:
    if json_:
        emit_json(
            {"notice_id": d.notice_id, "upn": d.upn, "status": str(d.status), "finding": d.finding}
        )
        return
    found = f" (the review found {d.finding})" if d.finding else ""
    typer.echo(f"Notice to Improve {d.notice_id} for {d.upn}: {d.status}{found}")


@nti_app.command("close")
def nti_close(
    notice_id: NoticeArg,
    outcome: Annotated[str, typer.Option("--outcome", help="improved or not_improved")],
    reason: ReasonOpt,
    on: OnOpt = None,
    json_: JsonOpt = False,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Record the decision at the end of the improvement period (refused before it ends)."""
    from casework.notice_decisions import close_notice

    async def work(application: App) -> None:
        d = await close_notice(
            application.uow(),
            notice_id,
            outcome,
            reason,
            await acting(application, by, "nti", notice_id=notice_id),
            parse_date(on),
            application.clock.now(),
        )
        _report(d, json_)

    run(db, work)


@nti_app.command("withdraw")
def nti_withdraw(
    notice_id: NoticeArg,
    reason: ReasonOpt,
    on: OnOpt = None,
    json_: JsonOpt = False,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Withdraw a notice issued in error: it then counts for nothing."""
    from casework.notice_decisions import withdraw_notice

    async def work(application: App) -> None:
        d = await withdraw_notice(
            application.uow(),
            notice_id,
            reason,
            await acting(application, by, "nti", notice_id=notice_id),
            parse_date(on),
            application.clock.now(),
        )
        _report(d, json_)

    run(db, work)
