"""Personal data at rest (issue 13 point 3), on real runs: the demo's whole folder is 0700/0600
even when started under umask 022; the Maildir reader never follows a link nor stops at a
folder; names from imported files never become paths; `key init|show`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import builders as b

STATUS = "Return-Path: <>\r\nFrom: someone@example.org\r\nSubject: hello\r\n\r\nHi\r\n"


def supportfirst(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportfirst", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(0o022),  # a shell's usual umask: the service sets its own
    )


def clean_env(data: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTFIRST_", "SLACK_"))}
    return {**env, "SUPPORTFIRST_DATA_DIR": str(data), **more}


def walk(root: Path) -> Iterator[tuple[Path, int, bool]]:
    yield root, stat.S_IMODE(root.lstat().st_mode), True
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(folder) / name
            mode = p.lstat().st_mode
            yield p, stat.S_IMODE(mode), stat.S_ISDIR(mode)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "d"
    done = supportfirst(clean_env(out), "demo", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_every_file_a_real_run_writes_is_the_services_own(demo: Path) -> None:
    seen = list(walk(demo))
    names = {p.name for p, _, _ in seen}
    # what the demo writes: the database, evidence, the Maildirs, the alerts log, the pack,
    # the journal, the key and the head file
    assert {"supportfirst.db", "alerts.log", "signing-key.pem", "audit-heads.log"} <= names
    assert any(n.startswith("referral-pack-") for n in names)
    assert any("evidence" in p.parts and not d for p, _, d in seen)
    assert any("outbound" in p.parts and not d for p, _, d in seen)
    wrong = [(str(p), oct(m)) for p, m, d in seen if m != (0o700 if d else 0o600)]
    assert wrong == []


def test_key_init_makes_a_private_key_once_and_key_show_prints_it(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data")
    made = supportfirst(env, "key", "init")
    assert made.returncode == 0, made.stderr
    public = made.stdout.strip()
    assert len(made.stdout.splitlines()) == 1 and len(public) == 44  # base64 of 32 bytes
    key = tmp_path / "data" / "signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    before = key.read_bytes()
    again = supportfirst(env, "key", "init")
    assert again.returncode == 1 and "never overwritten" in again.stderr
    assert len(again.stderr.splitlines()) == 1 and key.read_bytes() == before
    shown = supportfirst(env, "key", "show")
    assert shown.returncode == 0 and shown.stdout == public + "\n"
    pem = supportfirst(env, "key", "show", "--pem").stdout
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in pem


def test_a_key_kept_elsewhere_is_made_there_and_must_exist(tmp_path: Path) -> None:
    where = tmp_path / "keys" / "school.pem"
    env = clean_env(tmp_path / "data", SUPPORTFIRST_SIGNING_KEY=str(where))
    missing = supportfirst(env, "audit", "verify")
    assert missing.returncode == 1 and "no signing key there" in missing.stderr
    assert "Traceback" not in missing.stderr and not where.exists()
    assert supportfirst(env, "key", "init").returncode == 0
    assert stat.S_IMODE(where.stat().st_mode) == 0o600
    assert not (tmp_path / "data" / "signing-key.pem").exists()
    assert supportfirst(env, "audit", "verify").returncode == 0


def maildir(root: Path) -> Path:
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True)
    return root


def test_the_maildir_reader_skips_links_and_folders_and_reads_the_rest(tmp_path: Path) -> None:
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$the-secret-hash:19000:0:99999:7:::\n")
    box = maildir(tmp_path / "inbox")
    (box / "new" / "1700000000.M1P1Q1.host").write_bytes(STATUS.encode())
    (box / "new" / "1700000001.M1P1Q2.host").symlink_to(secret)  # must never be read
    (box / "new" / "1700000002.M1P1Q3.host").mkdir()  # must not stop the reading
    (box / "cur" / "1700000000.M1P1Q1.host:2,S").mkdir()  # where the good one would go
    env = clean_env(tmp_path / "data", SUPPORTFIRST_INBOX_MAILDIR=str(box))
    done = supportfirst(env, "mail", "ingest", "--once", "--json")
    assert done.returncode == 0, done.stderr
    totals = json.loads(done.stdout)
    assert totals["read"] == 1 and len(totals["skipped"]) == 3
    assert "1700000001.M1P1Q2.host: skipped, not a regular file" in done.stderr
    assert "1700000002.M1P1Q3.host: skipped" in done.stderr
    listed = json.loads(supportfirst(env, "mail", "inbox", "--json").stdout)["messages"]
    assert [m["subject"] for m in listed] == ["hello"]
    blobs = [p for p in (tmp_path / "data" / "evidence").rglob("*") if p.is_file()]
    assert len(blobs) == 1 and b"the-secret-hash" not in blobs[0].read_bytes()
    assert not list((box / "new").glob("1700000000*"))  # filed, and moved beside the folder
    assert len([p for p in (box / "cur").iterdir() if p.is_file()]) == 1
    again = supportfirst(env, "mail", "ingest", "--once", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["read"] == 0


def test_names_from_imported_files_never_become_paths(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data")
    evil = "../../escaped"
    files = {
        "schools": b.schools(),
        "pupils": b.pupils(),
        "parents": b.csv_bytes(
            b.PARENTS_HEADER, [f"{evil},{b.UPN_1},Alex Taylor,,mother,{b.ADDRESS_1}"]
        ),
    }
    for kind, data in files.items():
        (tmp_path / f"{kind}.csv").write_bytes(data)
        done = supportfirst(env, "import", kind, f"{kind}.csv", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    head = ("--by", "HEAD")
    for command in (
        ("staff", "add", "HEAD", "--name", "Ms Patel", "--role", "attendance_officer",
         "--all-schools"),
        ("school", "set", b.SCHOOL_A, "--champion", "Ms Patel", "--phone", "01632 960000",
         "--email", "office@school.example"),
    ):  # fmt: skip
        done = supportfirst(env, *command, *head, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    sent = supportfirst(env, "letter", "send", "initial_concern", b.UPN_1, "--json", cwd=tmp_path)
    assert sent.returncode == 0, sent.stderr
    [parent] = json.loads(sent.stdout)["parents"]
    out = tmp_path / "deep" / "print"
    printed = supportfirst(env, "letter", "print", str(parent["printed_id"]), "--out", str(out))
    assert printed.returncode == 0, printed.stderr
    written = [Path(p) for p in printed.stdout.split()]
    assert len(written) == 2 and all(p.parent == out for p in written)
    assert all(".." not in p.name and "/" not in p.name for p in written)
    assert not (tmp_path / "escaped").exists() and not list(tmp_path.glob("*escaped*"))
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o600}
