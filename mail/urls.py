"""The mail servers' URLs in the settings (IMAP, SMTP), read one way: host, port, TLS, login."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class ServerUrl:
    host: str
    port: int
    tls: bool  # TLS from the first byte (imaps, smtps), not STARTTLS
    user: str | None
    password: str | None
    path: str


def server_url(
    url: str,
    setting: str,
    schemes: tuple[str, str],
    ports: tuple[int, int],
    expected: str,
    error: type[ValueError],
    need_user: bool = False,
) -> ServerUrl:
    """`schemes` and `ports` are (plain, TLS); a URL that does not fit raises `error` naming
    the setting and what was `expected`."""
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname or (need_user and not parts.username):
        raise error(f"{setting} {_without_password(url)!r}: expected {expected}")
    tls = parts.scheme == schemes[1]
    return ServerUrl(
        parts.hostname,
        parts.port or ports[tls],
        tls,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
        unquote(parts.path.lstrip("/")),
    )


def _without_password(url: str) -> str:
    """A URL as an error may show it: the password (and anything that might be one) hidden."""
    scheme, sep, rest = url.partition("://")
    login, at, host = rest.rpartition("@")
    if not at:
        return url
    return f"{scheme}{sep}{login.partition(':')[0]}:***@{host}"
