"""SUPPORTFIRST_DNS_SERVER read without loading the DNS and DKIM libraries (settings are read
by every command; mail.authenticity names these too)."""

from __future__ import annotations


class DnsServerError(ValueError):
    pass


def parse_dns_server(value: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`, or a host alone for port 53)."""
    text = value.strip()
    host, port = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise DnsServerError(f"{value!r} is not host:port")
    return host, int(port)
