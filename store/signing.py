"""The service's signing key (Ed25519, `cryptography`) and the head file, both kept outside the
database: whoever has only a copy of the database can neither re-sign the audit chain nor hide
entries cut from its end.

The private key is a PEM file (PKCS#8), created 0600 and never overwritten. The public key is
shown as one line, the base64 of its 32 raw bytes, which is what the local authority records.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "signing-key.pem"
HEADS_FILE = "audit-heads.log"


class SigningKeyError(ValueError):
    """A key that cannot be created, read or parsed; the message is one line."""


def _raw(public: Ed25519PublicKey) -> str:
    data = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class PublicKey:
    key: Ed25519PublicKey

    @property
    def public_key(self) -> str:
        return _raw(self.key)

    def verify(self, message: bytes, signature: str) -> bool:
        try:
            self.key.verify(base64.b64decode(signature, validate=True), message)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """A key as `key show` prints it (base64), a PEM public key, or a file holding either."""
        candidate = Path(text)
        if len(text) < 4096 and candidate.is_file():
            text = candidate.read_text(encoding="utf-8", errors="replace")
        text = text.strip()
        try:
            if text.startswith("-----BEGIN PUBLIC KEY-----"):
                key = serialization.load_pem_public_key(text.encode())
                if isinstance(key, Ed25519PublicKey):
                    return cls(key)
                raise ValueError("not an Ed25519 key")
            raw = base64.b64decode(text, validate=True)
            return cls(Ed25519PublicKey.from_public_bytes(raw))
        except (ValueError, binascii.Error):
            raise SigningKeyError(
                "--key: not an Ed25519 public key (give the line `supportfirst key show` "
                "printed, a PEM public key, or a file holding one)"
            ) from None


@dataclass(frozen=True)
class SigningKey:
    key: Ed25519PrivateKey
    path: Path

    @property
    def public_key(self) -> str:
        return _raw(self.key.public_key())

    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key())

    def pem_public(self) -> str:
        return (
            self.key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.key.sign(message)).decode()

    def verify(self, message: bytes, signature: str) -> bool:
        return self.public().verify(message, signature)


def create_key(path: Path) -> SigningKey:
    """A new private key at `path`, 0600 from the first byte; refused if a file is there."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise SigningKeyError(
            f"{path}: a signing key is already there (it is never overwritten)"
        ) from None
    except OSError as e:
        raise SigningKeyError(f"{path}: cannot create the signing key ({e.strerror})") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    return SigningKey(key, path)


def load_key(path: Path) -> SigningKey:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            pem = f.read(64 * 1024)
    except FileNotFoundError:
        raise SigningKeyError(
            f"{path}: no signing key there (create one with `supportfirst key init`)"
        ) from None
    except OSError as e:
        raise SigningKeyError(f"{path}: cannot read the signing key ({e.strerror})") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise SigningKeyError(f"{path}: not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: not an Ed25519 private key")
    return SigningKey(key, path)


class HeadFile:
    """Append-only: each line is written whole with O_APPEND and fsynced; never rewritten."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, line: str) -> None:
        if "\n" in line:
            raise ValueError("a head line is one line")
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def lines(self) -> list[str]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return []
        with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
