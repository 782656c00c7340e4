"""Who sent a message, as proven: the results a trusted mail server wrote, or DKIM, SPF and
DMARC checked here (RFC 8601, 6376, 7208, 7489).

1. `Authentication-Results` headers are believed only from the authserv-ids the school names
   (SUPPORTFIRST_TRUSTED_AUTHSERV_ID: its own mail provider stamps them). Anyone can write such
   a header into the message they send, so only the topmost ones count: reading from the top,
   the first header with a trusted id and any further trusted ones before the next `Received`
   header (the hop before the trusted server); for each method the first result wins. Results
   from other servers, and headers below, are ignored.
2. Otherwise (no trusted id configured, or no trusted header in this message) the message is
   checked here: every DKIM signature against the key its domain publishes (dkimpy); SPF
   (pyspf) for the client address and HELO in the topmost `Received` header and the
   `Return-Path`, both written by the server that delivered into the mailbox we read; DMARC
   from the From domain's policy (or its organisational domain's, by the Public Suffix List)
   and the alignment of those results with the From domain.
3. When the trusted server gave DKIM and SPF but no DMARC result, DMARC is worked out here from
   its results and the published policy.

DNS goes through one dnspython resolver: the system's, or SUPPORTFIRST_DNS_SERVER (host:port),
which tests point at a stand-in serving keys and records.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

import authres
import dkim
import dns.exception
import dns.name
import dns.resolver
import spf

from casework.mail_trust import Proof, organisational_domain
from mail.dns_setting import DnsServerError as DnsServerError
from mail.dns_setting import parse_dns_server

_RECEIVED_CLIENT = re.compile(
    r"^\s*from\s+(?P<helo>\S+)\s+\([^)\[]*\[(?:IPv6:)?(?P<ip>[0-9A-Fa-f:.]+)\]", re.IGNORECASE
)
_SIG_DOMAIN = re.compile(r"(?:^|;)\s*d\s*=\s*([^;\s]+)", re.IGNORECASE)
log = logging.getLogger("supportfirst.mail")
_SPF_LOCK = threading.Lock()  # pyspf looks names up through one module-level function
_RESULTS = {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"}


class DnsTempError(Exception):
    """The resolver could not get an answer (timeout, no server): not the same as no record."""


class Resolver:
    """TXT, A, AAAA, MX and PTR look-ups for DKIM, SPF and DMARC, through one server."""

    def __init__(
        self, server: str | None = None, timeout: float = 5.0, keep_by_ttl: bool = False
    ) -> None:
        """`keep_by_ttl`: answers (NXDOMAIN too) kept for as long as their TTL says, for a
        resolver that lives as long as the ingester: each batch asks the same few domains."""
        self._dns = dns.resolver.Resolver(configure=server is None)
        if server is not None:
            host, port = parse_dns_server(server)
            self._dns.nameservers = [host]
            self._dns.port = port
        self._dns.lifetime = timeout
        self._dns.cache = dns.resolver.LRUCache() if keep_by_ttl else None
        self._remembered: dict[tuple[str, str], Any] | None = None

    def remembering(self) -> Resolver:
        """This resolver, remembering each answer for as long as it is kept: the ingester
        takes one per batch, so the batch's many messages from one domain ask for its SPF
        record and DMARC policy once, not each. A failure (timeout) is not remembered."""
        twin = copy.copy(self)
        twin._remembered = {}
        return twin

    def _answer(self, name: str, qtype: str) -> Any:
        if self._remembered is None:
            return self._look_up(name, qtype)
        key = (name, qtype)
        if key not in self._remembered:
            self._remembered[key] = self._look_up(name, qtype)
        return self._remembered[key]

    def _look_up(self, name: str, qtype: str) -> Any:
        try:
            return self._dns.resolve(name, qtype, raise_on_no_answer=False)
        except (dns.exception.Timeout, dns.resolver.NoNameservers) as e:
            raise DnsTempError(f"DNS {qtype} {name}: {e}") from e
        except (dns.exception.DNSException, ValueError):  # NXDOMAIN, no answer, or a name
            return []  # that cannot be a DNS name at all (a hostile From): no record

    def txt(self, name: str) -> list[str]:
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self._answer(name, "TXT")]

    def dkim_key(self, name: bytes, timeout: int = 5) -> bytes | None:
        """dkimpy's `dnsfunc`: the TXT record holding a DKIM key, None when there is none."""
        try:
            records = self.txt(name.decode("ascii", "replace").rstrip("."))
        except DnsTempError:
            return None
        return records[0].encode() if records else None

    def spf_lookup(
        self, name: str, qtype: str, strict: bool = True, timeout: float = 20
    ) -> list[tuple[tuple[str, str], Any]]:
        """pyspf's `DNSLookup`, through this resolver (its own goes to the system's)."""
        try:
            answers = self._answer(name, qtype)
        except DnsTempError as e:
            raise spf.TempError(str(e)) from e
        found: list[tuple[tuple[str, str], Any]] = []
        for r in answers:
            if qtype in ("A", "AAAA"):
                found.append(((name, qtype), r.address))
            elif qtype == "MX":
                found.append(((name, qtype), (r.preference, r.exchange)))
            elif qtype == "PTR":
                found.append(((name, qtype), r.target.to_text(True)))
            elif qtype in ("TXT", "SPF"):
                found.append(((name, qtype), r.strings))
        return found


@dataclass(frozen=True)
class Policy:
    p: str
    sp: str
    adkim: str
    aspf: str


def dmarc_policy(resolver: Resolver, from_domain: str) -> Policy | None:
    """The DMARC record for the From domain, else its organisational domain's (RFC 7489 6.6.3);
    None when neither publishes one."""
    org = organisational_domain(from_domain)
    for domain in dict.fromkeys([from_domain, org]):
        for record in resolver.txt(f"_dmarc.{domain}"):
            tags = _tags(record)
            if tags.get("v") != "DMARC1" or "p" not in tags:
                continue
            p = tags["p"].lower()
            sp = tags.get("sp", p).lower()
            return Policy(
                sp if domain != from_domain else p,
                sp,
                tags.get("adkim", "r").lower(),
                tags.get("aspf", "r").lower(),
            )
    return None


def _tags(record: str) -> dict[str, str]:
    tags = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags[name.strip().lower() if name.strip() != "v" else "v"] = value.strip()
    return tags


def _aligned(domain: str, from_domain: str, mode: str) -> bool:
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if mode == "s":
        return domain == from_domain
    return organisational_domain(domain) == organisational_domain(from_domain)


def dmarc_result(
    resolver: Resolver,
    from_domain: str,
    dkim_results: Sequence[tuple[str, str]],
    spf_result: str,
    spf_domain: str | None,
) -> tuple[str, str | None]:
    """(result, published policy) for the From domain, given DKIM and SPF results."""
    try:
        policy = dmarc_policy(resolver, from_domain)
    except DnsTempError:
        return "temperror", None
    if policy is None:
        return "none", None
    by_dkim = any(r == "pass" and _aligned(d, from_domain, policy.adkim) for d, r in dkim_results)
    by_spf = (
        spf_result == "pass"
        and spf_domain is not None
        and _aligned(spf_domain, from_domain, policy.aspf)
    )
    return ("pass" if by_dkim or by_spf else "fail"), policy.p


def from_domain(headers: Message) -> str | None:
    """The domain of the one From address (DMARC needs exactly one), else None."""
    values = headers.get_all("From") or []
    addresses = [a for _, a in getaddresses([str(v) for v in values]) if "@" in a]
    if len(addresses) != 1:
        return None
    return addresses[0].rpartition("@")[2].strip().rstrip(">").lower() or None


class Authenticator:
    """Reads the proof of who sent a message: `authenticate(raw) -> Proof`."""

    def __init__(self, trusted_ids: Sequence[str], resolver: Resolver) -> None:
        self.trusted = {t.strip().lower() for t in trusted_ids if t.strip()}
        self.resolver = resolver

    def remembering(self) -> Authenticator:
        """The same checks, with DNS answers remembered while this one is kept (one batch)."""
        return Authenticator(tuple(self.trusted), self.resolver.remembering())

    def __call__(self, raw: bytes) -> Proof:
        try:
            headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        except Exception:  # a header block too broken to parse proves nothing
            return Proof("supportfirst", None, "none", None)
        domain = from_domain(headers)
        try:
            trusted = self._trusted_results(headers)
            if trusted is not None:
                return self._from_trusted(*trusted, domain)
            return self._verify_here(raw, headers, domain)
        except Exception as e:  # hostile mail must never stop the ingester: it proves nothing
            log.warning("checking who sent a message failed (%s): not verified", e)
            return Proof("supportfirst", domain, "permerror", None)

    # -- results a trusted server wrote ------------------------------------------------------
    def _trusted_results(self, headers: Message) -> tuple[str, dict[str, Any]] | None:
        if not self.trusted:
            return None
        found: dict[str, Any] = {}
        authserv: str | None = None
        for name, value in headers.items():
            lowered = name.lower()
            if lowered == "received" and authserv is not None:
                break  # the hop before the trusted server: anything below is not its
            if lowered != "authentication-results":
                continue
            try:
                parsed = authres.AuthenticationResultsHeader.parse_value(str(value))
            except Exception:
                continue  # unreadable: not a result we can rely on
            if str(parsed.authserv_id).lower() not in self.trusted:
                continue
            authserv = authserv or str(parsed.authserv_id)
            for result in parsed.results:
                method = str(result.method).lower()
                if method == "dkim":
                    found.setdefault("dkim", []).append(result)
                elif method not in found:
                    found[method] = result
        return (authserv, found) if authserv is not None else None

    def _from_trusted(self, authserv: str, found: dict[str, Any], domain: str | None) -> Proof:
        dkim_results = tuple(
            (_signer(r), _result(r.result))
            for r in found.get("dkim", [])
            if _result(r.result) != "none"
        )
        spf_result, spf_domain = "none", None
        if (s := found.get("spf")) is not None:
            spf_result = _result(s.result)
            who = _prop(s, "smtp", "mailfrom") or _prop(s, "smtp", "helo") or ""
            spf_domain = who.rpartition("@")[2].lower() or None
        if (d := found.get("dmarc")) is not None:
            domain = (_prop(d, "header", "from") or domain or "").lower() or None
            policy = _prop(d, "policy", "published-domain-policy")
            dmarc = _result(d.result)
            dmarc = dmarc if dmarc in ("pass", "fail", "temperror", "permerror") else "none"
        elif domain is not None:  # the server gave no DMARC verdict: work it out from its results
            dmarc, policy = dmarc_result(
                self.resolver, domain, dkim_results, spf_result, spf_domain
            )
        else:
            dmarc, policy = "none", None
        return Proof(authserv, domain, dmarc, policy, dkim_results, spf_result, spf_domain)

    # -- checked here ------------------------------------------------------------------------
    def _verify_here(self, raw: bytes, headers: Message, domain: str | None) -> Proof:
        dkim_results = self._dkim(raw, headers)
        spf_result, spf_domain = self._spf(headers)
        if domain is None:
            dmarc, policy = ("fail" if headers.get_all("From") else "none"), None
        else:
            dmarc, policy = dmarc_result(
                self.resolver, domain, dkim_results, spf_result, spf_domain
            )
        return Proof("supportfirst", domain, dmarc, policy, dkim_results, spf_result, spf_domain)

    def _dkim(self, raw: bytes, headers: Message) -> tuple[tuple[str, str], ...]:
        results = []
        signatures = [str(v) for v in headers.get_all("DKIM-Signature") or []]
        for idx, sig in enumerate(signatures):
            m = _SIG_DOMAIN.search(sig.replace("\r", "").replace("\n", ""))
            domain = m.group(1).lower() if m else ""
            try:
                ok = dkim.DKIM(raw).verify(idx=idx, dnsfunc=self.resolver.dkim_key)
            except dkim.DKIMException:
                ok = False
            except Exception:  # a signature too broken for dkimpy fails, it never passes
                ok = False
            results.append((domain, "pass" if ok else "fail"))
        return tuple(results)

    def _spf(self, headers: Message) -> tuple[str, str | None]:
        received = headers.get("Received")
        m = _RECEIVED_CLIENT.match(str(received).replace("\n", " ")) if received else None
        if m is None:
            return "none", None
        _, mail_from = (getaddresses([str(headers.get("Return-Path", ""))]) or [("", "")])[0]
        helo, ip = m.group("helo").strip("[]"), m.group("ip")
        sender = mail_from if "@" in mail_from else f"postmaster@{helo}"
        with _SPF_LOCK:
            lookup, spf.DNSLookup = spf.DNSLookup, self.resolver.spf_lookup
            try:
                result, _ = spf.check2(i=ip, s=sender, h=helo, querytime=10)
            except Exception:  # an address or name pyspf cannot use proves nothing
                result = "permerror"
            finally:
                spf.DNSLookup = lookup
        result = _result(result)
        return result, sender.rpartition("@")[2].lower()


def _signer(result: Any) -> str:
    """The signing domain of a DKIM result: header.d, else the domain of header.i."""
    who = _prop(result, "header", "d") or _prop(result, "header", "i") or ""
    return who.rpartition("@")[2].lower()


def _prop(result: Any, ptype: str, name: str) -> str | None:
    for p in getattr(result, "properties", []) or []:
        if str(p.type).lower() == ptype and str(p.name).lower() == name:
            return str(p.value)
    return None


def _result(value: Any) -> str:
    text = str(value or "none").lower()
    text = {"hardfail": "fail", "error": "temperror", "unknown": "permerror"}.get(text, text)
    return text if text in _RESULTS else "none"
