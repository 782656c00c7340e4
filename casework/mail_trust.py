"""Whether a message that came in may be believed: who sent it, as proven (RFC 8601, 6376,
7208, 7489), and what that allows.

mail/authenticity.py reads the proof (a trusted server's Authentication-Results, or DKIM, SPF
and DMARC checked here); this module decides, without I/O:

- a reply, automatic reply or read receipt whose From fails DMARC (or fails alignment where
  the domain publishes a policy) is quarantined as `unauthenticated`: never the parent's;
- one that proves nothing either way (no signature, no SPF, no DMARC policy) is filed with
  `sender_verified: false`, and says so wherever it is shown;
- a bounce or delivery report changes an email's state (a notice's service) only when it is
  authenticated as coming from the recipient's mail domain or ours, or names the queue id our
  own relay gave us for that email; otherwise staff are asked to check (`bounce_unverified`);
- floods stop: past SENDER_LIMIT messages an hour from one sender, or CASE_LIMIT on one case,
  the rest whose sender is not proven are quarantined as `rate_limited` (a proven parent's own
  messages are all kept as evidence), and a case raises one alert of a kind an hour (the rest
  are counted, and the next alert says how many).

The quarantine reasons live here, in one place, for the ingester, the CLI and the inbox page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from publicsuffixlist import PublicSuffixList

SENDER_LIMIT = 20  # messages filed to cases per sender address per hour
CASE_LIMIT = 30  # messages filed to one case per hour
RATE_WINDOW = timedelta(hours=1)
ALERT_QUIET = timedelta(hours=1)  # one alert of a kind per case per hour

_PSL = PublicSuffixList()


class Quarantine(StrEnum):
    """Why a message is held on no case (the `quarantine` of `mail inbox --json`)."""

    malformed = "malformed"
    unmatched = "unmatched"
    not_parent = "not_parent"
    unauthenticated = "unauthenticated"
    rate_limited = "rate_limited"


# What each reason means, in the words staff read on the inbox page and in the CLI.
QUARANTINE_MEANING = {
    Quarantine.malformed: "the message cannot be read reliably",
    Quarantine.unmatched: "it answers no email we sent",
    Quarantine.not_parent: "it comes from an address that is not the parent's on file",
    Quarantine.unauthenticated: (
        "its sender's domain says it did not send it (DMARC failed): it may be forged"
    ),
    Quarantine.rate_limited: "too many messages in an hour from this sender or for this case",
}


@dataclass(frozen=True)
class Proof:
    """What was proven about who sent one message."""

    checked_by: str  # the trusted authserv-id whose results these are, "supportfirst", or ""
    from_domain: str | None
    dmarc: str  # pass, fail, none (no policy, or no result), temperror, permerror
    policy: str | None  # the From domain's published p= (none/quarantine/reject), if known
    dkim: tuple[tuple[str, str], ...] = ()  # (signing domain d=, result) per signature
    spf: str = "none"  # pass, fail, softfail, neutral, none, temperror, permerror
    spf_domain: str | None = None  # the MAIL FROM (or HELO) domain SPF checked

    @property
    def nothing(self) -> bool:
        """No result at all: unsigned, no SPF answer, and no DMARC policy to judge by."""
        return not self.dkim and self.spf == "none" and self.dmarc == "none"

    def aligned_domains(self) -> set[str]:
        """The organisational domains proven by a passing DKIM signature or SPF check that
        align (relaxed, RFC 7489 3.1) with the From domain."""
        if self.from_domain is None:
            return set()
        org = organisational_domain(self.from_domain)
        passed = [d for d, result in self.dkim if result == "pass"]
        if self.spf == "pass" and self.spf_domain:
            passed.append(self.spf_domain)
        return {org} if any(organisational_domain(d) == org for d in passed) else set()

    def summary(self) -> str:
        dkim = ", ".join(f"{r} ({d})" for d, r in self.dkim) or "none"
        spf = f"{self.spf} ({self.spf_domain})" if self.spf_domain else self.spf
        policy = f", policy {self.policy}" if self.policy else ""
        return (
            f"dkim={dkim}; spf={spf}; dmarc={self.dmarc}{policy} "
            f"for {self.from_domain or '(no From domain)'}; checked by {self.checked_by}"
        )


UNCHECKED = Proof("", None, "none", None)  # read without an authenticator: nothing said


def organisational_domain(domain: str) -> str:
    """The registrable domain (RFC 7489 3.2, with the Public Suffix List): mail.parents.test
    and parents.test are one organisation."""
    name = domain.strip().strip(".").lower()
    return _PSL.privatesuffix(name) or name


def refused(proof: Proof) -> str | None:
    """Why a message claiming to be from its From address must not be believed, or None."""
    if proof.dmarc == "fail":
        policy = f" (its policy: {proof.policy})" if proof.policy else ""
        return (
            f"{Quarantine.unauthenticated}: {proof.from_domain} says it did not send this "
            f"message, DMARC failed{policy}; {proof.summary()}"
        )
    return None


def sender_verified(proof: Proof) -> bool:
    """True only when the From domain is proven: DMARC passed, or, with no policy to judge
    by, an aligned DKIM signature or SPF check passed."""
    return proof.dmarc == "pass" or (proof.dmarc == "none" and bool(proof.aligned_domains()))


def report_authenticated(
    proof: Proof,
    recipient: str,
    our_address: str,
    recorded_queue_ids: set[str],
    named_queue_ids: tuple[str, ...],
) -> bool:
    """Whether a bounce or delivery report for an email to `recipient` may change its state:
    proven (aligned) to come from the recipient's mail domain or from ours (our relay's own
    report), or naming a queue id our relay gave us when it accepted that email."""
    if recorded_queue_ids & set(named_queue_ids):
        return True
    if proof.dmarc == "fail":
        return False
    proven = proof.aligned_domains()
    return any(
        organisational_domain(a.rpartition("@")[2]) in proven for a in (recipient, our_address)
    )
