"""The composition root: `bootstrap(settings, **overrides)` builds every adapter once and returns
the one `App` the CLI, `serve`, the demo and the tests use.

Nothing here runs at import time, and nothing heavy is imported until it is used: the alert
channels and the inbox are built on first use (so `supportfirst threshold` never loads
slack_bolt), each exactly once. Tests replace an adapter by passing it (`clock=`, `postroom=`,
`inbox=`, `alerts=`), never by patching.
"""

from __future__ import annotations

import gc
import stat
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from casework.sending import Mailroom
from mail.dkim_signing import DkimSigner
from mail.letters import LetterRenderer
from mail.postroom import Postroom
from store.db import SCHEMA_HEAD, make_engine, schema_revision, upgrade
from store.evidence import EvidenceStore
from store.signing import HeadFile, SigningKey, create_key, load_key
from store.uow import SqlUnitOfWork
from supportfirst.localday import today_in_england
from supportfirst.settings import Settings, load_settings

if TYPE_CHECKING:  # built lazily: these pull in imap_tools, aiosmtpd, dkim
    from mail.authenticity import Authenticator
    from mail.inbox import Inbox
    from supportfirst.alerting import Alerts


class LoopDied(Exception):
    """One of serve's loops stopped with an error it could not recover from."""


class Clock(Protocol):
    def now(self) -> datetime: ...
    def today(self) -> date: ...


@dataclass(frozen=True)
class SystemClock:
    """Aware UTC for stored timestamps (and the audit chain); the local date for school days."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return today_in_england()


def schema_is_current(url: str) -> bool:
    return schema_revision(url) == SCHEMA_HEAD


def ensure_schema(url: str) -> bool:
    """Upgrade the database to the newest schema if it is not there; True if it was upgraded."""
    if schema_is_current(url):
        return False
    upgrade(url)
    return True


def shown(url: str) -> str:
    """A database URL as it may be printed: never its password."""
    return make_url(url).render_as_string(hide_password=True)


def private_folder(path: Path) -> None:
    """The data folder holds pupils' and parents' personal data: only the service's own user
    may enter it (0700), whatever the umask was when it was made."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        path.chmod(0o700)


def build_postroom(settings: Settings) -> Postroom:
    """The postroom signs every email when a DKIM selector is configured (the key was checked
    when the settings were read)."""
    signer = None
    if settings.dkim_selector and settings.dkim_key_file:
        signer = DkimSigner.from_file(
            settings.dkim_selector, settings.mail_domain, settings.dkim_key_file
        )
    return Postroom(settings.from_address, signer)


@dataclass
class App:
    """Every adapter of one running service, each built once."""

    settings: Settings
    url: str
    engine: AsyncEngine
    clock: Clock
    postroom: Postroom
    evidence_store: EvidenceStore
    overrides: dict[str, object] = field(default_factory=dict)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.signing_key)

    @cached_property
    def signing_key(self) -> SigningKey:
        """The key that signs the audit chain, the head file and pack manifests. In the data
        folder it is made on first use (so every install signs from its first entry); a key
        named by SUPPORTFIRST_SIGNING_KEY must already be there (`key init`)."""
        path = self.settings.signing_key_path
        if self.settings.signing_key is None and not path.exists():
            return create_key(path)
        return load_key(path)

    def heads(self) -> HeadFile:
        return HeadFile(self.settings.audit_heads_path)

    def evidence(self) -> EvidenceStore:
        return self.evidence_store

    @cached_property
    def _mailroom(self) -> Mailroom:
        return Mailroom(LetterRenderer(), self.postroom, self.evidence_store)

    def mailroom(self) -> Mailroom:
        return self._mailroom

    @cached_property
    def authenticator(self) -> Authenticator:
        """Who sent each message read from the inbox: the trusted server's results, or DKIM,
        SPF and DMARC checked through SUPPORTFIRST_DNS_SERVER (the system's resolver if unset)."""
        from mail.authenticity import Authenticator, Resolver  # dkim, dnspython: mail only

        return Authenticator(self.settings.trusted_authserv_ids, Resolver(self.settings.dns_server))

    @cached_property
    def inbox(self) -> Inbox:
        """Where replies are read: the IMAP mailbox, a configured Maildir or the local one."""
        from supportfirst.ingesting import open_inbox

        given = self.overrides.get("inbox")
        return given if given is not None else open_inbox(self)  # type: ignore[return-value]

    @cached_property
    def alerts(self) -> Alerts:
        """The channels alerts are shown on (the console always; Slack, Teams as configured)."""
        from supportfirst.alerting import Alerts

        given = self.overrides.get("alerts")
        return given if given is not None else Alerts(self)  # type: ignore[return-value]

    def on_another_loop(self) -> App:
        """The same service for another event loop (another thread): its own engine, its own
        alerts, inbox and Slack client, built there when first used; closed by `close`."""
        return replace(self, engine=make_engine(self.url))

    @property
    def from_settings_alone(self) -> bool:
        """No adapter was handed to `bootstrap`: another process can build this same App from
        its settings and URL (serve's background process, supportfirst/own_process.py)."""
        return not self.overrides

    @property
    def shown_url(self) -> str:
        return shown(self.url)

    async def close(self) -> None:
        if "alerts" in self.__dict__:
            await self.alerts.close()
        if "inbox" in self.__dict__:
            self.inbox.close()
        await self.engine.dispose()


def bootstrap(
    settings: Settings | None = None,
    db: str | None = None,
    migrate: bool = True,
    *,
    clock: Clock | None = None,
    postroom: Postroom | None = None,
    inbox: Inbox | None = None,
    alerts: Alerts | None = None,
) -> App:
    """Settings (from the environment when not given: SettingsError on a bad one), the schema
    brought up to date (`migrate`), and every adapter; keyword arguments replace an adapter."""
    settings = settings or load_settings()
    private_folder(settings.data_dir)
    url = db or settings.db_url
    if migrate:
        ensure_schema(url)
    handed = (("inbox", inbox), ("alerts", alerts), ("clock", clock), ("postroom", postroom))
    overrides: dict[str, object] = {name: value for name, value in handed if value is not None}
    app = App(
        settings=settings,
        url=url,
        engine=make_engine(url),
        clock=clock or SystemClock(),
        postroom=postroom or build_postroom(settings),
        evidence_store=EvidenceStore(settings.data_dir / "evidence"),
        overrides=overrides,
    )
    # What start-up made (modules, the ORM's tables, templates) lives as long as the process:
    # kept out of the collector's full passes, which walked all of it (0.15-0.4 s each on the
    # loaded bench machine, about one per county threshold report). Once per process.
    if gc.get_freeze_count() == 0:
        gc.freeze()
    return app
