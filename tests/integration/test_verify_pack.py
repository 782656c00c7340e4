"""`verify FILE.zip [--key KEY]` on the demo's real, signed pack, and on packs made to fool it:
a file changed with its manifest and re-signed without the school's key, a dropped signature,
duplicate entry names, a pack holding only an empty manifest, and a 3 MB ZIP bomb (refused
quickly, in little memory, measured as the child's peak RSS). `audit verify` on the demo's
database with its tail cut."""

from __future__ import annotations

import json
import sqlite3
import struct
import subprocess
import sys
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest

from casework.packzip import MANIFEST, SIGNATURE, manifest_signature
from store.signing import create_key
from tests.integration.test_data_at_rest import clean_env, demo, supportfirst  # noqa: F401

MB = 1024**2


def the_pack(demo: Path) -> Path:  # noqa: F811
    [pack] = demo.glob("referral-pack-*.zip")
    return pack


def school_key(demo: Path) -> str:  # noqa: F811
    return supportfirst(clean_env(demo), "key", "show").stdout.strip()


def verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportfirst", "verify", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def entries(pack: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(pack) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def rezip(path: Path, files: list[tuple[str, bytes]]) -> Path:
    with warnings.catch_warnings():  # zipfile warns of a duplicate name: that is the point
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files:
                z.writestr(name, data)
    return path


def test_the_demo_pack_verifies_with_the_schools_key(demo: Path) -> None:  # noqa: F811
    key = school_key(demo)
    done = verify(str(the_pack(demo)), "--key", key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"signed by the key given: {key}" in done.stdout
    plain = verify(str(the_pack(demo)))
    assert plain.returncode == 0 and f"signed by {key}: compare it with the key" in plain.stdout
    files = entries(the_pack(demo))
    head = files["audit-head.txt"].decode().split("\t")
    assert len(head) == 5 and int(head[1]) > 0  # the signed audit head travels in the pack


def test_a_pack_changed_and_re_signed_without_the_schools_key_fails(
    demo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    files = entries(the_pack(demo))
    forged_pdf = files["chronology.pdf"] + b"\n% one more line"
    manifest = json.loads(files[MANIFEST])
    for f in manifest["files"]:
        if f["path"] == "chronology.pdf":
            import hashlib

            f["sha256"], f["size"] = hashlib.sha256(forged_pdf).hexdigest(), len(forged_pdf)
    new_manifest = (json.dumps(manifest, indent=2) + "\n").encode()
    intruder = create_key(tmp_path / "intruder.pem")
    changed = {**files, "chronology.pdf": forged_pdf, MANIFEST: new_manifest}
    key = school_key(demo)

    resigned = rezip(
        tmp_path / "resigned.zip",
        [*{**changed, SIGNATURE: manifest_signature(new_manifest, intruder)}.items()],
    )
    done = verify(str(resigned), "--key", key)
    assert done.returncode == 1
    assert f"manifest's signature does not verify with the key {key}" in done.stdout
    # Without --key the hashes hold, and the output names the intruder's key, not the school's.
    shown = verify(str(resigned))
    assert intruder.public_key in shown.stdout and key not in shown.stdout

    kept_old_signature = rezip(tmp_path / "old-sig.zip", [*changed.items()])
    done = verify(str(kept_old_signature))
    assert done.returncode == 1 and "does not verify with the key it names" in done.stdout

    unsigned = rezip(
        tmp_path / "unsigned.zip", [(n, d) for n, d in changed.items() if n != SIGNATURE]
    )
    done = verify(str(unsigned))
    assert done.returncode == 1 and "manifest.sig: missing" in done.stdout


def test_duplicate_entry_names_are_refused(demo: Path, tmp_path: Path) -> None:  # noqa: F811
    files = entries(the_pack(demo))
    doubled = rezip(
        tmp_path / "doubled.zip", [*files.items(), ("chronology.pdf", b"%PDF-1.4 other")]
    )
    done = verify(str(doubled), "--key", school_key(demo))
    assert done.returncode == 1
    assert "refused: entry 'chronology.pdf' appears 2 times" in done.stderr


def test_a_pack_of_only_an_empty_manifest_is_refused(tmp_path: Path) -> None:
    key = create_key(tmp_path / "k.pem")
    empty = json.dumps({"files": []}).encode()
    for name, files in {
        "bare.zip": [(MANIFEST, empty)],
        "signed.zip": [(MANIFEST, empty), (SIGNATURE, manifest_signature(empty, key))],
    }.items():
        done = verify(str(rezip(tmp_path / name, files)))
        assert done.returncode == 1 and "lists no files, so it proves nothing" in done.stderr


def _bomb(path: Path, unpacked: int, declared: int) -> Path:
    """A manifest and one entry of `unpacked` zero bytes (declaring `declared`), deflated to
    about 3 MB, written by hand: blocks flushed with Z_FULL_FLUSH are independent, so one
    block is repeated rather than 3 GB compressed here."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(bytes(MB)) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(MB)) + c.flush(zlib.Z_FULL_FLUSH)
    data = first + block * (unpacked // MB - 1) + c.flush()
    manifest = json.dumps({"files": [{"path": "chronology.pdf", "sha256": "0", "size": 1}]})
    members = [
        (MANIFEST.encode(), 0, manifest.encode(), zlib.crc32(manifest.encode()), len(manifest)),
        (b"chronology.pdf", 8, data, 0, declared),
    ]
    central = b""
    with open(path, "wb") as f:
        for name, method, body, crc, size in members:
            offset = f.tell()
            f.write(
                struct.pack(
                    "<IHHHHHIIIHH",
                    0x04034B50,
                    20,
                    0,
                    method,
                    0,
                    0,
                    crc,
                    len(body),
                    size,
                    len(name),
                    0,
                )
                + name
                + body
            )
            central += (
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    20,
                    20,
                    0,
                    method,
                    0,
                    0,
                    crc,
                    len(body),
                    size,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + name
            )
        start = f.tell()
        f.write(central)
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(central), start, 0))
    return path


def measured_verify(*args: str) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """Run `verify` in a child that reports its own peak RSS (kB), and time it."""
    code = (
        "import resource, sys\n"
        "from supportfirst.cli import main\n"
        f"sys.argv = ['supportfirst', 'verify', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
        "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - began
    rss = int(done.stderr.rsplit("RSS ", 1)[1].split()[0])
    return done, elapsed, rss


@pytest.mark.parametrize("declared", ["honestly", "lying"])
def test_a_3_mb_zip_bomb_is_refused_quickly_in_little_memory(tmp_path: Path, declared: str) -> None:
    unpacked = 3 * 1024 * MB  # 3 GB of zeros
    bomb = _bomb(tmp_path / "bomb.zip", unpacked, unpacked if declared == "honestly" else 1000)
    assert 2 * MB < bomb.stat().st_size < 4 * MB
    small = rezip(tmp_path / "small.zip", [(MANIFEST, b'{"files": []}')])
    _, _, baseline_kb = measured_verify(str(small))  # Python and the imports alone
    done, elapsed, rss_kb = measured_verify(str(bomb))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    if declared == "honestly":
        assert "would unpack to 3,221,225,5" in done.stderr  # the bomb and the manifest
    else:  # read only as far as it declares, then found not to be the file the manifest lists
        assert "chronology.pdf: changed" in done.stdout or "cannot be read" in done.stdout
    print(
        f"verify of a 3 MB bomb ({declared}): {elapsed:.2f} s, peak RSS {rss_kb // 1024} MB "
        f"(a pack of one empty manifest: {baseline_kb // 1024} MB)"
    )
    assert elapsed < 20 and rss_kb < baseline_kb + 32 * 1024, (elapsed, rss_kb, baseline_kb)


def test_audit_verify_catches_a_cut_tail_through_the_head_file(
    demo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    import shutil

    copy = tmp_path / "d"
    shutil.copytree(demo, copy)
    env = clean_env(copy)
    assert supportfirst(env, "audit", "verify").returncode == 0
    reviewed = supportfirst(env, "review", "--on", "2025-12-01")  # the day's head, on file
    assert reviewed.returncode == 0, reviewed.stderr
    with sqlite3.connect(copy / "supportfirst.db") as db:
        db.execute("DELETE FROM audit_entry WHERE seq = (SELECT max(seq) FROM audit_entry)")
    done = supportfirst(env, "audit", "verify")
    assert done.returncode == 1 and "(entries removed from the end)" in done.stderr
    assert "Traceback" not in done.stderr
