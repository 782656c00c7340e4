"""Signing in to the case pages: one-time links and the sessions they open (records and port).

Only hashes of the secrets are stored: a copy of the database lets no one sign in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, kw_only=True)
class SignInLink:
    token_sha256: str
    staff_id: str
    expires_at: datetime
    created_by: str


@dataclass(frozen=True, kw_only=True)
class WebSession:
    token_sha256: str
    staff_id: str
    csrf_token: str  # every form carries it; a POST without it is refused
    created_at: datetime
    last_seen_at: datetime
    how: str  # "link" (a one-time link) or "oidc:ISSUER"


class WebSessions(Protocol):
    async def add_link(self, link: SignInLink) -> None: ...
    async def take_link(self, token_sha256: str, now: datetime) -> SignInLink | None:
        """The link, now used up, when it exists, is unused and has not expired; else None."""
        ...

    async def open(self, session: WebSession) -> None: ...
    async def find(self, token_sha256: str) -> WebSession | None: ...
    async def touch(self, token_sha256: str, now: datetime) -> None: ...
    async def close(self, token_sha256: str) -> None: ...
