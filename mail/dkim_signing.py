"""Optional DKIM signing (dkimpy) of each outgoing message, before its bytes become evidence:
what is stored and hashed is exactly what is sent, signature included."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from mail.compose import Composed

SIGNED_HEADERS = (
    b"from",
    b"to",
    b"reply-to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
)


class DkimKeyError(ValueError):
    pass


@dataclass(frozen=True)
class DkimSigner:
    selector: str
    domain: str
    private_key: bytes

    @classmethod
    def from_file(cls, selector: str, domain: str, key_file: Path) -> DkimSigner:
        try:
            key = key_file.read_bytes()
        except OSError as e:
            raise DkimKeyError(f"SUPPORTFIRST_DKIM_KEY_FILE {key_file}: {e.strerror}") from None
        return cls(selector, domain, key)

    def sign(self, message: Composed) -> Composed:
        import dkim  # only when mail is composed: not for every command that opens the app

        signature = dkim.sign(
            message.raw,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key,
            include_headers=list(SIGNED_HEADERS),
            canonicalize=(b"relaxed", b"simple"),
        )
        raw = signature.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + message.raw
        return replace(message, raw=raw, sha256=hashlib.sha256(raw).hexdigest())
