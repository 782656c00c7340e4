"""`verify FILE.zip [--key KEY]`: check a referral pack as the local authority receives it.

The ZIP may have come from anyone, so it is read defensively: duplicate or unsafe entry names
are refused before anything is unpacked, as is a ZIP whose entries would unpack to more than a
limit (a ZIP bomb); each file is hashed as it is streamed, never held whole in memory; the
manifest must list at least one file and be signed, and with `--key` signed by that key.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from casework.packzip import MANIFEST, SIGNATURE, manifest_message
from casework.ports import Verifier

MAX_UNPACKED = 2 * 1024**3  # a pack of a year's letters and replies is a few hundred MB
MAX_MANIFEST = 16 * 1024**2
CHUNK = 1024**2


class PackRefused(ValueError):
    """The ZIP is not read any further; the message is one line."""


@dataclass(frozen=True)
class PackCheck:
    files: int
    problems: tuple[str, ...]
    signed_by: str | None  # the public key that signed the manifest, when its signature holds
    key_checked: bool  # True when the signature was checked against a key given by the reader


def _entries(z: zipfile.ZipFile, limit: int) -> dict[str, zipfile.ZipInfo]:
    infos = z.infolist()
    counts = Counter(i.filename for i in infos)
    twice = sorted(n for n, c in counts.items() if c > 1)
    if twice:
        raise PackRefused(f"entry {twice[0]!r} appears {counts[twice[0]]} times (a forged pack)")
    for i in infos:
        name = i.filename
        if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/"):
            raise PackRefused(f"entry {name!r}: not a name a pack uses (absolute or '..')")
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise PackRefused(
            f"its entries would unpack to {total:,} bytes, more than the {limit:,} this "
            "check reads (a ZIP bomb, or use --max-size)"
        )
    return {i.filename: i for i in infos if not i.filename.endswith("/")}


def _read_small(z: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    if info.file_size > cap:
        raise PackRefused(f"{info.filename}: {info.file_size:,} bytes, more than a pack's {cap:,}")
    with z.open(info) as f:
        return f.read(cap + 1)[:cap]


def _digest(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int]:
    """SHA-256 and size, streamed; reading stops at the size the entry declares."""
    h, size = hashlib.sha256(), 0
    with z.open(info) as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _listed(manifest: bytes) -> dict[str, dict[str, Any]]:
    try:
        doc = json.loads(manifest)
        listed = {str(f["path"]): f for f in doc["files"]}
    except (ValueError, KeyError, TypeError) as e:
        raise PackRefused(f"{MANIFEST}: cannot be read ({type(e).__name__})") from None
    if not listed:
        raise PackRefused(f"{MANIFEST}: lists no files, so it proves nothing")
    return listed


def _file_problems(
    z: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], listed: dict[str, dict[str, Any]]
) -> list[str]:
    problems = []
    for path, entry in listed.items():
        info = entries.get(path)
        if info is None:
            problems.append(f"{path}: missing (listed in the manifest)")
            continue
        try:
            sha256, size = _digest(z, info)
        except (zipfile.BadZipFile, OSError, EOFError) as e:  # a bad CRC, a truncated entry
            problems.append(f"{path}: cannot be read ({e})")
            continue
        if sha256 != entry.get("sha256"):
            problems.append(f"{path}: changed (its SHA-256 does not match the manifest)")
        elif size != entry.get("size"):
            problems.append(f"{path}: changed (its size does not match the manifest)")
    for path in sorted(set(entries) - set(listed) - {MANIFEST, SIGNATURE}):
        problems.append(f"{path}: extra (not in the manifest)")
    return problems


def _signer(
    z: zipfile.ZipFile,
    entries: dict[str, zipfile.ZipInfo],
    manifest: bytes,
    key: Verifier | None,
    parse_key: Callable[[str], Verifier],
) -> tuple[str | None, list[str]]:
    """Who signed the manifest (when the signature holds), and what is wrong with it."""
    if SIGNATURE not in entries:
        return None, [f"{SIGNATURE}: missing, so the manifest is not signed"]
    try:
        doc = json.loads(_read_small(z, entries[SIGNATURE], 64 * 1024))
        named, signature = str(doc["public_key"]), str(doc["signature"])
        verifier = key or parse_key(named)
    except (ValueError, KeyError, TypeError):
        return None, [f"{SIGNATURE}: cannot be read"]
    if not verifier.verify(manifest_message(manifest), signature):
        whose = f"the key {key.public_key}" if key else "the key it names"
        return None, [f"{SIGNATURE}: the manifest's signature does not verify with {whose}"]
    return verifier.public_key, []


def check_pack(
    file: IO[bytes],
    key: Verifier | None,
    parse_key: Callable[[str], Verifier],
    limit: int = MAX_UNPACKED,
) -> PackCheck:
    """Every problem, one line each. PackRefused when the ZIP is not read at all."""
    try:
        with zipfile.ZipFile(file) as z:
            entries = _entries(z, limit)
            if MANIFEST not in entries:
                raise PackRefused(f"{MANIFEST}: missing, so nothing can be checked")
            manifest = _read_small(z, entries[MANIFEST], MAX_MANIFEST)
            listed = _listed(manifest)
            signed_by, problems = _signer(z, entries, manifest, key, parse_key)
            problems += _file_problems(z, entries, listed)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
        raise PackRefused(f"not a readable ZIP ({e})") from None
    return PackCheck(len(listed), tuple(problems), signed_by, key is not None)
