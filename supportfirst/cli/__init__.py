"""The `supportfirst` command line (CONTRACT.md): one module per area, each its own Typer app,
added to the root in supportfirst.cli.main. User errors: one line on stderr, exit non-zero."""

from supportfirst.cli.main import app, main

__all__ = ["app", "main"]
