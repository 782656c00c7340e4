"""`key init` and `key show`: the Ed25519 key that signs the audit chain, the head file and
every pack's manifest (docs/threat-model.md says how the local authority records it)."""

from __future__ import annotations

from typing import Annotated

import typer

key_app = typer.Typer(help="The key that signs the audit chain and packs.", no_args_is_help=True)


@key_app.command("init")
def key_init() -> None:
    """Create the private key (0600) in the data folder or at SUPPORTFIRST_SIGNING_KEY; an
    existing key is never overwritten. Prints the public key."""
    from store.signing import create_key
    from supportfirst.bootstrap import private_folder
    from supportfirst.settings import load_settings

    settings = load_settings()
    private_folder(settings.data_dir)
    key = create_key(settings.signing_key_path)
    typer.echo(f"signing key created: {key.path}", err=True)
    typer.echo(key.public_key)


@key_app.command("show")
def key_show(
    pem: Annotated[bool, typer.Option("--pem", help="PEM instead of one base64 line")] = False,
) -> None:
    """Print the public key, one line (base64 of its 32 bytes), for the LA to record."""
    from store.signing import load_key
    from supportfirst.settings import load_settings

    key = load_key(load_settings().signing_key_path)
    typer.echo(key.pem_public().rstrip() if pem else key.public_key)
