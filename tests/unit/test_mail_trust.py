"""What a message may do, given what was proven about its sender (casework/mail_trust.py)."""

from __future__ import annotations

from casework.mail_trust import (
    QUARANTINE_MEANING,
    Proof,
    Quarantine,
    organisational_domain,
    refused,
    report_authenticated,
    sender_verified,
)

PARENT = "alex@parents.test"
OURS = "attendance+bounce-abcdefghijklmnop@school.test"


def proof(dmarc: str = "none", policy: str | None = None, **kw: object) -> Proof:
    return Proof("supportfirst", kw.pop("from_domain", "parents.test"), dmarc, policy, **kw)  # type: ignore[arg-type]


def test_every_quarantine_reason_has_words_for_staff() -> None:
    assert set(QUARANTINE_MEANING) == set(Quarantine)
    assert Quarantine.unauthenticated == "unauthenticated"


def test_a_reply_failing_dmarc_is_refused_whatever_the_policy() -> None:
    for policy in ("reject", "quarantine", "none"):
        why = refused(proof("fail", policy))
        assert why is not None and why.startswith("unauthenticated:") and policy in why
    assert refused(proof("pass", "reject")) is None
    assert refused(proof("none")) is None
    assert refused(proof("temperror")) is None  # DNS trouble: filed unverified, not refused


def test_a_sender_is_verified_by_dmarc_or_an_aligned_pass_where_no_policy_exists() -> None:
    assert sender_verified(proof("pass", "reject"))
    assert not sender_verified(proof("none"))  # nothing at all
    aligned = proof("none", dkim=(("mail.parents.test", "pass"),))
    assert sender_verified(aligned)  # relaxed alignment: one organisational domain
    assert not sender_verified(proof("none", dkim=(("other.test", "pass"),)))
    assert not sender_verified(proof("none", dkim=(("parents.test", "fail"),)))
    assert sender_verified(proof("none", spf="pass", spf_domain="parents.test"))
    assert not sender_verified(proof("fail", "none", dkim=(("parents.test", "pass"),)))
    assert not sender_verified(proof("temperror"))


def test_nothing_means_no_signature_no_spf_and_no_policy() -> None:
    assert proof().nothing
    assert not proof(spf="softfail", spf_domain="parents.test").nothing
    assert not proof(dkim=(("parents.test", "fail"),)).nothing
    assert not proof("fail", "reject").nothing


def test_a_report_counts_only_from_the_recipients_domain_or_ours() -> None:
    from_provider = proof("pass", "reject", dkim=(("parents.test", "pass"),))
    assert report_authenticated(from_provider, PARENT, OURS, set(), ())
    ours = proof("none", from_domain="relay.school.test", dkim=(("school.test", "pass"),))
    assert report_authenticated(ours, PARENT, OURS, set(), ())
    # a stranger's domain can pass DMARC for itself: that proves nothing about our email
    stranger = proof("pass", "reject", from_domain="evil.test", dkim=(("evil.test", "pass"),))
    assert not report_authenticated(stranger, PARENT, OURS, set(), ())
    assert not report_authenticated(proof(), PARENT, OURS, set(), ())
    spoofed = proof("fail", "reject", dkim=(("parents.test", "pass"),), from_domain="x.test")
    assert not report_authenticated(spoofed, PARENT, OURS, set(), ())


def test_a_report_naming_the_queue_id_our_relay_gave_counts_without_a_signature() -> None:
    assert report_authenticated(proof(), PARENT, OURS, {"4XyZ9QpR2"}, ("4XyZ9QpR2",))
    assert not report_authenticated(proof(), PARENT, OURS, {"4XyZ9QpR2"}, ("4XyZ9QpR3",))
    assert not report_authenticated(proof(), PARENT, OURS, set(), ("4XyZ9QpR2",))


def test_the_organisational_domain_follows_the_public_suffix_list() -> None:
    assert organisational_domain("mail.parents.test") == "parents.test"
    # *.sch.uk is a public suffix: a school's own domain sits one label under its area
    assert organisational_domain("mx.stmarys.lancs.sch.uk") == "stmarys.lancs.sch.uk"
    assert organisational_domain("MX.Example.CO.UK.") == "example.co.uk"
