"""A DNS stand-in on loopback (dnslib): the TXT records DKIM, SPF and DMARC look up, and A
records, served over UDP and TCP on a free port. Names it does not hold are NXDOMAIN, at once.

    zone = DnsStandIn()
    zone.txt("sel._domainkey.parents.test", dkim_public_record(key))
    zone.txt("parents.test", "v=spf1 ip4:127.0.0.1 -all")
    zone.txt("_dmarc.parents.test", "v=DMARC1; p=reject")
    with zone:  # SUPPORTFIRST_DNS_SERVER=zone.address
        ...

`dns_zone` is a fresh stand-in per test; the session's default one (empty) is what every test
resolves through unless it says otherwise, so no test asks the machine's own resolver.
"""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnslib import AAAA, QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

HOST = "127.0.0.1"


def free_port() -> int:
    """A port free for both UDP and TCP on loopback."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((HOST, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((HOST, port))
                except OSError:
                    continue
                return port


def _chunks(text: str) -> list[bytes]:
    """A TXT record's character-strings are at most 255 bytes each (DKIM keys are longer)."""
    data = text.encode()
    return [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]


class _Zone(BaseResolver):  # type: ignore[misc]
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[Any]] = {}
        self.asked: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        with self.lock:
            self.asked.append((name, qtype))
            answers = list(self.records.get((name, qtype), []))
            known = any(n == name for n, _ in self.records)
        for rdata in answers:
            reply.add_answer(RR(request.q.qname, getattr(QTYPE, qtype), rdata=rdata, ttl=60))
        if not answers and not known:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class DnsStandIn:
    def __init__(self) -> None:
        self.zone = _Zone()
        self.port = free_port()
        quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data")
        self._servers = [
            DNSServer(self.zone, address=HOST, port=self.port, tcp=tcp, logger=quiet)
            for tcp in (False, True)
        ]

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def txt(self, name: str, value: str) -> None:
        self._add(name, "TXT", TXT(_chunks(value)))

    def a(self, name: str, address: str) -> None:
        self._add(name, "AAAA" if ":" in address else "A", (AAAA if ":" in address else A)(address))

    def clear(self, name: str) -> None:
        with self.zone.lock:
            for key in [k for k in self.zone.records if k[0] == name.lower()]:
                del self.zone.records[key]

    def _add(self, name: str, qtype: str, rdata: Any) -> None:
        with self.zone.lock:
            self.zone.records.setdefault((name.rstrip(".").lower(), qtype), []).append(rdata)

    def start(self) -> DnsStandIn:
        for server in self._servers:
            server.start_thread()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
            server.server.server_close()

    def __enter__(self) -> DnsStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def dkim_key() -> tuple[bytes, str]:
    """A fresh 2048-bit RSA key: (PEM private key for dkimpy, the DNS TXT record `p=`)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"


@pytest.fixture(scope="session", autouse=True)
def default_dns(monkeypatch_session: pytest.MonkeyPatch) -> Iterator[DnsStandIn]:
    """Every test resolves through an empty stand-in unless it sets its own: no test depends
    on (or waits for) the machine's resolver."""
    with DnsStandIn() as server:
        monkeypatch_session.setenv("SUPPORTFIRST_DNS_SERVER", server.address)
        yield server


@pytest.fixture(scope="session")
def monkeypatch_session() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture
def dns_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[DnsStandIn]:
    """A stand-in of this test's own, named by SUPPORTFIRST_DNS_SERVER while the test runs."""
    with DnsStandIn() as server:
        monkeypatch.setenv("SUPPORTFIRST_DNS_SERVER", server.address)
        yield server
