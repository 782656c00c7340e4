"""Real Postfix and Dovecot on loopback for mail tests, with throwaway configuration.

`mail_servers` (session scope) starts both once per test session under a fresh directory in the
system temp dir and stops them at the end, killing their process groups if they do not exit.

- Postfix smtpd listens on `smtp_host:smtp_port`; `school.test` and `parents.test` are virtual
  mailbox domains. Every local part is a mailbox (regexp catch-alls, so no reload is needed for
  new addresses) except those starting with `unknown`: Postfix accepts those at RCPT time and then
  bounces them itself (a multipart/report DSN) to the envelope sender.
- `recipient_delimiter = +`: `attendance+anything@school.test` is delivered to the
  `attendance@school.test` Maildir, `maildir(address)`. Postfix hands each message to Dovecot's
  LDA (a pipe(8) transport), which writes that Maildir itself: delivery does not need the Dovecot
  daemon, so mail sent while it is stopped is still delivered.
- Dovecot serves IMAP (no TLS, plaintext login, IDLE) on `imap_host:imap_port`; the user name is
  the full address, the password is `password` for every user, and the INBOX is that Maildir.
- Delivery adds `Return-Path`, `Delivered-To` (the recipient, extension included) and Postfix's
  `Received` in front of the message and changes nothing else; files on disk have LF line endings,
  IMAP serves the same bytes with CRLF.

The binaries are Debian's `postfix` and `dovecot-imapd` (`.ci/run` installs them). When they are
missing the fixture skips with the reason, or fails under CI=true. Set MAILSERVERS_KEEP=1 to keep
the directory (configuration, Maildirs, `postfix/postfix.log`, `dovecot/*.log`) after the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
DOMAINS = ("school.test", "parents.test")
HOST = "127.0.0.1"
PASSWORD = "secret"
MAIL_USER = "dovecot"  # owns every Maildir: Dovecot's IMAP and the LDA run as this user
MAILDIR_NAME = re.compile(r"(?P<seconds>\d+)\.(?:M(?P<micros>\d+))?")
LDA = "/usr/lib/dovecot/dovecot-lda"  # Debian's dovecot-core
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0

# Every service chroot-free, and smtpd only on the chosen loopback port (no port 25).
MASTER_CF = """\
{host}:{port} inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
dovecot   unix  -       n       n       -       -       pipe
  flags=DRhu user={mail_user}:{mail_user} null_sender=
  argv={lda} -c {dovecot_conf} -e -f ${{sender}} -a ${{recipient}}
  -o mail_location=maildir:{root}/mail/${{domain}}/${{user}}
  -o log_path={root}/dovecot/lda.log
"""

MAIN_CF = """\
compatibility_level = 3.6
config_directory = {config}
queue_directory = {root}/postfix/queue
data_directory = {root}/postfix/data
syslog_name = postfix-test
maillog_file = {root}/postfix/postfix.log
maillog_file_prefixes = {root}
inet_interfaces = {host}
inet_protocols = ipv4
myhostname = mail.school.test
mydomain = school.test
myorigin = $mydomain
mydestination =
mynetworks = 127.0.0.0/8
relayhost =
local_recipient_maps =
local_transport = error:5.1.1 local delivery is disabled
alias_maps =
alias_database =
biff = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_reject_unlisted_recipient = no
recipient_delimiter = +
virtual_mailbox_domains = {domains}
virtual_mailbox_maps = regexp:{config}/virtual_mailbox.regexp
virtual_transport = dovecot
dovecot_destination_recipient_limit = 1
transport_maps = regexp:{config}/transport.regexp
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 30s
bounce_queue_lifetime = 30s
delay_warning_time = 0
"""

# virtual(8) refuses regexp substitution in virtual_mailbox_maps, so it cannot map any address to
# its own Maildir; the `dovecot` pipe transport above (Dovecot's LDA) writes the Maildir instead,
# named by the recipient's domain and local part without its extension. This map still lists
# which recipients exist, and transport_maps sends `unknown…` to error(8), which bounces them.
VIRTUAL_MAILBOX_REGEXP = """\
if !/^unknown/
/@(school|parents)\\.test$/	OK
endif
"""

TRANSPORT_REGEXP = """\
/^unknown[^@]*@(school|parents)\\.test$/	error:5.1.1 mailbox unavailable (no such user)
"""

DOVECOT_CONF = """\
protocols = imap
listen = {host}
base_dir = {root}/dovecot/run
state_dir = {root}/dovecot/state
instance_name = dovecot-test-{token}
log_path = {root}/dovecot/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Lu
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:{root}/mail/%Ld/%Ln
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/mail/%Ld/%Ln
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
"""


def unique_address(prefix: str, domain: str = "parents.test") -> str:
    """A never-repeating address, so that tests do not share mailboxes."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}@{domain}"


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} not readable)"


def _greeting(host: str, port: int, prefix: bytes) -> bool:
    """True once a server on host:port answers with a greeting starting with prefix."""
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.settimeout(5)
            return s.recv(512).startswith(prefix)
    except OSError:
        return False


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stop_process(proc: subprocess.Popen[bytes], leader: int | None = None) -> None:
    """Stop a server started in its own session, and everything it started.

    `leader` is the server's real master when `proc` only waits for it (Postfix's master makes
    its own session). SIGTERM goes to the master first so that `proc` can reap it, then to
    `proc`'s group; whatever is left after STOP_TIMEOUT gets SIGKILL.
    """
    groups = (proc.pid,) if leader is None else (leader, proc.pid)
    for g in groups:
        if proc.poll() is not None and g == proc.pid:
            break
        _kill_group(g, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(STOP_TIMEOUT)
    for g in groups:
        _kill_group(g, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(STOP_TIMEOUT)


def _arrival(entry: os.DirEntry[str]) -> tuple[int, int, str]:
    """Sort key for a Maildir file: Dovecot names them `<seconds>.M<microseconds>P<pid>.<host>`
    (and sets mtime to whole seconds only), so the name orders deliveries within a second."""
    found = MAILDIR_NAME.match(entry.name)
    if found is None:
        return entry.stat().st_mtime_ns // 1000, 0, entry.name
    return int(found["seconds"]) * 1_000_000 + int(found["micros"] or 0), 1, entry.name


def _message_files(maildir: Path) -> list[Path]:
    files: list[tuple[tuple[int, int, str], Path]] = []
    for sub in ("new", "cur"):
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(maildir / sub):
                with contextlib.suppress(FileNotFoundError):
                    if entry.is_file():
                        files.append((_arrival(entry), Path(entry.path)))
    return [path for _, path in sorted(files)]


@dataclass
class MailServers:
    smtp_host: str
    smtp_port: int
    imap_host: str
    imap_port: int
    root: Path
    password: str
    postfix: str = field(repr=False, default="postfix")
    dovecot: str = field(repr=False, default="dovecot")
    lda: str = field(repr=False, default=LDA)
    _postfix_proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _dovecot_proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _postfix_master: int | None = field(default=None, repr=False)

    # -- mailboxes -------------------------------------------------------------------------

    def maildir(self, address: str) -> Path:
        """The Maildir Postfix delivers `address` into (any `+extension` dropped)."""
        local, _, domain = address.rpartition("@")
        return self.root / "mail" / domain.lower() / local.split("+", 1)[0].lower()

    def delivered(self, address: str) -> list[bytes]:
        """Raw bytes (LF line endings, as on disk) of every message in new/ and cur/, oldest
        first."""
        for _ in range(10):  # Dovecot may move a file from new/ to cur/ between list and read
            try:
                return [p.read_bytes() for p in _message_files(self.maildir(address))]
            except FileNotFoundError:
                continue
        return [p.read_bytes() for p in _message_files(self.maildir(address))]

    async def wait_for(
        self, address: str, count: int, timeout: float = 20, *, containing: bytes | None = None
    ) -> list[bytes]:
        """Poll until the Maildir holds at least `count` messages and return them (oldest first).

        With `containing`, only messages with those bytes in them count and are returned: for a
        mailbox that other tests also deliver into, such as attendance@school.test.
        """
        deadline = time.monotonic() + timeout
        while True:
            messages = self.delivered(address)
            if containing is not None:
                messages = [m for m in messages if containing in m]
            if len(messages) >= count:
                return messages
            if time.monotonic() >= deadline:
                which = "" if containing is None else f" containing {containing!r}"
                raise AssertionError(
                    f"{len(messages)} of {count} messages{which} for {address} after {timeout}s;"
                    f" Postfix log:\n{self.postfix_log()}"
                )
            await asyncio.sleep(0.05)

    def queued(self) -> int:
        """Messages Postfix holds and has not yet delivered (or bounced)."""
        queue = self.root / "postfix" / "queue"
        return sum(
            1
            for part in ("maildrop", "incoming", "active", "deferred", "hold")
            for p in (queue / part).rglob("*")
            if p.is_file()
        )

    async def wait_until_queue_empty(self, timeout: float = 60) -> None:
        """Until everything Postfix accepted has been delivered: then counting is final."""
        deadline = time.monotonic() + timeout
        while (left := self.queued()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if left:
            raise AssertionError(
                f"{left} messages still queued after {timeout}s;\n{self.postfix_log()}"
            )

    def postfix_log(self, lines: int = 30) -> str:
        return _tail(self.root / "postfix" / "postfix.log", lines)

    def dovecot_log(self, lines: int = 30) -> str:
        return _tail(self.root / "dovecot" / "dovecot.log", lines)

    # -- configuration ---------------------------------------------------------------------

    @property
    def postfix_config(self) -> Path:
        return self.root / "postfix" / "etc"

    @property
    def dovecot_config(self) -> Path:
        return self.root / "dovecot" / "dovecot.conf"

    def write_config(self) -> None:
        owner = pwd.getpwnam(MAIL_USER)
        mail = self.root / "mail"
        dovecot_dir = self.root / "dovecot"
        for d in (self.postfix_config, self.root / "postfix" / "queue", dovecot_dir):
            d.mkdir(parents=True, exist_ok=True)
        for d in (mail, *(mail / domain for domain in DOMAINS)):
            d.mkdir(exist_ok=True)
            os.chown(d, owner.pw_uid, owner.pw_gid)
        lda_log = dovecot_dir / "lda.log"  # the LDA runs as MAIL_USER
        lda_log.touch()
        os.chown(lda_log, owner.pw_uid, owner.pw_gid)
        postfix = {
            "host": self.smtp_host,
            "port": self.smtp_port,
            "root": self.root,
            "config": self.postfix_config,
            "domains": " ".join(DOMAINS),
            "mail_user": MAIL_USER,
            "lda": self.lda,
            "dovecot_conf": self.dovecot_config,
        }
        (self.postfix_config / "main.cf").write_text(MAIN_CF.format(**postfix))
        (self.postfix_config / "master.cf").write_text(MASTER_CF.format(**postfix))
        (self.postfix_config / "virtual_mailbox.regexp").write_text(VIRTUAL_MAILBOX_REGEXP)
        (self.postfix_config / "transport.regexp").write_text(TRANSPORT_REGEXP)
        # Postfix waits (in 0.3 s steps, up to ~2 s) for a main.cf modified "just now" to settle.
        settled = time.time() - 60
        for f in self.postfix_config.iterdir():
            os.utime(f, (settled, settled))
        self.dovecot_config.write_text(
            DOVECOT_CONF.format(
                host=self.imap_host,
                port=self.imap_port,
                root=self.root,
                token=self.root.name,
                password=self.password,
                mail_user=MAIL_USER,
            )
        )

    # -- processes -------------------------------------------------------------------------

    def start_postfix(self) -> None:
        log = (self.root / "postfix" / "start-fg.out").open("ab")
        with log:
            self._postfix_proc = subprocess.Popen(
                [self.postfix, "-c", str(self.postfix_config), "start-fg"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(self._postfix_proc, self.smtp_host, self.smtp_port, b"220", "Postfix")
        self._postfix_master = self._postfix_master_pid()

    def stop_postfix(self) -> None:
        if self._postfix_proc is None:
            return
        # The master daemon makes its own session (its pid is its process group); signalling it
        # passes SIGTERM on to every Postfix daemon.
        _stop_process(self._postfix_proc, self._postfix_master or self._postfix_master_pid())
        self._postfix_proc = self._postfix_master = None

    def _postfix_master_pid(self) -> int | None:
        try:
            return int((self.root / "postfix" / "queue" / "pid" / "master.pid").read_text())
        except (OSError, ValueError):
            return None

    def start_dovecot(self) -> None:
        log = (self.root / "dovecot" / "dovecot.out").open("ab")
        with log:
            self._dovecot_proc = subprocess.Popen(
                [self.dovecot, "-F", "-c", str(self.dovecot_config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(self._dovecot_proc, self.imap_host, self.imap_port, b"* OK", "Dovecot")

    def stop_dovecot(self) -> None:
        if self._dovecot_proc is None:
            return
        _stop_process(self._dovecot_proc)
        self._dovecot_proc = None

    def restart_dovecot(self) -> None:
        self.stop_dovecot()
        self.start_dovecot()

    def stop(self) -> None:
        try:
            self.stop_dovecot()
        finally:
            self.stop_postfix()

    def _wait_ready(
        self, proc: subprocess.Popen[bytes], host: str, port: int, greeting: bytes, name: str
    ) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not _greeting(host, port, greeting):
            if proc.poll() is not None or time.monotonic() >= deadline:
                raise RuntimeError(
                    f"{name} did not come up on {host}:{port} (exit code {proc.poll()}).\n"
                    f"Postfix log:\n{self.postfix_log()}\nDovecot log:\n{self.dovecot_log()}\n"
                    f"Output:\n{_tail(self.root / 'postfix' / 'start-fg.out')}\n"
                    f"{_tail(self.root / 'dovecot' / 'dovecot.out')}"
                )
            time.sleep(0.05)


def _binaries() -> tuple[str, str] | str:
    """The postfix and dovecot executables, or the reason they cannot be used."""
    postfix = shutil.which("postfix", path=SBIN_PATH)
    dovecot = shutil.which("dovecot", path=SBIN_PATH)
    found = {"postfix": postfix, "dovecot": dovecot, LDA: LDA if os.access(LDA, os.X_OK) else None}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        return f"{', '.join(missing)} missing: apt-get install postfix dovecot-imapd"
    if os.geteuid() != 0:
        return "the Postfix and Dovecot fixtures must run as root"
    assert postfix is not None and dovecot is not None
    return postfix, dovecot


@contextlib.contextmanager
def running_mail_servers() -> Iterator[MailServers]:
    found = _binaries()
    if isinstance(found, str):
        if os.environ.get("CI") == "true":
            pytest.fail(found)
        pytest.skip(found)
    postfix, dovecot = found
    for attempt in range(3):
        root = Path(tempfile.mkdtemp(prefix="mailservers-"))
        root.chmod(0o755)  # Postfix and Dovecot daemons run as their own users and must get in
        servers = MailServers(
            smtp_host=HOST,
            smtp_port=free_port(),
            imap_host=HOST,
            imap_port=free_port(),
            root=root,
            password=PASSWORD,
            postfix=postfix,
            dovecot=dovecot,
        )
        # The daemons' folders are made under the usual umask (022), whatever an in-process CLI
        # run left behind (supportfirst's entry sets 077): Postfix's postdrop must get in.
        umask = os.umask(0o022)
        try:
            servers.write_config()
            servers.start_postfix()
            servers.start_dovecot()
        except RuntimeError:
            # A free port found by binding port 0 can be taken by another process before the
            # daemon binds it: try again with new ports.
            servers.stop()
            shutil.rmtree(root, ignore_errors=True)
            if attempt == 2:
                raise
            continue
        finally:
            os.umask(umask)
        break
    try:
        yield servers
    finally:
        servers.stop()
        if not os.environ.get("MAILSERVERS_KEEP"):
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[MailServers]:
    with running_mail_servers() as servers:
        yield servers
