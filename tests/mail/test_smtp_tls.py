"""The sender speaks to relays as schools have them: STARTTLS with AUTH, or implicit TLS."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import warnings
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from casework.records import Claimed, SendOutcome
from mail.sender import SmtpServer, SmtpTransport

pytestmark = [
    # aiosmtpd's own AUTH code still touches its deprecated Session.login_data.
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated"),
]
RAW = b"From: a@school.test\r\nTo: p@example.org\r\nSubject: hi\r\n\r\nHello\r\n"
CLAIM = Claimed(
    id=1,
    message_id="<m@school.test>",
    upn="A1",
    parent_id="P1",
    template="initial_concern",
    notice_id=None,
    formal=False,
    recipient="p@example.org",
    envelope_from="a+bounce-x@school.test",
    sha256="0" * 64,
    attempts=0,
    consent_in_force=True,
)


@dataclass
class Relay:
    port: int
    cert: Path
    received: list[tuple[bytes, Any, bool]] = field(default_factory=list)


class Journal:
    def __init__(self) -> None:
        self.lines: list[object] = []

    def open_batch(self, mail_ids: Sequence[int]) -> None:
        self.lines.append(("batch", list(mail_ids)))

    def began(self, mail_id: int) -> None:
        self.lines.append(("began", mail_id))

    def sync(self) -> None:
        self.lines.append("sync")

    def finished(self, outcome: SendOutcome) -> None:
        self.lines.append(outcome)


def certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class Handler:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        tls = server.transport is not None and bool(server.transport.get_extra_info("ssl_object"))
        self.relay.received.append((envelope.original_content or b"", session.auth_data, tls))
        return "250 2.0.0 Ok: queued as RELAY1"


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"ms", b"pw")
    return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)


async def start(tmp_path: Path, implicit: bool) -> tuple[Relay, asyncio.Server]:
    cert, key = certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    relay = Relay(0, cert)
    handler = Handler(relay)
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        with warnings.catch_warnings():
            # aiosmtpd warns when AUTH is allowed without STARTTLS: with implicit TLS the
            # whole connection is already encrypted, which it cannot see.
            warnings.simplefilter("ignore", UserWarning)
            return make()

    def make() -> SMTP:
        return SMTP(
            handler,
            tls_context=None if implicit else context,
            require_starttls=not implicit,
            auth_required=True,
            auth_require_tls=not implicit,
            authenticator=authenticate,
            decode_data=False,
        )

    server = await loop.create_server(protocol, "127.0.0.1", 0, ssl=context if implicit else None)
    relay.port = server.sockets[0].getsockname()[1]
    return relay, server


@pytest.fixture(params=["starttls", "implicit"])
async def relay(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Relay]:
    found, server = await start(tmp_path, request.param == "implicit")
    found.implicit = request.param == "implicit"  # type: ignore[attr-defined]
    yield found
    server.close()


def url(relay: Relay, password: str = "pw") -> str:
    scheme = "smtps" if relay.implicit else "smtp"
    return f"{scheme}://ms:{password}@127.0.0.1:{relay.port}"


async def test_the_sender_logs_in_over_tls_and_the_relay_gets_the_exact_bytes(
    relay: Relay,
) -> None:
    transport = SmtpTransport(SmtpServer.from_url(url(relay), str(relay.cert)))
    [outcome] = await transport.send([(CLAIM, RAW)], Journal())
    await transport.close()
    assert (outcome.outcome, outcome.queue_id) == ("sent", "RELAY1")
    assert relay.received == [(RAW, b"ms", True)]


async def test_a_refused_login_keeps_the_letter_queued_not_failed(relay: Relay) -> None:
    transport = SmtpTransport(SmtpServer.from_url(url(relay, "wrong"), str(relay.cert)))
    [outcome] = await transport.send([(CLAIM, RAW)], Journal())
    await transport.close()
    assert outcome.outcome == "temporary" and outcome.code == 535
    assert relay.received == []


async def test_an_untrusted_certificate_is_not_sent_to(relay: Relay) -> None:
    transport = SmtpTransport(SmtpServer.from_url(url(relay)))  # no CA: the system's store
    [outcome] = await transport.send([(CLAIM, RAW)], Journal())
    assert outcome.outcome == "temporary" and "CERTIFICATE" in str(outcome.text).upper()
    assert relay.received == []
