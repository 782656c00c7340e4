"""`case log|show`, `nti issue|list`, `penalty check|record`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from attendance.stages import VIEWS
from casework.caselog import DECISIONS, KINDS, SERVICES, WAYS_TO_MEET
from supportfirst.cli.common import (
    ByOpt,
    DbOpt,
    JsonOpt,
    UserError,
    acting,
    emit_json,
    parse_date,
    route_json,
    route_line,
    run,
    seeing_one,
)

if TYPE_CHECKING:
    from attendance.penalty import PenaltyDecision, PenaltyKind
    from casework.notices import IssuedNotice
    from supportfirst.bootstrap import App

case_app = typer.Typer(help="The case log and the chronology.", no_args_is_help=True)
nti_app = typer.Typer(help="Notices to Improve.", no_args_is_help=True)
penalty_app = typer.Typer(help="Penalty-notice limits (National Framework).", no_args_is_help=True)

OnOpt = Annotated[str | None, typer.Option("--on", help="the date (default today)")]
NotToldOpt = Annotated[
    str | None,
    typer.Option(
        "--parents-not-told",
        help="before a notice's period ends: why the intend_legal_intervention letter was not "
        "served on each parent (shown as a gap in the checklist)",
    ),
]


# `case log`'s options that only some kinds take.
StageOpt = Annotated[str | None, typer.Option("--stage", help="with --kind stage_changed")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="why (e.g. a stage skipped)")]
WayOpt = Annotated[
    list[str] | None,
    typer.Option("--way", help=f"a way to meet offered, repeatable: {', '.join(WAYS_TO_MEET)}"),
]
ServiceOpt = Annotated[
    str | None, typer.Option("--service", help=f"with --kind service: {', '.join(SERVICES)}")
]
ViewRoleOpt = Annotated[
    str | None, typer.Option("--role", help=f"with --kind view: {', '.join(VIEWS)}")
]
AboutOpt = Annotated[
    str | None, typer.Option("--about", help=f"with --kind decision: {', '.join(DECISIONS)}")
]
SupportsOpt = Annotated[
    bool | None,
    typer.Option("--supports/--objects", help="with --kind view: the stance on the referral"),
]
CheckedOpt = Annotated[
    bool | None,
    typer.Option("--checked/--not-checked", help="with --kind siblings: the check was made"),
]


@case_app.command("log")
def case_log(
    upn: str,
    kind: Annotated[str, typer.Option("--kind", help=f"one of: {', '.join(KINDS)}")],
    summary: Annotated[
        str, typer.Option("--summary", help="what happened, as the parent may read it")
    ],
    on: OnOpt = None,
    stage: StageOpt = None,
    reason: ReasonOpt = None,
    way: WayOpt = None,
    engaged: Annotated[bool | None, typer.Option("--engaged/--not-engaged")] = None,
    parents_present: Annotated[bool, typer.Option("--parents-present")] = False,
    agreed: Annotated[bool, typer.Option("--agreed")] = False,
    service: ServiceOpt = None,
    used: Annotated[bool | None, typer.Option("--used/--not-used")] = None,
    role: ViewRoleOpt = None,
    about: AboutOpt = None,
    supports: SupportsOpt = None,
    checked: CheckedOpt = None,
    parents_not_told: NotToldOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Log a contact, an offer of support, a meeting, engagement or a stage change."""
    from casework.caselog import LogRequest, log_entry

    async def work(application: App) -> None:
        request = LogRequest(
            upn.upper(),
            kind,
            await acting(application, by, "log", upn=upn.upper()),
            parse_date(on),
            summary,
            stage,
            reason,
            tuple(w.replace("-", "_").lower() for w in way or ()),
            engaged,
            parents_present,
            agreed,
            service,
            used,
            role,
            about,
            supports,
            checked,
            parents_not_told,
        )
        entry_id = await log_entry(application.uow(), request, application.clock.now())
        typer.echo(f"logged entry {entry_id} for {request.upn}")

    run(db, work)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@case_app.command("show")
def case_show(upn: str, json_: JsonOpt = False, by: ByOpt = None, db: DbOpt = None) -> None:
    """The pupil's chronology, oldest first (a pupil of one of the schools of the member of
    staff asking)."""
    from casework.caselog import chronology

    async def work(application: App) -> None:
        await seeing_one(application, by, "reading this case", upn=upn.upper())
        c = await chronology(application.uow(), upn.upper())
        if json_:
            emit_json(
                {
                    "upn": c.upn,
                    "name": c.name,
                    "school_urn": c.school_urn,
                    "stage": str(c.stage) if c.stage else None,
                    "entries": [
                        {
                            "at": e.on.isoformat(),
                            "recorded_at": e.recorded_at.isoformat(),
                            "kind": e.kind,
                            "by": e.by,
                            "summary": e.summary,
                            **e.details,
                        }
                        for e in c.entries
                    ],
                    "notices": [
                        {
                            "notice_id": n.id,
                            "issued_on": n.issued_on.isoformat(),
                            "period_start": n.period_start.isoformat(),
                            "period_end": n.period_end.isoformat(),
                            # The period as served (null until every parent is served).
                            "served_start": _iso(n.served_start),
                            "served_end": _iso(n.served_end),
                            "status": n.status,
                            "review_outcome": n.review_outcome,
                            "decided_by": n.decided_by,
                            "decision_reason": n.decision_reason,
                        }
                        for n in c.notices
                    ],
                }
            )
            return
        typer.echo(f"{c.upn} {c.name} (school {c.school_urn}), stage: {c.stage or 'none yet'}")
        for e in c.entries:
            typer.echo(f"{e.on}  {e.kind:<16} {e.by:<16} {e.summary}")
        for n in c.notices:
            served = (
                f"served: {n.served_start} to {n.served_end}"
                if n.served_start
                else "not yet served on every parent"
            )
            typer.echo(
                f"NTI {n.id}: planned {n.period_start} to {n.period_end}, {served}, {n.status}"
            )

    run(db, work)


@case_app.command("checklist")
def case_checklist(
    upn: str, on: OnOpt = None, json_: JsonOpt = False, by: ByOpt = None, db: DbOpt = None
) -> None:
    """What the LA will ask for before a referral, and what is still missing (as of --on)."""
    from casework.checklist import checklist

    async def work(application: App) -> None:
        await seeing_one(application, by, "reading this case", upn=upn.upper())
        day = parse_date(on) if on else application.clock.today()
        c = await checklist(application.uow(), upn.upper(), day)
        if json_:
            emit_json(
                {
                    "upn": c.upn,
                    "on": day.isoformat(),
                    "ready": c.ready,
                    "items": [
                        {
                            "key": i.key,
                            "label": i.label,
                            "satisfied": i.satisfied,
                            "detail": i.detail,
                        }
                        for i in c.items
                    ],
                }
            )
            return
        for i in c.items:
            typer.echo(f"[{'x' if i.satisfied else ' '}] {i.label}: {i.detail}")
        typer.echo("ready for referral" if c.ready else "not ready for referral")

    run(db, work)


MaxFurtherOpt = Annotated[
    int,
    typer.Option("--max-further-sessions", help="further threshold-code sessions allowed", min=0),
]
AvailableOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--available",
        help="support that remains available during the notice, repeatable "
        "(the notice lists it under the support already offered)",
    ),
]


def _issued_json(n: IssuedNotice) -> dict[str, object]:
    return {
        "notice_id": n.notice_id,
        "upn": n.upn,
        "period_start": n.period_start.isoformat(),
        "period_end": n.period_end.isoformat(),
        "unauthorised_sessions": n.unauthorised_sessions,
        "window_start": n.window_start.isoformat(),
        "parents": [route_json(r) for r in n.deliveries],
        "warnings": list(n.warnings),
    }


@nti_app.command("issue")
def nti_issue(
    upn: str,
    improvement: Annotated[
        str, typer.Option("--improvement", help="what sufficient improvement means for this family")
    ],
    on: OnOpt = None,
    max_further_sessions: MaxFurtherOpt = 0,
    available: AvailableOpt = None,
    json_: JsonOpt = False,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Issue a Notice to Improve: refused unless the pupil meets the threshold that day."""
    from casework.notices import issue_nti

    async def work(application: App) -> None:
        n = await issue_nti(
            application.uow(),
            application.mailroom(),
            upn.upper(),
            await acting(application, by, "nti", upn=upn.upper()),
            improvement,
            parse_date(on),
            max_further_sessions,
            application.clock.now(),
            available or (),
        )
        if json_:
            emit_json(_issued_json(n))
            return
        typer.echo(
            f"Notice to Improve {n.notice_id} for {n.upn}: improvement period "
            f"{n.period_start} to {n.period_end}"
        )
        for r in n.deliveries:
            typer.echo(route_line(r))
        for w in n.warnings:
            typer.echo(f"  warning: {w}", err=True)

    run(db, work)


def _decision_json(d: PenaltyDecision) -> dict[str, object]:
    return {
        "allowed": d.allowed,
        "ordinal": d.ordinal,
        "amount_if_paid_early": d.amount_if_paid_early,
        "early_days": d.early_days,
        "amount": d.amount,
        "pay_within_days": d.pay_within_days,
        "reason": d.reason,
        "reasons": list(d.reasons),
        "counted": [p.issued_on.isoformat() for p in d.counted],
    }


def _kind(kind: str) -> PenaltyKind:
    from attendance.penalty import PenaltyKind

    try:
        return PenaltyKind(kind)
    except ValueError:
        raise UserError(f"--kind: use attendance or suspension, not {kind!r}") from None


KindOpt = Annotated[str, typer.Option("--kind", help="attendance or suspension")]


@penalty_app.command("check")
def penalty_check(
    parent_id: str,
    upn: str,
    on: OnOpt = None,
    kind: KindOpt = "attendance",
    offence_start: Annotated[str | None, typer.Option("--offence-start")] = None,
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Which penalty notice (if any) the framework allows next for this parent and child."""
    from casework.penalties import check_penalty

    async def work(application: App) -> None:
        start = parse_date(offence_start, "--offence-start") if offence_start else None
        d = await check_penalty(
            application.uow(), parent_id, upn.upper(), parse_date(on), _kind(kind), start
        )
        if json_:
            emit_json(_decision_json(d))
        else:
            for reason in d.reasons or (d.reason,):
                typer.echo(reason)

    run(db, work)


@penalty_app.command("record")
def penalty_record(
    parent_id: str,
    upn: str,
    offence_start: Annotated[str, typer.Option("--offence-start", help="first absence covered")],
    on: OnOpt = None,
    kind: KindOpt = "attendance",
    parents_not_told: NotToldOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Record a penalty notice issued to a parent; refused beyond the framework's limits."""
    from casework.penalties import record_penalty

    async def work(application: App) -> None:
        d = await record_penalty(
            application.uow(),
            parent_id,
            upn.upper(),
            parse_date(on),
            parse_date(offence_start, "--offence-start"),
            await acting(application, by, "penalty", upn=upn.upper()),
            application.clock.now(),
            _kind(kind),
            parents_not_told,
        )
        typer.echo(f"recorded: {d.reason}")

    run(db, work)
