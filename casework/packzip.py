"""The pack as a ZIP, and checking one against its manifest (`supportfirst verify`)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from casework.audit import record_head
from casework.pack import ChronologyRenderer, Pack, build_pack
from casework.packfiles import PackFile
from casework.ports import Evidence, HeadLog, Signer, UnitOfWork

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
HEAD = "audit-head.txt"
MANIFEST_PURPOSE = b"supportfirst pack manifest\n"


def manifest_message(manifest: bytes) -> bytes:
    return MANIFEST_PURPOSE + manifest


def manifest_signature(manifest: bytes, signer: Signer) -> bytes:
    """`manifest.sig`: the Ed25519 signature over the manifest's exact bytes, and the public key
    that made it (which the local authority compares with the one the school gave it)."""
    doc = {
        "algorithm": "Ed25519",
        "public_key": signer.public_key,
        "signature": signer.sign(manifest_message(manifest)),
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


def pack_zip(pack: Pack, signer: Signer | None = None) -> bytes:
    """Deterministic: entries in manifest order, each dated when the pack was generated; the
    manifest is signed when a signer is given."""
    stamp = pack.generated_at.timetuple()[:6]
    manifest = pack.manifest()
    entries = [(f.path, f.content) for f in pack.files] + [(MANIFEST, manifest)]
    if signer is not None:
        entries.append((SIGNATURE, manifest_signature(manifest, signer)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for path, content in entries:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content)
    return out.getvalue()


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist() if not name.endswith("/")}


def verify_files(files: Mapping[str, bytes]) -> list[str]:
    """Every problem, one line each naming the file: changed, missing, extra, or a manifest
    that cannot be read. An empty list means the pack is as it was built."""
    if MANIFEST not in files:
        return [f"{MANIFEST}: missing, so nothing can be checked"]
    try:
        manifest = json.loads(files[MANIFEST])
        listed = {str(f["path"]): f for f in manifest["files"]}
    except (ValueError, KeyError, TypeError) as e:
        return [f"{MANIFEST}: cannot be read ({type(e).__name__}: {e})"]
    problems = []
    for path, entry in listed.items():
        if path not in files:
            problems.append(f"{path}: missing (listed in the manifest)")
            continue
        data = files[path]
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            problems.append(f"{path}: changed (its SHA-256 does not match the manifest)")
        elif len(data) != entry.get("size"):
            problems.append(f"{path}: changed (its size does not match the manifest)")
    for path in sorted(set(files) - set(listed) - {MANIFEST, SIGNATURE}):
        problems.append(f"{path}: extra (not in the manifest)")
    return problems


@dataclass(frozen=True)
class Seal:
    """The service's key and the head file: what makes a pack provably the school's."""

    signer: Signer
    heads: HeadLog


@dataclass(frozen=True)
class Exported:
    pack: Pack
    data: bytes  # the ZIP
    manifest_sha256: str


# Where a built pack goes (a file written and synced, a direct message uploaded): it returns
# only once the pack is safely there, and raises when it is not.
PackWriter = Callable[[bytes], Awaitable[None]]


async def prepare_export(
    uow: UnitOfWork,
    evidence: Evidence,
    render: ChronologyRenderer,
    upn: str,
    by: str,
    now: datetime,
    seal: Seal | None = None,
) -> Exported:
    """Build and zip the pack. With a seal the audit head is written to the head file and into
    the pack, and the manifest is signed. Nothing says it was exported yet: `record_export`."""
    pack = await build_pack(uow, evidence, render, upn, now, by)
    signer = None
    if seal is not None:
        signer = seal.signer
        mark = await record_head(uow, seal.signer, seal.heads, now)
        what = "the audit chain's signed head when the pack was built (date, entries, head)"
        head_file = PackFile(HEAD, (mark.text() + "\n").encode(), what)
        pack = replace(pack, files=(*pack.files, head_file))
    data = pack_zip(pack, signer)
    return Exported(pack, data, hashlib.sha256(pack.manifest()).hexdigest())


async def record_export(uow: UnitOfWork, done: Exported, by: str, to: str, now: datetime) -> None:
    """The audit entry for a pack that reached `to`: who exported it, and the hashes of its
    manifest and ZIP (so the school can later show what it sent)."""
    async with uow:
        details = {
            "files": len(done.pack.files),
            "manifest_sha256": done.manifest_sha256,
            "zip_sha256": hashlib.sha256(done.data).hexdigest(),
            "audit_head": done.pack.audit_head,
            "to": to,
        }
        await uow.audit.append(by, "pack.built", f"pupil:{done.pack.upn}", details, now)
        await uow.commit()


async def export_pack(
    uow: UnitOfWork,
    evidence: Evidence,
    render: ChronologyRenderer,
    upn: str,
    by: str,
    to: str,
    now: datetime,
    write: PackWriter,
    seal: Seal | None = None,
) -> Exported:
    """Build the pack, write it, and only then audit the export: a write that fails (a full
    disk, a folder gone) leaves no entry saying a pack went anywhere."""
    done = await prepare_export(uow, evidence, render, upn, by, now, seal)
    await write(done.data)
    await record_export(uow, done, by, to, now)
    return done
