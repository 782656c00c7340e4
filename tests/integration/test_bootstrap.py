"""The composition root: settings checked when read, the DKIM signer applied to every email,
and `serve`'s loops supervised so that a dead loop stops the service."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from casework.consent import record_consent
from casework.sending import send_letter
from supportfirst.bootstrap import App, LoopDied, bootstrap
from supportfirst.serve import serve_forever
from supportfirst.settings import Settings, SettingsError, load_settings
from tests import builders as b
from tests.cases import HEAD, one_family
from tests.integration.test_serve import free_port

FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def dkim_key(folder: Path) -> tuple[Path, bytes]:
    """A fresh RSA key on disk, and the TXT record that would publish its public half."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


async def test_a_letter_sent_with_dkim_configured_is_signed_in_its_stored_evidence(
    db_url: str, tmp_path: Path
) -> None:
    key_file, record = dkim_key(tmp_path)
    settings = Settings(
        data_dir=tmp_path / "data",
        SUPPORTFIRST_FROM="attendance@riverside.example",
        dkim_selector="sf2025",
        dkim_key_file=key_file,
    )
    app = bootstrap(settings, db_url, migrate=False)
    try:
        raw = await one_signed_letter(app)
    finally:
        await app.close()
    assert (
        raw.startswith(b"DKIM-Signature:") and b"d=riverside.example" in raw.split(b"\r\n\r\n")[0]
    )
    looked_up: list[bytes] = []

    def dns(name: bytes, timeout: int = 5) -> bytes:
        looked_up.append(name)
        return record

    assert dkim.verify(raw, dnsfunc=dns)
    assert looked_up == [b"sf2025._domainkey.riverside.example."]
    assert not dkim.verify(raw.replace(b"Dear ", b"Dear  ", 1), dnsfunc=dns)


async def one_signed_letter(app: App) -> bytes:
    await one_family(app, NOW)
    await record_consent(
        app.uow(),
        app.evidence(),
        "P1",
        "alex@example.org",
        "form",
        date(2025, 3, 10),
        "o",
        NOW,
        FORM,
    )
    sent = await send_letter(
        app.uow(), app.mailroom(), "initial_concern", b.UPN_1, HEAD, date(2025, 3, 10), NOW
    )
    emailed = [p for p in sent.parents if p.route == "email"]
    assert len(emailed) == 1
    async with app.uow() as uow:
        email = await uow.mail.email(emailed[0].message_id or "")
    assert email is not None
    return app.evidence().get(email.sha256)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SUPPORTFIRST_REVIEW_TIME", "6pm", "SUPPORTFIRST_REVIEW_TIME: '6pm' is not a time"),
        (
            "SUPPORTFIRST_SMTP_URL",
            "smtp://relay:s3cret@",
            "SUPPORTFIRST_SMTP_URL: 'smtp://relay:***@'",
        ),
        (
            "SUPPORTFIRST_IMAP_URL",
            "http://mail.example",
            "SUPPORTFIRST_IMAP_URL: 'http://mail.example'",
        ),
        ("SUPPORTFIRST_CASE_URL", "https://cases.example/", "must contain {upn}"),
        ("SUPPORTFIRST_DKIM_SELECTOR", "sf2025", "SUPPORTFIRST_DKIM_KEY_FILE too"),
        ("SUPPORTFIRST_SMTP_CONNECTIONS", "0", "SUPPORTFIRST_SMTP_CONNECTIONS:"),
        ("SUPPORTFIRST_BACKGROUND_NICE", "20", "SUPPORTFIRST_BACKGROUND_NICE:"),
        ("SUPPORTFIRST_BACKGROUND_NICE", "-5", "SUPPORTFIRST_BACKGROUND_NICE:"),
        (
            "SUPPORTFIRST_DNS_SERVER",
            "127.0.0.1:dns",
            "SUPPORTFIRST_DNS_SERVER: '127.0.0.1:dns' is not host:port",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert says in str(raised.value) and "\n" not in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_a_dkim_key_that_cannot_be_read_is_refused_at_start(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_text("not a key")
    for key_file, says in ((tmp_path / "none.pem", "No such file"), (tmp_path / "key.pem", "PEM")):
        with pytest.raises(SettingsError, match=says):
            load_settings(dkim_selector="sf2025", dkim_key_file=key_file)


async def test_serve_with_a_mistyped_review_time_exits_at_once_naming_it(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "supportfirst",
        "serve",
        "--port",
        str(free_port()),
        env={
            **os.environ,
            "SUPPORTFIRST_DATA_DIR": str(tmp_path),
            "SUPPORTFIRST_REVIEW_TIME": "6pm",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode != 0 and b"serving on" not in out
    assert err.decode().splitlines() == [
        "supportfirst: SUPPORTFIRST_REVIEW_TIME: '6pm' is not a time of day (HH:MM, 24-hour)"
    ]


class DyingAlerts:
    """Alerts whose loop fails in a way it cannot recover from."""

    closed = False

    async def run_forever(self) -> None:
        raise RuntimeError("the alerts log is on a disk that went away")

    async def close(self) -> None:
        self.closed = True


async def test_a_loop_that_dies_stops_serve_with_its_error(tmp_path: Path) -> None:
    alerts = DyingAlerts()
    app = bootstrap(Settings(data_dir=tmp_path / "data"), alerts=alerts)  # type: ignore[arg-type]
    try:
        with pytest.raises(LoopDied, match="the alerts loop stopped: RuntimeError: the alerts log"):
            await asyncio.wait_for(serve_forever(app, "127.0.0.1", free_port()), 30)
    finally:
        await app.close()
    assert alerts.closed
