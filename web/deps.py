"""What the case pages need, given by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from casework.ports import Evidence, UnitOfWork
from web.oidc import OidcClient


@dataclass(frozen=True)
class WebDeps:
    new_uow: Callable[[], UnitOfWork]
    evidence: Callable[[], Evidence]
    now: Callable[[], datetime]
    public_url: str
    oidc: OidcClient | None = None  # signing in by the school's accounts, when configured

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https:")
