"""`letter preview` and `letter send`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

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
    safe_name,
    write_private,
)

if TYPE_CHECKING:
    from casework.letters import LetterOptions
    from supportfirst.bootstrap import App

letter_app = typer.Typer(help="Support-first letters and notices.", no_args_is_help=True)

TemplateArg = Annotated[str, typer.Argument(help="e.g. initial_concern, meeting_invite, nti")]
MeetingOpt = Annotated[
    str | None,
    typer.Option("--meeting", help="the meeting's date and time, as the letter should say it"),
]
GrantedOpt = Annotated[bool, typer.Option("--granted", help="leave request: agreed")]
OnOpt = Annotated[str | None, typer.Option("--on", help="the letter's date")]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="leave_request_response: the first day of leave")
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="leave_request_response: the last day of leave")
]
EntryOpt = Annotated[
    int | None,
    typer.Option("--entry", help="meeting_notes: the discussion's case-log entry (case show)"),
]
NotesOpt = Annotated[
    Path | None,
    typer.Option(
        "--notes", help="meeting_notes: the full notes as a text file (default: the entry)"
    ),
]

AgainOpt = Annotated[
    bool, typer.Option("--again", help="send it again to parents who had it today")
]
AllMetOpt = Annotated[
    bool,
    typer.Option(
        "--all-met", help="every pupil meeting the threshold on --on (no UPN), in batches"
    ),
]
SchoolOpt = Annotated[
    str | None, typer.Option("--school", help="--all-met: only this school's pupils")
]


def _options(
    meeting: str | None,
    granted: bool,
    leave_from: str | None,
    leave_to: str | None,
    entry: int | None,
    notes: Path | None,
    slip_for: str = "nti",
) -> LetterOptions:
    from casework.letters import LetterOptions

    text = None
    if notes is not None:
        try:
            text = notes.read_bytes().decode("utf-8")
        except UnicodeDecodeError as e:
            raise UserError(f"{notes}: --notes: not UTF-8 text (byte {e.start})") from None
    return LetterOptions(
        meeting=meeting,
        granted=granted,
        slip_for=slip_for,
        leave_from=parse_date(leave_from, "--from") if leave_from else None,
        leave_to=parse_date(leave_to, "--to") if leave_to else None,
        entry=entry,
        notes=text,
    )


@letter_app.command("preview")
def letter_preview(
    template: TemplateArg,
    upn: str,
    parent: Annotated[str, typer.Option("--parent", help="the parent it is addressed to")],
    meeting: MeetingOpt = None,
    granted: GrantedOpt = False,
    slip_for: Annotated[
        str, typer.Option("--slip-for", help="hand_delivery_slip: the letter it records")
    ] = "nti",
    html: Annotated[bool, typer.Option("--html", help="the HTML part, not the text")] = False,
    on: OnOpt = None,
    leave_from: FromOpt = None,
    leave_to: ToOpt = None,
    entry: EntryOpt = None,
    notes: NotesOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Show a letter as a parent would receive it from you (--by: the contact it names):
    subject, then the text (or HTML) part."""
    from casework.letters import letter_for
    from mail.letters import LetterRenderer  # Jinja and the templates: only when previewing

    options = _options(meeting, granted, leave_from, leave_to, entry, notes, slip_for)

    async def work(application: App) -> None:
        letter = await letter_for(
            application.uow(),
            LetterRenderer(),
            template,
            upn.upper(),
            parent,
            await acting(application, by, "letter", upn=upn.upper(), account_ok=True),
            parse_date(on),
            options,
        )
        typer.echo(f"Subject: {letter.subject}\n")
        typer.echo(letter.html if html else letter.text)

    run(db, work)


@letter_app.command("send")
def letter_send(
    template: TemplateArg,
    upn: Annotated[str | None, typer.Argument(help="the pupil (or --all-met)")] = None,
    meeting: MeetingOpt = None,
    granted: GrantedOpt = False,
    on: OnOpt = None,
    leave_from: FromOpt = None,
    leave_to: ToOpt = None,
    request: Annotated[
        Path | None,
        typer.Option(
            "--request", help="leave_request_response: the parent's written request, as a file"
        ),
    ] = None,
    entry: EntryOpt = None,
    notes: NotesOpt = None,
    again: AgainOpt = False,
    all_met: AllMetOpt = False,
    school: SchoolOpt = None,
    json_: JsonOpt = False,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Queue the letter for each parent: email where that parent consented, else print + slip.
    It names you (--by) as the person to contact, with your phone and email. The same letter
    to the same parent twice in one day needs --again. --all-met: every pupil meeting the
    threshold on --on (of --school); each one refused is named on stderr (exit 1)."""
    from casework.sending import send_letter

    options = _options(meeting, granted, leave_from, leave_to, entry, notes)
    if all_met or school is not None:
        _send_to_all_met(template, upn, all_met, school, again, request, on, by, options, json_, db)
        return
    if upn is None:
        raise UserError("name the pupil (UPN), or --all-met for every pupil meeting the threshold")
    # A copy that cannot be read: the boundary names the file.
    copy = (request.name, request.read_bytes()) if request is not None else None
    pupil = upn.upper()

    async def work(application: App) -> None:
        sent = await send_letter(
            application.uow(),
            application.mailroom(),
            template,
            pupil,
            await acting(application, by, "letter", upn=pupil, account_ok=True),
            parse_date(on),
            application.clock.now(),
            options,
            again,
            copy,
        )
        if json_:
            emit_json({"upn": sent.upn, "parents": [route_json(r) for r in sent.parents]})
            return
        typer.echo(f"{template} for {sent.upn}:")
        for r in sent.parents:
            typer.echo(route_line(r))

    run(db, work)


@letter_app.command("print")
def letter_print(
    printed_id: Annotated[int, typer.Argument(help="the printed letter's number (letter send)")],
    out: Annotated[Path, typer.Option("--out", help="the folder to write the PDFs into")],
    db: DbOpt = None,
) -> None:
    """Write a printed letter and its hand-delivery slip as PDFs, exactly as kept in evidence."""
    from casework.printed import printed_files

    async def work(application: App) -> None:
        files = await printed_files(application.uow(), application.evidence(), printed_id)
        c = files.copy
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The ids come from imported files: only their safe characters become a file name.
        stem = safe_name(f"{printed_id}-{c.template}-{c.upn}-{c.parent_id}")
        for name, data in ((f"{stem}.pdf", files.letter), (f"{stem}-slip.pdf", files.slip)):
            write_private(out / name, data)
            typer.echo(str(out / name))

    run(db, work)


@letter_app.command("delivered")
def letter_delivered(
    printed_id: Annotated[int, typer.Argument(help="the printed letter's number")],
    how: Annotated[str, typer.Option("--how", help="post (first class) or hand")],
    on: Annotated[
        str | None, typer.Option("--on", help="the day it was posted or handed over")
    ] = None,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Record that a printed letter was posted or handed over, as its slip says; the notice's
    deemed receipt follows (post: the second working day after; by hand: that day)."""
    from casework.printed import record_delivery

    async def work(application: App) -> None:
        done = await record_delivery(
            application.uow(),
            printed_id,
            how,
            parse_date(on),
            await acting(application, by, "letter", printed_id=printed_id),
            application.clock.now(),
        )
        typer.echo(
            f"printed letter {printed_id} ({done.copy.template}) {how}: deemed received "
            f"{done.copy.deemed_received_on}"
        )
        if done.warning:
            typer.echo(f"  warning: {done.warning}", err=True)

    run(db, work)


def _send_to_all_met(
    template: str,
    upn: str | None,
    all_met: bool,
    school: str | None,
    again: bool,
    request: Path | None,
    on: str | None,
    by: str | None,
    options: LetterOptions,
    json_: bool,
    db: str | None,
) -> None:
    from supportfirst.cli.bulk_letters import send_to_all_met

    if upn is not None or not all_met:
        raise UserError("--all-met sends to every pupil meeting the threshold: give no UPN")
    if again or request is not None:
        raise UserError("--all-met: --again and --request are for one pupil's letter")

    async def work(application: App) -> int:
        return await send_to_all_met(
            application, template, parse_date(on), school, by, options, json_
        )

    code = run(db, work)
    if code:
        raise typer.Exit(code)
