"""What every area of the command line shares: options, `run`, `fail`, dates, JSON.

Only typer and the standard library are imported here at load time: `supportfirst --help`
must not pay for the database layer, which `run` imports when a command actually runs.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from attendance.calendar import out_of_range
from supportfirst.localday import today_in_england
from supportfirst.words import counted as counted  # for every command's output

if TYPE_CHECKING:
    from casework.records import InboundRecord
    from casework.scope import Scope
    from casework.sending import ParentRoute
    from supportfirst.bootstrap import App

T = TypeVar("T")


class UserError(Exception):
    """A mistake the user can fix; the error boundary prints it as one line, exit 1."""


def _with_global_db(ctx: typer.Context, db: str | None) -> str | None:
    """A command's own --db wins; otherwise the one given before the command, kept in the
    root context's `obj` by the root callback."""
    root = ctx.find_root()
    if db or root is ctx:
        return db
    chosen: str | None = root.obj
    return chosen


DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL (default: SUPPORTFIRST_DATABASE_URL or the embedded SQLite file)",
        show_default=False,
        callback=_with_global_db,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
ByOpt = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="the member of staff acting, by id or name (audited; default SUPPORTFIRST_OPERATOR)",
        show_default=False,
    ),
]

OnlySchoolOpt = Annotated[
    str | None,
    typer.Option("--school", help="only that school's pupils (one of yours)", show_default=False),
]


async def acting(
    application: App,
    by: str | None,
    action: str,
    *,
    upn: str | None = None,
    parent_id: str | None = None,
    notice_id: int | None = None,
    printed_id: int | None = None,
    school_urn: str | None = None,
    account_ok: bool = False,
) -> str:
    """The id of the member of staff a command acts as (`--by`, else SUPPORTFIRST_OPERATOR)
    once the one guard (casework.access) allows `action` on what it names: their role, and a
    pupil (each child of a parent) of one of their schools. Nothing is done in no one's name:
    where the contract's form of a command has no `--by` (`import`, `consent record`, `letter
    send`, `pack`; `account_ok`), it is done in the name of the computer account that ran it,
    which can read the whole data folder anyway."""
    from casework.access import Act, Caller, admit
    from casework.staff import account_actor

    who = by or application.settings.operator
    if not who and account_ok:
        return account_actor(getpass.getuser())
    if not who:
        raise UserError("--by STAFF is required: who is doing this (or set SUPPORTFIRST_OPERATOR)")
    caller, now = Caller(who, "cli"), application.clock.now()
    upns: list[str | None] = [upn]
    if parent_id is not None:
        async with application.uow() as uow:
            upns = list(await uow.registry.children_of(parent_id)) or [None]
    member = None
    for one in upns:
        act = Act(
            action,
            upn=one,
            notice_id=notice_id,
            printed_id=printed_id,
            school_urn=school_urn,
        )
        member = (await admit(application.uow, caller, act, now)).member
    assert member is not None
    return member.id


async def seeing(
    application: App, by: str | None, school_urn: str | None = None, doing: str = ""
) -> Scope:
    """The schools whose pupils a list shows (threshold, review, mail inbox): the schools of
    the member of staff `--by` (else SUPPORTFIRST_OPERATOR) names, once the guard admits them
    to `view` (a refusal audited); every school for the computer account (no one named), as
    for a database with no staff on record yet: nothing to scope by. `--school` narrows it."""
    from casework.access import Caller
    from casework.scope import viewing

    who = by or application.settings.operator
    if not who or not await _any_staff(application):
        return await _every_school(application, school_urn)
    caller = Caller(who, "cli")
    return await viewing(application.uow, caller, application.clock.now(), school_urn, doing)


async def _every_school(application: App, school_urn: str | None) -> Scope:
    """The computer account's scope (or a database with no staff yet): every school, or the
    one `--school` names once it is known."""
    from casework.scope import EVERY_SCHOOL, narrowed

    if school_urn is not None:
        async with application.uow() as uow:
            if await uow.registry.school(school_urn) is None:
                raise UserError(f"--school: no school {school_urn}: import the schools file")
    return narrowed(EVERY_SCHOOL, school_urn)


async def reviewer(application: App, by: str | None, school_urn: str | None) -> Scope:
    """As `seeing`, for running the daily review by hand: the member of staff named must have
    a casework role and every school with pupils on roll (casework.scope.reviewing); the computer
    account runs it as `serve` does."""
    from casework.access import Caller
    from casework.scope import reviewing

    who = by or application.settings.operator
    if not who or not await _any_staff(application):
        return await _every_school(application, school_urn)
    return await reviewing(application.uow, Caller(who, "cli"), application.clock.now(), school_urn)


async def seeing_one(
    application: App,
    by: str | None,
    doing: str,
    *,
    upn: str | None = None,
    parent_id: str | None = None,
    message: InboundRecord | None = None,
) -> None:
    """A read about one pupil (case show), one parent (parent addresses) or one message
    received (evidence show) by
    the member of staff `--by` (else SUPPORTFIRST_OPERATOR) names: refused, audited, when
    the pupil (each child of the parent) is at a school not theirs. Nothing to check for the
    computer account (no one named) or a database with no staff yet, as for `seeing`."""
    from casework.access import Caller
    from casework.scope import message_allowed, parent_seen, pupil_seen

    who = by or application.settings.operator
    if not who or not await _any_staff(application):
        return
    caller, now = Caller(who, "cli"), application.clock.now()
    if upn is not None:
        await pupil_seen(application.uow, caller, upn, now, doing)
    if parent_id is not None:
        await parent_seen(application.uow, caller, parent_id, now, doing)
    if message is not None:
        await message_allowed(application.uow, caller, message, now)


async def _any_staff(application: App) -> bool:
    async with application.uow() as uow:
        return bool(await uow.chat.all_staff())


def complain(message: str) -> None:
    typer.echo(f"supportfirst: {message}", err=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    complain(message)
    return typer.Exit(code)


def parse_date(value: str | None, option: str = "--on") -> date:
    if value is None:
        return today_in_england()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None
    if (why := out_of_range(day)) is not None:
        raise UserError(f"{option}: {why}")
    return day


class Verbosity:
    """`supportfirst --verbose …` (anywhere on the line): each command names its database."""

    on = False


def run(db: str | None, work: Callable[[App], Awaitable[T]], *, reads: bool = True) -> T:
    """Run one command against the database. Its errors are reported by the one boundary
    (supportfirst.cli.boundary); a database that cannot be opened is told apart here, as a
    UserError, from one that fails during the work (exit 2). A command that `reads` data warns
    on stderr when the database holds none: most often the wrong data folder or --db."""
    import asyncio  # some 50 ms: not for --help

    from sqlalchemy.exc import SQLAlchemyError

    from supportfirst.bootstrap import bootstrap
    from supportfirst.settings import load_settings

    try:
        application = bootstrap(load_settings(), db)
    except SQLAlchemyError as e:
        raise UserError(f"cannot open the database: {first_line(e)}") from None
    if Verbosity.on:
        complain(f"database {application.shown_url} (data folder {application.settings.data_dir})")

    async def go() -> T:
        try:
            if reads and await _empty(application):
                complain(
                    f"warning: the database {application.shown_url} holds no schools yet: "
                    "import the CSV files first (supportfirst import schools FILE), or check "
                    "SUPPORTFIRST_DATA_DIR, SUPPORTFIRST_DATABASE_URL and --db"
                )
            return await work(application)
        finally:
            await application.close()

    return asyncio.run(go())


async def _empty(application: App) -> bool:
    from sqlalchemy import text

    async with application.engine.connect() as conn:
        return (await conn.execute(text("SELECT 1 FROM school LIMIT 1"))).first() is None


def first_line(e: BaseException) -> str:
    text = str(getattr(e, "orig", None) or e)
    return text.strip().splitlines()[0] if text.strip() else type(e).__name__


def emit_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=None, sort_keys=False, default=str))


def route_json(r: ParentRoute) -> dict[str, object]:
    return {
        "parent_id": r.parent_id,
        "route": r.route,
        "message_id": r.message_id,
        "printed_id": r.printed_id,
    }


def route_line(r: ParentRoute) -> str:
    if r.route == "email":
        return f"  parent {r.parent_id}: queued for email {r.message_id} ({r.reason})"
    how = f"print letter {r.printed_id} and its slip (letter print {r.printed_id} --out DIR)"
    return f"  parent {r.parent_id}: {how}, for post or hand delivery ({r.reason})"


def safe_name(text: str) -> str:
    """A file name made from ids that came from outside: letters, digits, `.`, `_`, `-` kept,
    anything else `_`, no `..`, never starting with a dot, at most 120 characters."""
    name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in text)
    name = name.replace("..", "__")
    return ("_" + name[1:] if name.startswith(".") else name)[:120] or "file"


def write_private(path: Path, data: bytes) -> None:
    """Write a file only the service's user can read (0600), never through a symlink."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
