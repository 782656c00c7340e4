"""`init`, `import`, `threshold`, `review`, `audit verify`, `authority`, `serve`."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from casework.csvfiles import COLUMNS
from supportfirst.cli.common import (
    ByOpt,
    DbOpt,
    JsonOpt,
    acting,
    counted,
    emit_json,
    fail,
    run,
)
from supportfirst.cli.reviews import review, threshold

if TYPE_CHECKING:
    from attendance.authorities import AuthorityRules
    from supportfirst.bootstrap import App

commands = typer.Typer()
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
authority_app = typer.Typer(help="Each local authority's rules.", no_args_is_help=True)


@commands.command()
def init(db: DbOpt = None) -> None:
    """Create the database, or bring it to the newest schema."""

    async def work(application: App) -> str:
        from store.mark_partitions import create_months_ahead

        # PostgreSQL: this month's and the next two months' partitions of `mark`.
        await create_months_ahead(application.engine, application.clock.today())
        return application.shown_url  # never the password

    typer.echo(f"database ready: {run(db, work, reads=False)}")


IMPORT_KINDS = (*COLUMNS, "ctf")
FormatOpt = Annotated[
    str | None, typer.Option("--format", help="marks as an MIS exports them: sims, arbor, bromcom")
]
SchoolOpt = Annotated[
    str | None,
    typer.Option(
        "--school",
        help="the school's URN (an MIS export names none; a CTF: the "
        "destination, when the file names none)",
    ),
]
CodesOpt = Annotated[
    Path | None, typer.Option("--codes", help="the school's own letters: a CSV local,code")
]
ColumnsOpt = Annotated[
    str | None, typer.Option("--columns", help="which columns hold what: upn=UPN,date=Date,...")
]
DateFormatOpt = Annotated[
    str | None, typer.Option("--date-format", help="e.g. %d/%m/%Y (default: the format's)")
]


def _schools_named(kind: str, file: Path, school: str | None) -> set[str]:
    """The schools a file writes for (their staff alone may import it); a file that cannot be
    read names none here, and the import itself says what is wrong with it. A parents file
    names none: each row's pupil is checked instead (casework.scope.parents_beyond)."""
    import csv
    import io

    if school or kind not in COLUMNS:  # an MIS export or a CTF: the --school given, if any
        return {school} if school else set()
    column = {"schools": "urn", "pupils": "school_urn", "calendar": "school_urn"}.get(
        kind, "school_urn" if kind == "marks" else ""
    )
    try:
        rows = csv.DictReader(io.StringIO(file.read_bytes().decode("utf-8-sig")))
        return {(r.get(column) or "").strip() for r in rows if column} - {""}
    except (OSError, UnicodeDecodeError, csv.Error):
        return set()


async def _theirs_to_import(
    application: App, who: str, kind: str, file: Path, school: str | None
) -> None:
    """Every school the file writes for is one of the member's (a new school: nobody's yet);
    for a parents file, each row's pupil is at one of them."""
    from casework.access import Caller
    from casework.scope import parents_beyond

    for urn in sorted(_schools_named(kind, file, school)):
        if await _known_school(application, urn):
            await acting(application, who, "import", school_urn=urn)
    if kind == "parents":
        now, data = application.clock.now(), file.read_bytes()
        await parents_beyond(application.uow, Caller(who, "cli"), str(file), data, now)


async def _known_school(application: App, urn: str) -> bool:
    async with application.uow() as uow:
        return await uow.registry.school(urn) is not None


@commands.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help=f"one of: {', '.join(IMPORT_KINDS)}")],
    file: Annotated[Path, typer.Argument(help="the CSV file (UTF-8, header row) or the CTF")],
    by: ByOpt = None,
    format_: FormatOpt = None,
    school: SchoolOpt = None,
    codes: CodesOpt = None,
    columns: ColumnsOpt = None,
    date_format: DateFormatOpt = None,
    db: DbOpt = None,
) -> None:
    """Import one file: all or nothing; every bad row reported as FILE:LINE: field: reason
    (the first 20 on the terminal, all of them in FILE.errors.csv when there are more)."""
    if kind not in IMPORT_KINDS:
        raise fail(f"unknown kind {kind!r}: use one of {', '.join(IMPORT_KINDS)}")
    from casework.errors import ImportRejected
    from casework.staff import is_account
    from supportfirst.cli.progress import rows_progress
    from supportfirst.importing import (
        MAX_SHOWN,
        ImportOptionError,
        ImportRequest,
        check,
        import_file,
        shown,
        write_report,
    )

    request = ImportRequest(kind, file, by or "", format_, school, codes, columns, date_format)
    try:
        check(request)
    except ImportOptionError as e:
        raise fail(str(e)) from None

    async def work(application: App) -> None:
        who = await acting(application, by, "import", account_ok=True)
        try:
            if not is_account(who):
                await _theirs_to_import(application, who, kind, file, school)
            with rows_progress(file) as tick:
                summary = await import_file(application, replace(request, by=who), tick)
        except ImportRejected as e:
            report = None
            if len(e.problems) > MAX_SHOWN:
                with contextlib.suppress(OSError):  # a folder we may not write: say so below
                    report = write_report(file, e.problems)
            lines = shown(str(file), e.problems, report, e.rows)
            raise ImportRejected(lines, e.total) from None
        for warning in summary.warnings:
            typer.echo(warning)
        what = "pupil" if kind == "ctf" else kind + " row"
        read_as = (
            " (read as `;`-separated, as Excel saves CSV where a comma is the decimal mark)"
            if summary.separator == ";"
            else ""
        )
        typer.echo(f"{file}: {counted(summary.rows, what)}, {summary.changed} changed{read_as}")

    run(db, work, reads=False)  # the first import is into an empty database


# The lists of pupils (each member of staff sees their schools'), in --help's order here.
commands.command()(threshold)
commands.command()(review)


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            help="a head hash recorded earlier: also catches entries cut off the end",
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", help="the public key to check signatures with (default: ours)"),
    ] = None,
    db: DbOpt = None,
) -> None:
    """Check the audit chain: any changed, inserted, deleted or re-hashed entry fails, and so
    does a head in the head file that the chain no longer holds (entries cut off the end)."""
    from casework.audit import verify_audit
    from store.signing import PublicKey

    async def work(application: App) -> None:
        verifier = PublicKey.parse(key) if key else application.signing_key.public()
        heads = application.heads().lines()
        report = await verify_audit(application.uow(), expect_head, verifier, heads)
        for note in report.notes:
            typer.echo(f"audit: {note}", err=True)
        if not report.ok:
            for problem in report.problems:
                typer.echo(f"audit: {problem}", err=True)
            problems = counted(len(report.problems), "problem")
            raise fail(f"the audit log has been tampered with ({problems})")
        entries = counted(report.entries, "entry", "entries")
        heads_on_file = counted(len(heads), "head")
        typer.echo(
            f"audit log intact: {entries}, head {report.head}, "
            f"signed by {verifier.public_key}, {heads_on_file} on file"
        )

    run(db, work)


@authority_app.command("set")
def authority_set(
    name: Annotated[str, typer.Argument(help="the local authority, as in the schools file")],
    threshold_codes: Annotated[
        str | None,
        typer.Option("--threshold-codes", help="codes counted towards the threshold, e.g. G,O,U,N"),
    ] = None,
    nti_weeks: Annotated[int | None, typer.Option("--nti-weeks")] = None,
    nti_max_days: Annotated[int | None, typer.Option("--nti-max-days")] = None,
    no_cap: Annotated[bool, typer.Option("--no-cap", help="remove the school-day cap")] = False,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Record an LA's rules (its code of conduct)."""
    codes = None
    if threshold_codes is not None:
        codes = frozenset(c.strip().upper() for c in threshold_codes.split(",") if c.strip())

    from casework.authorities import set_rules

    async def work(application: App) -> None:
        rules = await set_rules(
            application.uow(),
            name,
            await acting(application, by, "admin"),
            application.clock.now(),
            codes,
            nti_weeks,
            nti_max_days,
            no_cap,
        )
        typer.echo(_describe(rules.name, rules))

    run(db, work)


def _describe(name: str, rules: AuthorityRules) -> str:
    cap = f", at most {rules.nti_max_school_days} school days" if rules.nti_max_school_days else ""
    return (
        f"{name}: threshold codes {','.join(sorted(rules.threshold_codes))}; "
        f"NTI {rules.nti_weeks} school weeks{cap}"
    )


@authority_app.command("list")
def authority_list(json_: JsonOpt = False, db: DbOpt = None) -> None:
    """The rules in force for each local authority on record."""
    from casework.authorities import list_rules

    async def work(application: App) -> None:
        rules = await list_rules(application.uow())
        if json_:
            emit_json(
                {
                    "authorities": [
                        {
                            "name": n,
                            "threshold_codes": sorted(r.threshold_codes),
                            "nti_weeks": r.nti_weeks,
                            "nti_max_school_days": r.nti_max_school_days,
                        }
                        for n, r in rules.items()
                    ]
                }
            )
            return
        for n, r in rules.items():
            typer.echo(_describe(n, r))

    run(db, work)


@commands.command()
def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 3000,
    db: DbOpt = None,
) -> None:
    """Run the service: the daily review, console alerts and GET /healthz."""
    import asyncio
    import signal

    from supportfirst.serve import serve_forever

    async def work(application: App) -> None:
        # SIGTERM (a service manager stopping it) stops it as Ctrl-C does: cleanly, exit 0.
        serving, terminated = asyncio.current_task(), asyncio.Event()
        assert serving is not None

        def terminate() -> None:
            terminated.set()
            serving.cancel()

        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminate)
        try:
            await serve_forever(application, host, port)
        except asyncio.CancelledError:
            if not terminated.is_set():
                raise
            serving.uncancel()
            typer.echo("stopped")

    try:
        run(db, work)
    except KeyboardInterrupt:
        typer.echo("stopped")
