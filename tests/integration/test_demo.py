"""`supportfirst demo` on the embedded defaults: it plays the whole flow and names the pack."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from casework.packzip import read_zip, verify_files


def test_the_demo_plays_the_flow_and_names_a_pack_that_verifies(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTFIRST_", "SLACK_"))}
    done = subprocess.run(
        [sys.executable, "-m", "supportfirst", "demo", "--out", str(tmp_path / "demo")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "met the national threshold" in out and "NtiBreached" in out
    assert "a reply, an out-of-office, a bounce): 3 filed to cases, 0 quarantined" in out
    found = re.search(r"Referral pack: (\S+\.zip) \((\d+) files; verify: ok\)", out)
    assert found is not None, out
    pack = read_zip(Path(found.group(1)).read_bytes())
    assert verify_files(pack) == [] and "chronology.pdf" in pack
    assert any(p.startswith("emails/received/") for p in pack)
    again = subprocess.run(
        [sys.executable, "-m", "supportfirst", "demo", "--out", str(tmp_path / "demo")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 1 and "not empty" in again.stderr
