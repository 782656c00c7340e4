"""Who sent a message, as proven (mail/authenticity.py): DKIM signed with a real key and
verified against the key a DNS stand-in serves, SPF and DMARC from its records, and only the
trusted server's own Authentication-Results believed."""

from __future__ import annotations

import time

import dkim
import pytest

from mail.authenticity import Authenticator, DnsServerError, Resolver, parse_dns_server
from tests.dnsserver import DnsStandIn, dkim_key, free_port

TRUSTED = "mx.school.test"
BODY = (
    b"From: Alex Parent <alex@parents.test>\r\n"
    b"To: attendance+abcdefghijklmnopqrstuvwx@school.test\r\n"
    b"Subject: Re: Sam's attendance\r\n"
    b"Message-ID: <reply-1@parents.test>\r\n"
    b"Date: Tue, 11 Mar 2025 08:00:00 +0000\r\n"
    b"\r\n"
    b"Thank you, we will come in on Monday.\r\n"
)


def delivered(message: bytes, ip: str = "127.0.0.1", mail_from: str = "alex@parents.test") -> bytes:
    """As the receiving server writes it above the message: Return-Path and its Received."""
    return (
        f"Return-Path: <{mail_from}>\r\n"
        f"Received: from mail.parents.test (mail.parents.test [{ip}])\r\n"
        f"\tby {TRUSTED} (Postfix) with ESMTP id 4QqZ7x1Y2z\r\n"
        "\tfor <attendance+abcdefghijklmnopqrstuvwx@school.test>;\r\n"
        "\tTue, 11 Mar 2025 08:00:01 +0000\r\n"
    ).encode() + message


@pytest.fixture(scope="module")
def key() -> tuple[bytes, str]:
    return dkim_key()


@pytest.fixture
def zone(key: tuple[bytes, str]) -> DnsStandIn:
    with DnsStandIn() as z:
        z.txt("sel1._domainkey.parents.test", key[1])
        z.txt("parents.test", "v=spf1 ip4:127.0.0.1 -all")
        z.txt("_dmarc.parents.test", "v=DMARC1; p=reject; rua=mailto:d@parents.test")
        yield z


def signed(key: tuple[bytes, str], message: bytes = BODY, domain: bytes = b"parents.test") -> bytes:
    return dkim.sign(message, b"sel1", domain, key[0], include_headers=[b"from", b"to", b"subject"])


def here(zone: DnsStandIn, trusted: tuple[str, ...] = ()) -> Authenticator:
    return Authenticator(trusted, Resolver(zone.address, timeout=2))


def test_a_dkim_signed_reply_from_an_allowed_server_passes_dkim_spf_and_dmarc(
    zone: DnsStandIn, key: tuple[bytes, str]
) -> None:
    p = here(zone)(delivered(signed(key) + BODY))
    assert p.checked_by == "supportfirst"
    assert p.dkim == (("parents.test", "pass"),)
    assert (p.spf, p.spf_domain) == ("pass", "parents.test")
    assert (p.dmarc, p.policy, p.from_domain) == ("pass", "reject", "parents.test")
    assert ("sel1._domainkey.parents.test", "TXT") in zone.zone.asked


def test_a_changed_body_fails_its_signature(zone: DnsStandIn, key: tuple[bytes, str]) -> None:
    raw = delivered(signed(key) + BODY.replace(b"Monday", b"Friday"), ip="192.0.2.9")
    p = here(zone)(raw)
    assert p.dkim == (("parents.test", "fail"),)
    assert p.spf == "fail" and p.dmarc == "fail"


def test_a_spoofed_from_sent_from_elsewhere_fails_dmarc(zone: DnsStandIn) -> None:
    p = here(zone)(delivered(BODY, ip="198.51.100.7", mail_from="x@elsewhere.test"))
    assert p.dkim == () and p.spf_domain == "elsewhere.test"
    assert (p.dmarc, p.policy) == ("fail", "reject")


def test_a_signature_by_another_domain_does_not_align(
    zone: DnsStandIn, key: tuple[bytes, str]
) -> None:
    zone.txt("sel1._domainkey.elsewhere.test", key[1])
    raw = delivered(signed(key, domain=b"elsewhere.test") + BODY, ip="198.51.100.7")
    p = here(zone)(raw)
    assert p.dkim == (("elsewhere.test", "pass"),)
    assert p.dmarc == "fail"


def test_a_subdomain_aligns_relaxed_but_not_strict(
    zone: DnsStandIn, key: tuple[bytes, str]
) -> None:
    zone.txt("sel1._domainkey.mail.parents.test", key[1])
    raw = delivered(signed(key, domain=b"mail.parents.test") + BODY, ip="198.51.100.7")
    assert here(zone)(raw).dmarc == "pass"
    zone.clear("_dmarc.parents.test")
    zone.txt("_dmarc.parents.test", "v=DMARC1; p=quarantine; adkim=s")
    p = here(zone)(raw)
    assert (p.dmarc, p.policy) == ("fail", "quarantine")


def test_a_subdomain_without_a_record_takes_its_organisations_sp(zone: DnsStandIn) -> None:
    zone.clear("_dmarc.parents.test")
    zone.txt("_dmarc.parents.test", "v=DMARC1; p=none; sp=reject")
    raw = delivered(BODY.replace(b"alex@parents.test", b"alex@home.parents.test"), ip="192.0.2.1")
    p = here(zone)(raw)
    assert (p.from_domain, p.dmarc, p.policy) == ("home.parents.test", "fail", "reject")


def test_no_signature_no_spf_and_no_policy_is_nothing(zone: DnsStandIn) -> None:
    raw = BODY.replace(b"parents.test>", b"nowhere.test>")
    p = here(zone)(raw)
    assert p.nothing and p.dmarc == "none" and p.from_domain == "nowhere.test"


def test_two_from_addresses_fail_dmarc(zone: DnsStandIn) -> None:
    raw = BODY.replace(b"From: Alex Parent <alex@parents.test>", b"From: a@parents.test, b@x.test")
    assert here(zone)(raw).dmarc == "fail"


def test_a_dns_server_that_does_not_answer_is_a_temporary_error() -> None:
    silent = f"127.0.0.1:{free_port()}"  # nothing answers there
    started = time.monotonic()
    p = Authenticator((), Resolver(silent, timeout=0.5))(delivered(BODY))
    assert p.dmarc == "temperror" and p.spf == "temperror"
    assert time.monotonic() - started < 10


def test_the_trusted_servers_results_are_believed_and_not_checked_again(zone: DnsStandIn) -> None:
    stamped = (
        f"Authentication-Results: {TRUSTED};\r\n"
        "\tdkim=pass header.d=parents.test header.s=sel1;\r\n"
        "\tspf=pass smtp.mailfrom=alex@parents.test;\r\n\tdmarc=pass header.from=parents.test\r\n"
    ).encode()
    p = here(zone, (TRUSTED,))(stamped + delivered(BODY, ip="198.51.100.7"))
    assert (p.checked_by, p.dmarc, p.spf) == (TRUSTED, "pass", "pass")
    assert p.dkim == (("parents.test", "pass"),)
    assert not zone.zone.asked  # nothing looked up: the server's word is taken


def test_results_from_an_untrusted_server_or_below_the_trusted_ones_are_ignored(
    zone: DnsStandIn,
) -> None:
    forged = b"Authentication-Results: mx.school.test; dmarc=pass header.from=parents.test\r\n"
    other = b"Authentication-Results: mx.elsewhere.test; dmarc=pass header.from=parents.test\r\n"
    real = f"Authentication-Results: {TRUSTED}; spf=fail smtp.mailfrom=parents.test\r\n".encode()
    spoof = delivered(forged + BODY, ip="198.51.100.7")
    p = here(zone, (TRUSTED,))(other + real + spoof)
    # the trusted server gave SPF and no DMARC: DMARC is worked out from its SPF and the policy
    assert (p.checked_by, p.spf, p.dmarc, p.policy) == (TRUSTED, "fail", "fail", "reject")
    # another server's results are never taken: without the trusted one's, checked here
    p = here(zone, (TRUSTED,))(other + delivered(BODY, ip="198.51.100.7"))
    assert p.checked_by == "supportfirst" and p.dmarc == "fail"


def test_several_trusted_ids_and_a_dmarc_fail_from_the_server(zone: DnsStandIn) -> None:
    stamped = (
        b"Authentication-Results: mx2.school.test;\r\n"
        b"\tdmarc=fail (p=REJECT) header.from=parents.test\r\n"
        b"Authentication-Results: mx2.school.test;\r\n"
        b"\tdkim=none; spf=softfail smtp.mailfrom=parents.test\r\n"
    )
    p = here(zone, (TRUSTED, "MX2.school.test"))(stamped + delivered(BODY))
    assert (p.checked_by, p.dmarc, p.spf, p.dkim) == ("mx2.school.test", "fail", "softfail", ())


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("ns.example", ("ns.example", 53)),
        ("[::1]:53", ("::1", 53)),
    ],
)
def test_dns_server_settings(value: str, parsed: tuple[str, int]) -> None:
    assert parse_dns_server(value) == parsed


@pytest.mark.parametrize("value", ["127.0.0.1:0", "host:port", ":53", "127.0.0.1:99999"])
def test_bad_dns_server_settings(value: str) -> None:
    with pytest.raises(DnsServerError):
        parse_dns_server(value)


def test_a_from_domain_that_is_no_dns_name_proves_nothing_and_raises_nothing(
    zone: DnsStandIn,
) -> None:
    raw = BODY.replace(b"alex@parents.test", "alex@m\ufffdchine.test".encode())
    p = here(zone)(raw)
    assert p.from_domain is not None and p.from_domain.endswith("chine.test")
    assert p.dmarc == "none" and p.dkim == ()


def test_the_ingesters_resolver_keeps_answers_across_batches_by_their_ttl(
    zone: DnsStandIn, key: tuple[bytes, str]
) -> None:
    message = delivered(signed(key))
    kept = Authenticator((), Resolver(zone.address, timeout=2, keep_by_ttl=True))
    first = kept.remembering()(message)  # one batch, then the next
    zone.zone.asked.clear()
    assert kept.remembering()(message) == first
    assert zone.zone.asked == []  # the stand-in's TTL is 60 s
    asked_each_time = Authenticator((), Resolver(zone.address, timeout=2))
    asked_each_time.remembering()(message)
    asked = len(zone.zone.asked)
    asked_each_time.remembering()(message)
    assert asked > 0 and len(zone.zone.asked) == 2 * asked
