"""`supportfirst staff link ID --by STAFF`: the sign-in URL alone on the last line of stdout,
under SUPPORTFIRST_PUBLIC_URL; an unknown member of staff is one line and exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SUPPORTFIRST_DATA_DIR": str(folder / "data"),
        "SUPPORTFIRST_PUBLIC_URL": "https://sf.school.example",
    }
    env.pop("SUPPORTFIRST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "supportfirst", *args],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_staff_link_prints_the_url_alone_on_its_last_line(tmp_path: Path) -> None:
    assert cli(tmp_path, "init").returncode == 0
    head = ("staff", "add", "SAC", "--name", "Sue", "--role", "senior_attendance_champion")
    assert cli(tmp_path, *head, "--all-schools", "--by", "SAC").returncode == 0
    dsl = ("staff", "add", "U0DSL", "--name", "Dee", "--role", "dsl", "--all-schools")
    added = cli(tmp_path, *dsl, "--by", "SAC")
    assert added.returncode == 0, added.stderr
    done = cli(tmp_path, "staff", "link", "U0DSL", "--by", "SAC")
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("https://sf.school.example/signin/") and " " not in last
    assert len(last.rsplit("/", 1)[1]) >= 40
    unknown = cli(tmp_path, "staff", "link", "U0NOBODY", "--by", "SAC")
    assert unknown.returncode != 0 and "Traceback" not in unknown.stderr
    errors = [line for line in unknown.stderr.splitlines() if "warning:" not in line]
    assert len(errors) == 1 and "U0NOBODY" in errors[0]  # (a database with no schools warns)
