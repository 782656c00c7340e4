"""Where replies are read from: an IMAP folder (imap-tools) or a local Maildir.

IMAP: per mailbox and folder the store keeps UIDVALIDITY and the highest UID filed, in the same
transaction as the messages (casework/inbound.py). A restart asks only for UIDs above it; when
the server's UIDVALIDITY changes the folder is read again from the start, and the store files
each message's bytes only once. Messages are fetched with BODY.PEEK[] (exact bytes, nothing
marked read). IDLE is used to wait when the server offers it, polling otherwise.

Maildir: messages in `new/` are read, and moved to `cur/` only after they are filed; a crash
in between means they are read again and, being the same bytes, filed once.

`fetch(…, after=batch)` reads the batch that follows one not yet filed (the ingester reads
ahead while it files): above its highest UID, or the Maildir files other than its own.

Both are blocking (imap-tools is); callers run them in a thread.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import socket
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from imap_tools import MailBox, MailBoxUnencrypted

from casework.inbound import Arrived
from mail.urls import server_url

_UID = re.compile(rb"UID (\d+)")
log = logging.getLogger("supportfirst.mail")


class InboxUrlError(ValueError):
    pass


@dataclass
class Batch:
    arrived: list[Arrived]
    progress: tuple[str, int, int] | None = None  # mailbox, UIDVALIDITY, highest UID
    files: list[Path] = field(default_factory=list)  # Maildir files to move once filed


class Inbox(Protocol):
    name: str

    def fetch(
        self, state: tuple[int, int] | None, limit: int, after: Batch | None = None
    ) -> Batch: ...
    def acknowledge(self, batch: Batch) -> None: ...
    def wait(self, timeout: float) -> None: ...
    def close(self) -> None: ...


def _arrival(path: Path) -> list[int | str]:
    """Maildir names start `<seconds>.M<microseconds>P<pid>Q<n>`: compare their numbers as
    numbers, so mail is filed in the order it arrived."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def _read_regular(path: Path) -> bytes | None:
    """The file's bytes, opened without following a link (O_NOFOLLOW) and only if it is a
    regular file; None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
            return None
        raise
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        return f.read()


class MaildirInbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"maildir:{path.resolve()}"
        self.skipped: list[Path] = []  # links and folders found in new/, reported once each
        for sub in ("new", "cur", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)

    def fetch(self, state: tuple[int, int] | None, limit: int, after: Batch | None = None) -> Batch:
        pending = set(after.files) if after is not None else set()  # read, not yet moved
        files = sorted((p for p in self._messages() if p not in pending), key=_arrival)[:limit]
        arrived, kept = [], []
        for p in files:
            data = _read_regular(p)
            if data is None:  # replaced by a link or a folder since it was listed
                self._skip(p)
                continue
            arrived.append(Arrived(data, self.name))
            kept.append(p)
        return Batch(arrived, None, kept)

    def _messages(self) -> list[Path]:
        """The regular files in new/. A symlink (it could point at /etc/shadow) or a folder is
        not mail: it is skipped and reported, never read, and does not stop the others."""
        found = []
        with os.scandir(self.path / "new") as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
                    self._skip(Path(entry.path))
                    continue
                found.append(Path(entry.path))
        return found

    def _skip(self, path: Path) -> None:
        if path not in self.skipped:
            self.skipped.append(path)
            log.warning("%s: not a regular file (a link or a folder): skipped, not read", path)

    def acknowledge(self, batch: Batch) -> None:
        for p in batch.files:
            target = self.path / "cur" / (p.name.split(":", 1)[0] + ":2,S")
            if target.is_dir() and not target.is_symlink():  # a folder in the way: go beside it
                self._skip(target)
                target = target.with_name(f"{target.name.split(':', 1)[0]}.{time.time_ns()}:2,S")
            with contextlib.suppress(FileNotFoundError):  # another ingester moved it first
                os.replace(p, target)

    def wait(self, timeout: float) -> None:
        time.sleep(min(timeout, 2.0))

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    tls: bool
    user: str
    password: str
    folder: str

    @classmethod
    def from_url(cls, url: str) -> ImapAccount:
        u = server_url(
            url,
            "SUPPORTFIRST_IMAP_URL",
            ("imap", "imaps"),
            (143, 993),
            "imap[s]://user:pass@host:port/FOLDER",
            InboxUrlError,
            need_user=True,
        )
        return cls(u.host, u.port, u.tls, u.user or "", u.password or "", u.path or "INBOX")


class ImapInbox:
    def __init__(self, account: ImapAccount, timeout: float = 30) -> None:
        self.account = account
        self.timeout = timeout
        a = account
        self.name = f"imap://{a.user}@{a.host}:{a.port}/{a.folder}"
        self._box: Any = None

    def _connected(self) -> Any:
        if self._box is None:
            a = self.account
            cls = MailBox if a.tls else MailBoxUnencrypted
            box = cls(a.host, a.port, timeout=self.timeout)
            box.login(a.user, a.password, initial_folder=a.folder)
            self._box = box
        return self._box

    def _uidvalidity(self, box: Any) -> int:
        status = box.folder.status(self.account.folder, ["UIDVALIDITY"])
        return int(status["UIDVALIDITY"])

    def fetch(self, state: tuple[int, int] | None, limit: int, after: Batch | None = None) -> Batch:
        if after is not None and after.progress is not None:
            state = after.progress[1:]  # where the batch not yet filed ends
        try:
            return self._fetch(state, limit)
        except Exception:
            self.close()  # a dropped connection (server restarted): reconnect next time
            raise

    def _fetch(self, state: tuple[int, int] | None, limit: int) -> Batch:
        box = self._connected()
        box.client.noop()  # let the server report messages that arrived since we selected
        validity = self._uidvalidity(box)
        last = state[1] if state is not None and state[0] == validity else 0
        typ, data = box.client.uid("search", None, f"UID {last + 1}:*")
        uids = sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > last)[:limit]
        if not uids:
            return Batch([], None)
        typ, data = box.client.uid("fetch", ",".join(map(str, uids)), "(BODY.PEEK[])")
        arrived = []
        for item in data:
            if isinstance(item, tuple) and (m := _UID.search(item[0])):
                arrived.append(Arrived(item[1], self.name, validity, int(m.group(1))))
        arrived.sort(key=lambda a: a.uid or 0)
        return Batch(arrived, (self.name, validity, max(uids)))

    def acknowledge(self, batch: Batch) -> None:
        pass  # the folder is left as it is: the UID watermark is the record of what was read

    def wait(self, timeout: float) -> None:
        box = self._connected()
        if b"IDLE" in box.client.capabilities or "IDLE" in box.client.capabilities:
            box.idle.wait(timeout=timeout)
        else:
            time.sleep(timeout)

    def close(self) -> None:
        """Log out; safe to call from another thread while `wait` is idling, which it ends."""
        box, self._box = self._box, None
        if box is not None:
            with contextlib.suppress(Exception):  # the connection is already gone
                box.client.sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(Exception):
                box.client.shutdown()


class ImapSentFolder:
    """Appends a copy of each message sent to the school mailbox's Sent folder (optional: the
    evidence store, not this folder, is the record)."""

    def __init__(self, account: ImapAccount, folder: str) -> None:
        self.account = account
        self.folder = folder

    def append(self, messages: list[bytes]) -> None:
        a = self.account
        cls = MailBox if a.tls else MailBoxUnencrypted
        with cls(a.host, a.port).login(a.user, a.password) as box:
            if not box.folder.exists(self.folder):
                box.folder.create(self.folder)
            for raw in messages:
                box.append(raw, self.folder, flag_set=["\\Seen"])
