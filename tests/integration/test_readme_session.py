"""The README's first session, followed as written from a copy of the project's examples/:
every command works, and the case it builds is a sensible one (consent before the notice,
dates in order, a pack that verifies)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def session() -> list[list[str]]:
    """The commands of the README's first session, continuation lines joined, comments off
    (`export NAME=VALUE` lines kept, as ["export", "NAME=VALUE"])."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## A first session", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "supportfirst":
            commands.append(words[1:])
        elif words and words[0] == "export":
            commands.append(words)
    return commands


def test_the_first_session_as_written_builds_a_sensible_case(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTFIRST_", "SLACK_"))}
    env["SUPPORTFIRST_DATA_DIR"] = str(tmp_path / "data")
    found: dict[str, str] = {}
    outputs: dict[str, str] = {}
    commands = session()
    assert len(commands) >= 20
    for words in commands:
        if words[0] == "export":  # as the shell would, for the commands after it
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        words = [found.get(w, w) for w in words]
        assert not {"<PRINTED-ID>", "<MESSAGE-ID>"} & set(words), f"nothing to put in {words}"
        done = subprocess.run(
            [sys.executable, "-m", "supportfirst", *words],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, (words, done.stderr)
        outputs[" ".join(words[:2])] = done.stdout
        if words[:2] == ["nti", "issue"]:
            routes = json.loads(done.stdout)["parents"]
            found["<PRINTED-ID>"] = str(
                next(r["printed_id"] for r in routes if r["route"] == "post")
            )
            found["<MESSAGE-ID>"] = next(r["message_id"] for r in routes if r["route"] == "email")

    met = json.loads(outputs["threshold --on"])
    assert [p["upn"] for p in met["pupils"]] == ["A123456789012"]
    case = json.loads(outputs["case show"])
    kinds = [e["kind"] for e in case["entries"]]
    assert kinds.index("consent_recorded") < kinds.index("nti_issued")
    assert kinds.index("support_offered") < kinds.index("letter_sent") < kinds.index("nti_issued")
    staff_days = [e["at"] for e in case["entries"] if e["by"] != "supportfirst"]
    assert staff_days == sorted(staff_days) and staff_days[0] >= "2025-03-01"
    assert "match the manifest" in outputs["verify sam-taylor-pack.zip"]
