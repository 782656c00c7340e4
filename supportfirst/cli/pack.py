"""`pack UPN --out FILE.zip` and `verify FILE.zip` (CONTRACT.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supportfirst.cli.common import DbOpt, UserError, counted, fail, run

if TYPE_CHECKING:
    from supportfirst.bootstrap import App

commands = typer.Typer()


def write_atomically(path: Path, data: bytes) -> None:
    """The whole ZIP or nothing: a killed export never leaves half a pack behind."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@commands.command("pack")
def pack_command(
    upn: str,
    out: Annotated[Path, typer.Option("--out", help="the ZIP to write")],
    by: Annotated[str, typer.Option("--by", help="who exports it (audited)")] = "supportfirst",
    db: DbOpt = None,
) -> None:
    """Build the referral pack for the local authority: chronology.pdf, every email as .eml,
    attachments, consent, slips and a manifest that `verify` checks."""
    from casework.packzip import export_pack

    async def work(application: App) -> None:
        from documents.chronology import chronology_pdf  # WeasyPrint: only when a pack is built

        if out.parent and not out.parent.exists():
            raise UserError(f"--out: the folder {out.parent} does not exist")
        done = await export_pack(
            application.uow(),
            application.evidence(),
            chronology_pdf,
            upn.upper(),
            by,
            f"file:{out.name}",
            application.clock.now(),
        )
        write_atomically(out, done.data)
        files = counted(len(done.pack.files), "file")
        typer.echo(f"{out}: {files}, manifest SHA-256 {done.manifest_sha256}")

    run(db, work)


@commands.command("verify")
def verify_command(
    file: Annotated[Path, typer.Argument(help="a referral pack ZIP")],
) -> None:
    """Check every file in a pack against its manifest: each changed, missing or extra file is
    named, and the exit code is non-zero if there is any."""
    from casework.packzip import read_zip, verify_files

    data = file.read_bytes()  # a file that cannot be read: the boundary names it
    try:
        files = read_zip(data)
    except Exception as e:  # not a ZIP at all
        raise fail(f"{file}: not a readable ZIP ({e})") from None
    problems = verify_files(files)
    for p in problems:
        typer.echo(p)
    if problems:
        raise fail(f"{file}: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    n = len(files) - 1
    every = "the 1 file matches" if n == 1 else f"all {counted(n, 'file')} match"
    typer.echo(f"{file}: {every} the manifest")
