"""`pack UPN --out FILE.zip` and `verify FILE.zip` (CONTRACT.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supportfirst.cli.common import ByOpt, DbOpt, UserError, acting, counted, fail, run
from supportfirst.files import write_atomically

if TYPE_CHECKING:
    from casework.packview import PackView
    from supportfirst.bootstrap import App

commands = typer.Typer()


@commands.command("pack")
def pack_command(
    upn: str,
    out: Annotated[Path, typer.Option("--out", help="the ZIP to write")],
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """Build the referral pack for the local authority: chronology.pdf, every email as .eml,
    attachments, consent, slips and a manifest that `verify` checks."""
    from casework.packzip import Seal, export_pack
    from supportfirst.cli.progress import steps_progress

    async def work(application: App) -> None:
        from documents.chronology import chronology_pdf  # WeasyPrint: only when a pack is built

        if out.parent and not out.parent.exists():
            raise UserError(f"--out: the folder {out.parent} does not exist")
        who = await acting(application, by, "pack", upn=upn.upper(), account_ok=True)
        with steps_progress() as step:
            step(f"pack {upn.upper()}: reading the case")

            def render(view: PackView) -> bytes:
                step(f"pack {upn.upper()}: drawing chronology.pdf")
                pdf = chronology_pdf(view)
                step(f"pack {upn.upper()}: gathering the emails, letters and slips")
                return pdf

            async def write(data: bytes) -> None:
                step(f"pack {upn.upper()}: writing {out.name}")
                try:
                    write_atomically(out, data)
                except OSError as e:
                    raise UserError(
                        f"--out: {out} could not be written ({e.strerror or e})"
                    ) from None

            done = await export_pack(
                application.uow(),
                application.evidence(),
                render,
                upn.upper(),
                who,
                f"file:{out.name}",
                application.clock.now(),
                write,
                Seal(application.signing_key, application.heads()),
            )
        files = counted(len(done.pack.files), "file")
        typer.echo(f"{out}: {files}, manifest SHA-256 {done.manifest_sha256}")

    run(db, work)


@commands.command("verify")
def verify_command(
    file: Annotated[Path, typer.Argument(help="a referral pack ZIP")],
    key: Annotated[
        str | None,
        typer.Option("--key", help="the school's public key (as `key show` printed it, or a file)"),
    ] = None,
    max_size: Annotated[
        int, typer.Option("--max-size", help="refuse a ZIP that would unpack to more bytes")
    ] = 2 * 1024**3,
) -> None:
    """Check every file in a pack against its manifest, and the manifest's signature: each
    changed, missing or extra file is named, and the exit code is non-zero if there is any."""
    from casework.packcheck import PackRefused, check_pack
    from store.signing import PublicKey

    verifier = PublicKey.parse(key) if key is not None else None
    with open(file, "rb") as f:  # a file that cannot be read: the boundary names it
        try:
            report = check_pack(f, verifier, PublicKey.parse, max_size)
        except PackRefused as e:
            raise fail(f"{file}: refused: {e}") from None
    for p in report.problems:
        typer.echo(p)
    if report.problems:
        raise fail(f"{file}: {counted(len(report.problems), 'problem')}")
    n = report.files
    every = "the 1 file matches" if n == 1 else f"all {counted(n, 'file')} match"
    typer.echo(f"{file}: {every} the manifest")
    if report.key_checked:
        typer.echo(f"signed by the key given: {report.signed_by}")
    else:
        typer.echo(
            f"signed by {report.signed_by}: compare it with the key the school gave you "
            "(or pass --key)"
        )
