"""The bytes of an outgoing letter, asserted as a mail client would read them."""

from __future__ import annotations

import base64
import email
import hashlib
from datetime import UTC, datetime
from email.policy import default

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mail.compose import Attachment, ComposeError, Outgoing, compose
from mail.dkim_signing import DkimSigner

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
LETTER = Outgoing(
    "Riverside Primary",
    "attendance@riverside.example",
    "Alex Taylor",
    "alex@parents.example",
    "Notice to Improve: Sam Taylor's attendance",
    "Dear Alex Taylor,\n\nThe improvement period runs to 2 May 2025.\n",
    "<p>Dear Alex Taylor,</p><p>The improvement period runs to 2 May 2025.</p>",
)


def test_a_letter_has_its_own_ids_a_reply_token_and_a_verp_sender() -> None:
    c = compose(LETTER, NOW, token="abc234")
    msg = email.message_from_bytes(c.raw, policy=default)
    assert msg["To"] == "Alex Taylor <alex@parents.example>"
    assert msg["Reply-To"] == "Riverside Primary <attendance+abc234@riverside.example>"
    assert c.envelope_from == "attendance+bounce-abc234@riverside.example"
    assert msg["Message-ID"] == c.message_id and c.message_id.endswith("@riverside.example>")
    assert compose(LETTER, NOW).token != compose(LETTER, NOW).token


def test_the_stored_hash_is_of_the_exact_crlf_bytes() -> None:
    c = compose(LETTER, NOW)
    assert c.sha256 == hashlib.sha256(c.raw).hexdigest()
    assert b"\r\n" in c.raw and b"\n" not in c.raw.replace(b"\r\n", b"")


def test_text_html_and_the_pdf_copy_come_back_intact() -> None:
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    c = compose(Outgoing(**{**LETTER.__dict__, "attachments": (Attachment("nti.pdf", pdf),)}), NOW)
    msg = email.message_from_bytes(c.raw, policy=default)
    assert "2 May 2025" in msg.get_body(("plain",)).get_content()
    assert "<p>Dear Alex Taylor,</p>" in msg.get_body(("html",)).get_content()
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "nti.pdf" and attachment.get_content() == pdf


@pytest.mark.parametrize("field", ["subject", "to_name", "to_address"])
def test_a_line_break_in_a_header_value_is_refused(field: str) -> None:
    bad = Outgoing(**{**LETTER.__dict__, field: "x@example.org\r\nBcc: someone@evil.example"})
    with pytest.raises(ComposeError, match="line break"):
        compose(bad, NOW)


def test_names_with_quotes_and_non_ascii_are_encoded_not_broken() -> None:
    c = compose(Outgoing(**{**LETTER.__dict__, "to_name": 'Zoë "Jo" O\'Brien, Mrs'}), NOW)
    msg = email.message_from_bytes(c.raw, policy=default)
    assert msg["To"].addresses[0].display_name == 'Zoë "Jo" O\'Brien, Mrs'
    assert msg["To"].addresses[0].addr_spec == "alex@parents.example"


def test_a_dkim_signed_message_verifies_and_its_evidence_hash_covers_the_signature() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    signed = DkimSigner("sf2025", "riverside.example", pem).sign(compose(LETTER, NOW))
    assert signed.raw.startswith(b"DKIM-Signature:") and b"\r\n" in signed.raw
    assert hashlib.sha256(signed.raw).hexdigest() == signed.sha256
    assert dkim.verify(signed.raw, dnsfunc=lambda name, timeout=5: record)
    assert not dkim.verify(
        signed.raw.replace(b"Dear", b"Dean"), dnsfunc=lambda n, timeout=5: record
    )


def test_a_reply_to_the_tokened_address_carries_the_token_back() -> None:
    from mail.reading import read_message

    c = compose(LETTER, NOW)
    reply = (
        f"From: alex@parents.example\r\nTo: {c.reply_to}\r\nSubject: Re: x\r\n"
        "Message-ID: <r@parents.example>\r\n\r\nYes.\r\n"
    ).encode()
    bounce = f"From: MAILER-DAEMON@x\r\nTo: {c.envelope_from}\r\nSubject: failure\r\n\r\n."
    assert read_message(reply).reply_tokens == (c.token,)
    assert read_message(bounce.encode()).bounce_tokens == (c.token,)
