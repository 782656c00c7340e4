"""The signing ports: the service's key, a public key to check against, and the file of signed
audit heads kept outside the database (casework.ports names them too)."""

from __future__ import annotations

from typing import Protocol


class Signer(Protocol):
    """Signs with the service's private key (Ed25519), kept outside the database."""

    @property
    def public_key(self) -> str: ...
    def sign(self, message: bytes) -> str: ...


class Verifier(Protocol):
    """Checks signatures against one public key (the service's, or the one the LA recorded)."""

    @property
    def public_key(self) -> str: ...
    def verify(self, message: bytes, signature: str) -> bool: ...


class HeadLog(Protocol):
    """The append-only file of signed audit heads, outside the database."""

    def append(self, line: str) -> None: ...
    def lines(self) -> list[str]: ...
