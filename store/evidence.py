"""The evidence blob store: content-addressed by SHA-256, written durably before it is relied on.

Every email sent or received, and every scanned consent form, is kept byte for byte here. A
blob is written to a temporary file, fsynced, renamed into place and its folder fsynced, so a
crash leaves either the whole blob or nothing; writing the same bytes twice is harmless.

A batch (`put_many`) is written the same way but made durable once for all its blobs: each is
written and renamed into place, then one `syncfs` of the store's file system (Linux) flushes
them all, where two fsyncs per blob cost ~100 times as much. Without `syncfs` each file and
each folder touched is fsynced once, after all are written. The ingester splits the two: its
reading workers write each part's blobs (`write_unsynced`, handed to them by name) and the
ingester then makes the whole batch durable once (`make_durable`). Either way nothing may refer
to a blob of a batch before it is durable.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path


class EvidenceMissing(LookupError):
    pass


def _load_syncfs() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        syncfs: Callable[[int], int] = libc.syncfs
    except (OSError, AttributeError, TypeError):  # not Linux, or no libc to be found
        return None
    return syncfs


_SYNCFS = _load_syncfs()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EvidenceStore:
    def __init__(self, root: Path, syncfs: bool = True) -> None:
        self.root = root
        self._syncfs = _SYNCFS if syncfs else None

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        sha256, target, new = self._write(data, sync=True)
        if new:
            _fsync_path(target.parent)
        return sha256

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        """Store every blob, then make them all durable in one pass; their names in order."""
        names = write_unsynced(self.root, blobs)
        self.make_durable(names)
        return names

    def make_durable(self, sha256s: Sequence[str]) -> None:
        """Make blobs written without it (`write_unsynced`, here or in other processes) durable,
        in one pass. Blobs that were already there count too: the process that renamed one in
        may have died before its own durability pass."""
        if sha256s:
            self._durable(self.path(sha256) for sha256 in sha256s)

    def _write(self, data: bytes, sync: bool) -> tuple[str, Path, bool]:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if target.exists():
            return sha256, target, False
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Unique per writer, not per process: two threads of one process storing the same
        # bytes at once (a letter queued twice from two requests) must not share one file.
        tmp = target.with_suffix(f".{os.getpid()}.{secrets.token_hex(6)}.tmp")
        # 0600 whatever the umask: the blobs are parents' and pupils' personal data.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, target)
        return sha256, target, True

    def _durable(self, targets: Iterable[Path]) -> None:
        """Every file in `targets`, its name and its folders' names on disk."""
        if self._syncfs is not None:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root, os.O_RDONLY)
            try:
                if self._syncfs(fd) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"syncfs of {self.root}: {os.strerror(err)}")
            finally:
                os.close(fd)
            return
        folders: set[Path] = set()
        for target in targets:
            _fsync_path(target)
            folders.update((target.parent, target.parent.parent))
        for folder in sorted(folders, reverse=True):  # leaves first, then the store's root
            _fsync_path(folder)
        if folders:
            _fsync_path(self.root)

    def get(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise EvidenceMissing(f"evidence {sha256} is not in {self.root}") from None

    def verify(self, sha256: str) -> bool:
        """True while the stored bytes still hash to their name."""
        return hashlib.sha256(self.get(sha256)).hexdigest() == sha256


def write_unsynced(root: Path, blobs: Sequence[bytes]) -> list[str]:
    """Write blobs into the store at `root`, not yet durable: `EvidenceStore.make_durable` must
    follow before anything refers to them. A plain function, so that a reading worker (another
    process) can be handed it; the names in order."""
    store = EvidenceStore(root, syncfs=False)
    return [store._write(data, sync=False)[0] for data in blobs]
