"""Start-up stays light: help and ordinary commands load neither Slack, WeasyPrint nor the mail
servers and clients (issue 10; bench/cli_help.py measures what is left)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ["slack_bolt", "slack_sdk", "weasyprint", "aiosmtpd", "aiosmtplib", "imap_tools", "dkim"]
HEAVY += ["flufl"]
# A database already at the newest schema is checked against store.db.SCHEMA_HEAD: alembic and
# its migration files are loaded only to migrate (`init`, or a command meeting an older file).
HEAVY += ["alembic"]

# Runs the CLI in-process, as the entry point does, for each argument list; then prints which
# of HEAVY are loaded. SystemExit is how Typer ends after printing help.
PROBE = """
import json, sys
from supportfirst.cli import main
runs, heavy = json.loads(sys.argv[1]), tuple(json.loads(sys.argv[2]))
for args in runs:
    sys.argv = ["supportfirst", *args]
    try:
        main()
    except SystemExit as e:
        assert e.code in (0, None), (args, e.code)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules if m.startswith(heavy)})))
"""


def loaded_after(tmp_path: Path, *commands: list[str], probe: str = PROBE) -> list[str]:
    env = {**os.environ, "SUPPORTFIRST_DATA_DIR": str(tmp_path / "data")}
    env.pop("SUPPORTFIRST_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(commands), json.dumps(HEAVY)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_help_loads_no_chat_pdf_or_mail_library(tmp_path: Path) -> None:
    assert loaded_after(tmp_path, ["--help"], ["threshold", "--help"]) == []


@pytest.mark.parametrize(
    "commands",
    [
        [["threshold"], ["threshold", "--json", "--on", "2025-03-14"]],
        [["case", "--help"], ["nti", "issue", "--help"], ["review", "--on", "2025-03-14"]],
    ],
    ids=["threshold", "review"],
)
def test_ordinary_commands_load_no_chat_pdf_or_mail_library(
    tmp_path: Path, commands: list[list[str]]
) -> None:
    """Opening the app loads neither dkim (the postroom signs only when it composes) nor
    slack_sdk (migration 0007, which builds slack_sdk's tables, imports it only when it runs:
    so the database is made first, as `init` makes it once)."""
    loaded_after(tmp_path, ["init"])
    assert loaded_after(tmp_path, *commands) == []


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """The check itself can fail: with the demo's module imported, the mail client is seen."""
    probe = PROBE.replace("print(", "import supportfirst.demo\nprint(")
    assert "aiosmtplib" in loaded_after(tmp_path, ["--help"], probe=probe)


def test_the_schema_head_is_alembics_own() -> None:
    """store.db.SCHEMA_HEAD, which every command checks the database against, is the newest
    migration's revision: a migration added without moving it fails here."""
    from alembic.script import ScriptDirectory

    from store.db import SCHEMA_HEAD, alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite:///unused.db")).get_current_head()
    assert head == SCHEMA_HEAD
