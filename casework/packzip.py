"""The pack as a ZIP, and checking one against its manifest (`supportfirst verify`)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from casework.pack import ChronologyRenderer, Pack, build_pack
from casework.ports import Evidence, UnitOfWork

MANIFEST = "manifest.json"


def pack_zip(pack: Pack) -> bytes:
    """Deterministic: entries in manifest order, each dated when the pack was generated."""
    stamp = pack.generated_at.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for path, content in [(f.path, f.content) for f in pack.files] + [
            (MANIFEST, pack.manifest())
        ]:
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
    for path in sorted(set(files) - set(listed) - {MANIFEST}):
        problems.append(f"{path}: extra (not in the manifest)")
    return problems


@dataclass(frozen=True)
class Exported:
    pack: Pack
    data: bytes  # the ZIP
    manifest_sha256: str


async def export_pack(
    uow: UnitOfWork,
    evidence: Evidence,
    render: ChronologyRenderer,
    upn: str,
    by: str,
    to: str,
    now: datetime,
) -> Exported:
    """Build and zip the pack, and record in the audit log who exported it, where to, and the
    hashes of its manifest and ZIP (so the school can later show what it sent)."""
    pack = await build_pack(uow, evidence, render, upn, now)
    data = pack_zip(pack)
    manifest = hashlib.sha256(pack.manifest()).hexdigest()
    async with uow:
        details = {
            "files": len(pack.files),
            "manifest_sha256": manifest,
            "zip_sha256": hashlib.sha256(data).hexdigest(),
            "audit_head": pack.audit_head,
            "to": to,
        }
        await uow.audit.append(by, "pack.built", f"pupil:{pack.upn}", details, now)
        await uow.commit()
    return Exported(pack, data, manifest)
