"""`threshold` and `review`: the pupils at the threshold and the daily review's events, each
list limited to the schools of the member of staff asking (casework.scope)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from supportfirst.cli.common import (
    ByOpt,
    DbOpt,
    JsonOpt,
    OnlySchoolOpt,
    counted,
    emit_json,
    parse_date,
    reviewer,
    run,
    seeing,
)

if TYPE_CHECKING:
    from casework.thresholds import PupilThreshold
    from supportfirst.bootstrap import App


def _threshold_entry(r: PupilThreshold) -> dict[str, object]:
    """One pupil of `threshold --json` (CONTRACT.md, and its Additions)."""
    return {
        "upn": r.upn,
        "unauthorised_sessions": r.unauthorised_sessions,
        "window_start": r.window_start.isoformat() if r.window_start else None,
        "window_end": r.window_end.isoformat(),
        "met": r.met,
        "compulsory_school_age": r.compulsory_school_age,
        "conflicts": [
            {
                "date": c.day.isoformat(),
                "session": c.session,
                "schools": [u for u, _ in c.marks],
                "codes": [k for _, k in c.marks],
            }
            for c in r.conflicts
        ],
        "registers_missing": [m.isoformat() for m in r.registers_missing],
    }


def threshold(
    on: Annotated[str | None, typer.Option("--on", help="the date (default today)")] = None,
    json_: JsonOpt = False,
    all_: Annotated[bool, typer.Option("--all", help="every pupil with a counted session")] = False,
    by: ByOpt = None,
    school: OnlySchoolOpt = None,
    db: DbOpt = None,
) -> None:
    """Pupils who meet the national threshold (10 sessions in 10 school weeks) on a date:
    those of the schools of the member of staff asking (--by), or every school's."""
    from attendance.registers import weeks_of
    from casework.scope import seen_pupils
    from casework.thresholds import threshold_report

    async def work(application: App) -> None:
        day = parse_date(on)
        scope = await seeing(application, by, school, "listing pupils at the threshold")
        results = await threshold_report(application.uow(), day, all_)
        results = await seen_pupils(application.uow(), scope, results, lambda r: r.upn)
        if json_:
            emit_json(
                {
                    "on": day.isoformat(),
                    "pupils": [_threshold_entry(r) for r in results],
                }
            )
            return
        for r in results:
            typer.echo(
                f"{r.upn}  {r.unauthorised_sessions:3d} sessions  "
                f"{r.window_start} to {r.window_end}  {'MET' if r.met else ''}"
                f"{'' if r.compulsory_school_age else 'not of compulsory school age'}".rstrip()
            )
            for c in r.conflicts:
                typer.echo(f"  registers disagree: {c.describe()} (one school must correct it)")
            if r.registers_missing:
                typer.echo(
                    f"  registers missing for the weeks of {weeks_of(r.registers_missing)}: "
                    "the window reaches back over them; import them before any notice or penalty"
                )
        met = sum(r.met for r in results)
        meet = "meets" if met == 1 else "meet"
        typer.echo(f"{counted(met, 'pupil')} {meet} the threshold on {day}")

    run(db, work)


def review(
    on: Annotated[str | None, typer.Option("--on", help="the date (default today)")] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once", help="do nothing when that day was already reviewed (as serve does)"
        ),
    ] = False,
    json_: JsonOpt = False,
    by: ByOpt = None,
    school: OnlySchoolOpt = None,
    db: DbOpt = None,
) -> None:
    """Run the daily review: new threshold cases, NTI breaches and ends, as `serve` runs it each
    day. It raises every school's alerts, so the member of staff asking (--by) needs a casework
    role and every school with pupils on roll; --school prints that school's events only."""
    from casework.audit import record_head
    from casework.scope import seen_pupils
    from casework.thresholds import daily_review, daily_review_once

    async def work(application: App) -> None:
        day = parse_date(on)
        scope = await reviewer(application, by, school)
        now = application.clock.now()
        if once:
            ran = await daily_review_once(application.uow(), day, now)
        else:
            ran = await daily_review(application.uow(), day, now)
        events = await seen_pupils(application.uow(), scope, ran or [], lambda e: e.upn)
        if ran is not None:
            await record_head(application.uow(), application.signing_key, application.heads(), now)
        if json_:
            out = {
                "on": day.isoformat(),
                "events": [{"kind": e.kind, **e.payload()} for e in events],
            }
            emit_json({**out, "already_reviewed": True} if ran is None else out)
            return
        if ran is None:
            typer.echo(f"{day} was already reviewed: nothing done")
            return
        for e in events:
            fields = ", ".join(f"{k}={v}" for k, v in e.payload().items() if k not in ("upn", "on"))
            typer.echo(f"{e.kind} {e.upn} {fields}")
        typer.echo(f"{counted(len(events), 'event')} on {day}")

    run(db, work)
