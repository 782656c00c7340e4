"""`letter send TEMPLATE --all-met`: the letter to each parent of every pupil who meets the
national threshold on the day (of one school with --school), in batches (casework.bulk_letters),
the PDFs made by a pool of worker processes (mail.printing)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

import typer

from supportfirst.cli.common import acting, complain, emit_json, route_json, route_line

if TYPE_CHECKING:
    from casework.letters import LetterOptions
    from supportfirst.bootstrap import App


async def pupils_meeting(application: App, on: date, school: str | None) -> dict[str, str]:
    """UPN -> school URN of each pupil meeting the threshold on `on` (at `school` if given)."""
    from casework.thresholds import threshold_report

    met = [r.upn for r in await threshold_report(application.uow(), on, False) if r.met]
    async with application.uow() as uow:
        schools = await uow.registry.schools_of(met)
    found = {upn: schools[upn].urn for upn in met if upn in schools}
    return {u: urn for u, urn in found.items() if school is None or urn == school}


async def send_to_all_met(
    application: App,
    template: str,
    on: date,
    school: str | None,
    by: str | None,
    options: LetterOptions,
    json_: bool,
) -> int:
    """Queue the letters; print what was queued and each pupil refused (why); 1 if any was."""
    from casework.bulk_letters import send_letters
    from mail.printing import PrintPool

    pupils = await pupils_meeting(application, on, school)
    who = None
    for urn in sorted(set(pupils.values())) or ([school] if school else []):
        who = await acting(application, by, "letter", school_urn=urn, account_ok=True)
    if who is None:
        who = await acting(application, by, "letter", account_ok=True)
    with PrintPool() as printer:
        mailroom = replace(application.mailroom(), printer=printer)
        done = await send_letters(
            application.uow,
            mailroom,
            [(template, upn) for upn in sorted(pupils)],
            who,
            on,
            application.clock.now(),
            options,
        )
    if json_:
        emit_json(
            {
                "on": on.isoformat(),
                "template": template,
                "letters": [
                    {"upn": s.upn, "parents": [route_json(r) for r in s.parents]} for s in done.sent
                ],
                "refused": [{"upn": u, "reason": why} for u, why in done.refused],
            }
        )
    else:
        for s in done.sent:
            typer.echo(f"{template} for {s.upn}:")
            for r in s.parents:
                typer.echo(route_line(r))
        typer.echo(f"{len(done.sent)} pupils' letters queued, {len(done.refused)} refused.")
    for upn, why in done.refused:
        complain(f"{upn}: not sent: {why}")
    return 1 if done.refused else 0
