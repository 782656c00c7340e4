"""Settings from the environment (or a `.env` file), as CONTRACT.md names them.

Every setting is checked when it is read: a time is a `time`, a URL has a scheme we can use and a
host, a DKIM selector comes with a readable private key. `load_settings()` turns the first
problem into one line naming the variable (`SettingsError`), never echoing a password.
"""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mail.dns_setting import parse_dns_server

PREFIX = "SUPPORTFIRST_"
# Where a setting's variable is not PREFIX + its name (Slack's own conventional names).
ALIASES = {
    "from_address": "SUPPORTFIRST_FROM",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_client_id": "SLACK_CLIENT_ID",
    "slack_client_secret": "SLACK_CLIENT_SECRET",
}
URL_SCHEMES = {
    "smtp_url": ("smtp", "smtps"),
    "imap_url": ("imap", "imaps"),
    "slack_api_url": ("http", "https"),
    "teams_webhook_url": ("http", "https"),
    "case_url": ("http", "https"),
    "public_url": ("http", "https"),
    "oidc_issuer": ("https", "http"),  # http only on loopback (a local provider, in tests)
    "database_url": ("sqlite", "postgresql", "postgres"),
}


DATA_FOLDER = "supportfirst-data"


def find_data_dir(start: Path | None = None) -> Path:
    """The data folder when SUPPORTFIRST_DATA_DIR is not set: the nearest `supportfirst-data`
    folder in the working directory or any folder above it, so that every command finds the
    same database from anywhere inside the school's folder; when there is none, a new one in
    the working directory (README, "Where the data lives")."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / DATA_FOLDER).is_dir():
            return folder / DATA_FOLDER
    return here / DATA_FOLDER


class SettingsError(ValueError):
    """A setting we cannot use; the message is one line naming its variable."""


def variable(name: str) -> str:
    if name.isupper():  # pydantic names an aliased field by its alias
        return name
    return ALIASES.get(name, PREFIX + name.upper())


def redacted(url: str) -> str:
    """The URL without its password (nor a query, which for a webhook is its key), for
    messages and logs."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # not even a URL: show only its scheme
        return url.partition(":")[0] + ":***"
    if parts.query:
        parts = parts._replace(query="***")
    if password is None:
        return parts.geturl()
    user, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}").geturl()


def reveal(secret: SecretStr | None) -> str | None:
    """A secret's value, for the one place that hands it to a server (never to a message)."""
    return secret.get_secret_value() if secret is not None else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_prefix=PREFIX, extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(default_factory=find_data_dir)
    database_url: str | None = Field(default=None, repr=False)  # may hold a password
    smtp_url: str | None = Field(default=None, repr=False)  # may hold a password
    imap_url: str | None = Field(default=None, repr=False)  # may hold a password
    imap_sent_folder: str | None = None  # e.g. "Sent": keep a copy of each email sent there
    inbox_maildir: Path | None = None
    from_address: str = Field(default="attendance@localhost", alias="SUPPORTFIRST_FROM")
    dkim_selector: str | None = None  # with dkim_key_file: sign every message (DKIM)
    dkim_key_file: Path | None = None  # the PEM private key for <selector>._domainkey.<domain>
    smtp_ca_file: str | None = None  # a CA bundle to trust for the relay's certificate
    smtp_dsn: bool = False  # ask for delivery reports (NOTIFY=SUCCESS,FAILURE) when offered
    smtp_connections: int = Field(default=2, ge=1, le=64)  # connections kept open to the relay
    ingest_batch: int = Field(default=200, ge=1)  # messages filed per transaction
    # Processes reading (parsing, classifying, authenticating) each batch; 0 or 1: in this one.
    ingest_workers: int = Field(default_factory=lambda: min(2, os.cpu_count() or 1), ge=0, le=64)
    # The authserv-ids (comma-separated) whose Authentication-Results headers are believed:
    # the school's own mail provider's. Without one, DKIM, SPF and DMARC are checked here.
    trusted_authserv_id: str | None = None
    dns_server: str | None = None  # host:port for DKIM/SPF/DMARC look-ups (default: system's)
    send_batch: int = Field(default=200, ge=1)  # emails one worker claims at a time (bench/)
    sender_idle_seconds: float = Field(default=2.0, gt=0)  # how often an idle sender looks
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")  # Socket Mode
    # Multi-workspace installs (Bolt's OAuth flow at /slack/install): the app's credentials.
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_team_id: str | None = None  # with OAuth: the workspace alerts are posted in
    slack_api_url: str | None = None  # SUPPORTFIRST_SLACK_API_URL: tests point it at a stand-in
    slack_alert_channel: str | None = None  # where alerts go when no route says otherwise
    teams_webhook_url: str | None = Field(default=None, repr=False)  # a Teams webhook: its
    # query string is its key, so it is shown redacted
    case_url: str | None = None  # e.g. https://supportfirst.school.example/cases/{upn}
    # Where staff reach `serve`'s case pages (links in alerts and sign-in links); https in
    # production, where session cookies are then sent only over https.
    public_url: str = "http://127.0.0.1:3000"
    # Signing in to the case pages with the school's own accounts (OpenID Connect: Microsoft
    # Entra ID, Google Workspace): the issuer URL and this app's registration there.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    signing_key: Path | None = None  # the Ed25519 private key (default: in the data folder)
    audit_heads_file: Path | None = None  # the signed heads (default: in the data folder)
    review_time: time = time(18, 0)  # local time the daily review runs, after registers close
    # The drop folder `serve` imports the MIS's exports from (supportfirst/dropfolder.py).
    import_dir: Path | None = None
    import_scan_seconds: float = Field(default=60.0, gt=0)  # how often it looks
    import_settle_seconds: float = Field(default=10.0, ge=0)  # unchanged this long: written
    # A single-user install: the member of staff (id or name) a command acts as without --by.
    operator: str | None = None
    # Where `serve` runs its background loops: a child process (no GIL shared with the
    # listener's acks) or a thread of serve's own process (supportfirst/own_process.py).
    background: Literal["process", "thread"] = "process"
    # How much lower the background process's CPU priority is than the listener's (nice
    # steps): on a busy machine the kernel then runs the acks first (bench/README.md).
    background_nice: int = Field(default=10, ge=0, le=19)

    @field_validator("review_time", mode="before")
    @classmethod
    def _a_time_of_day(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return time.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{value!r} is not a time of day (HH:MM, 24-hour)") from None
        return value

    @field_validator(*URL_SCHEMES, mode="after")
    @classmethod
    def _a_usable_url(cls, value: str | None, info: Any) -> str | None:
        if not value:
            return None
        schemes = URL_SCHEMES[info.field_name]
        parts = urlsplit(value)
        scheme = parts.scheme.partition("+")[0]  # sqlite+aiosqlite, postgresql+psycopg
        if scheme not in schemes:
            raise ValueError(f"{redacted(value)!r}: expected a {' or '.join(schemes)} URL")
        if scheme != "sqlite" and not parts.hostname:
            raise ValueError(f"{redacted(value)!r}: no host")
        return value

    @field_validator("dns_server", mode="after")
    @classmethod
    def _a_dns_server(cls, value: str | None) -> str | None:
        if not value:
            return None
        parse_dns_server(value)  # raises ValueError (DnsServerError) saying why not
        return value.strip()

    @property
    def trusted_authserv_ids(self) -> list[str]:
        return [t.strip() for t in (self.trusted_authserv_id or "").split(",") if t.strip()]

    @field_validator("case_url", mode="after")
    @classmethod
    def _names_the_pupil(cls, value: str | None) -> str | None:
        if value and "{upn}" not in value:
            raise ValueError(f"{value!r}: must contain {{upn}}, where the pupil's UPN goes")
        return value

    def pupil_url(self, upn: str, alert_id: str | None = None) -> str:
        """The pupil's page: SUPPORTFIRST_CASE_URL (another system) or `serve`'s own, opened at
        the alert (`#alert-{id}`, where it is acknowledged or decided) when one is named."""
        if self.case_url:
            return self.case_url.format(upn=upn)
        at = f"#alert-{alert_id}" if alert_id else ""
        return f"{self.public_url.rstrip('/')}/cases/{upn}{at}"

    @model_validator(mode="after")
    def _dkim_key_readable(self) -> Settings:
        if self.dkim_selector and not self.dkim_key_file:
            raise ValueError("SUPPORTFIRST_DKIM_SELECTOR is set: SUPPORTFIRST_DKIM_KEY_FILE too")
        if self.dkim_key_file and not self.dkim_selector:
            raise ValueError("SUPPORTFIRST_DKIM_KEY_FILE is set: SUPPORTFIRST_DKIM_SELECTOR too")
        if self.dkim_key_file:
            check_private_key(self.dkim_key_file)
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        given = {
            "SUPPORTFIRST_OIDC_ISSUER": self.oidc_issuer,
            "SUPPORTFIRST_OIDC_CLIENT_ID": self.oidc_client_id,
            "SUPPORTFIRST_OIDC_CLIENT_SECRET": self.oidc_client_secret,
        }
        missing = [name for name, value in given.items() if not value]
        if len(missing) < len(given) and missing:
            raise ValueError(f"{', '.join(missing)} missing: OpenID Connect needs all three")
        issuer = urlsplit(self.oidc_issuer or "https://x")
        if issuer.scheme == "http" and issuer.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("SUPPORTFIRST_OIDC_ISSUER: an identity provider is reached by https")
        return self

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'supportfirst.db').resolve()}"

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key or self.data_dir / "signing-key.pem"

    @property
    def audit_heads_path(self) -> Path:
        return self.audit_heads_file or self.data_dir / "audit-heads.log"

    @property
    def mail_domain(self) -> str:
        """The school's mail domain: the part of SUPPORTFIRST_FROM after the @."""
        return self.from_address.rpartition("@")[2] or "localhost"


def check_private_key(path: Path) -> None:
    """A readable PEM private key (RSA or Ed25519), or a ValueError saying why not."""
    try:
        pem = path.read_bytes()
    except OSError as e:
        raise ValueError(f"SUPPORTFIRST_DKIM_KEY_FILE {path}: {e.strerror}") from None
    if b"PRIVATE KEY-----" not in pem:
        raise ValueError(f"SUPPORTFIRST_DKIM_KEY_FILE {path}: not a PEM private key")


def one_line(error: ValidationError) -> str:
    """The first problem as `VARIABLE: what is wrong`."""
    first = error.errors()[0]
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    location = first.get("loc") or ()
    if not location:  # a check across settings names its variables itself
        return message
    return f"{variable(str(location[0]))}: {message}"


def load_settings(**values: Any) -> Settings:
    """Settings from the environment (and `values`), or SettingsError with one line."""
    try:
        return Settings(**values)
    except ValidationError as e:
        raise SettingsError(one_line(e)) from None
