"""The evidence blob store: content-addressed by SHA-256, written durably before it is relied on.

Every email sent or received, and every scanned consent form, is kept byte for byte here. A
blob is written to a temporary file, fsynced, renamed into place and its folder fsynced, so a
crash leaves either the whole blob or nothing; writing the same bytes twice is harmless.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class EvidenceMissing(LookupError):
    pass


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if target.exists():
            return sha256
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        # 0600 whatever the umask: the blobs are parents' and pupils' personal data.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        return sha256

    def get(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise EvidenceMissing(f"evidence {sha256} is not in {self.root}") from None

    def verify(self, sha256: str) -> bool:
        """True while the stored bytes still hash to their name."""
        return hashlib.sha256(self.get(sha256)).hexdigest() == sha256
