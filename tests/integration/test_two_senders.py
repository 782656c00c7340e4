"""Two `serve` processes on one PostgreSQL database share a batch of letters through row claims
(FOR UPDATE SKIP LOCKED): each letter is sent once, by one of them, and each parent's Maildir
behind real Postfix and Dovecot holds exactly one copy."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import email_validator
import pytest
from sqlalchemy import text

from casework.evidence import outbox_status
from casework.sending import send_letter
from supportfirst.bootstrap import App, bootstrap
from tests.cases import HEAD
from tests.conftest import truncate
from tests.integration.test_serve import start_serve
from tests.mailcases import consenting_families, relay_settings
from tests.mailservers import MailServers

N = 300
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
ON = date(2025, 3, 10)


@pytest.fixture(autouse=True)
def test_domains_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    names = [n for n in email_validator.SPECIAL_USE_DOMAIN_NAMES if n != "test"]
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", names)


@pytest.fixture
async def school(pg_url: str, tmp_path: Path, mail_servers: MailServers) -> AsyncIterator[App]:
    truncate(pg_url)
    app = bootstrap(relay_settings(tmp_path / "data", mail_servers), pg_url, migrate=False)
    await consenting_families(app, "D", N, ON, NOW)
    yield app
    await app.close()


async def serve(app: App, pg_url: str) -> asyncio.subprocess.Process:
    return await start_serve(
        {
            "SUPPORTFIRST_DATA_DIR": str(app.settings.data_dir),
            "SUPPORTFIRST_DATABASE_URL": pg_url,
            "SUPPORTFIRST_SMTP_URL": str(app.settings.smtp_url),
            "SUPPORTFIRST_FROM": app.settings.from_address,
            "SUPPORTFIRST_SEND_BATCH": "10",
            "SUPPORTFIRST_SENDER_IDLE_SECONDS": "0.2",
        },
        "sending through",
    )


async def test_two_serve_processes_share_a_batch_and_send_nothing_twice(
    school: App, pg_url: str, mail_servers: MailServers
) -> None:
    procs = [await serve(school, pg_url), await serve(school, pg_url)]
    try:
        for upn in [f"D{i:012d}" for i in range(1, N + 1)]:
            await send_letter(
                school.uow(), school.mailroom(), "initial_concern", upn, HEAD, ON, NOW
            )
        for _ in range(600):
            if (await outbox_status(school.uow()))["sent"] == N:
                break
            await asyncio.sleep(0.1)
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            await asyncio.wait_for(p.wait(), 30)
    assert await outbox_status(school.uow()) == {"queued": 0, "sending": 0, "sent": N, "failed": 0}
    async with school.engine.connect() as conn:
        attempts = (await conn.execute(text("SELECT mail_id, worker FROM send_attempt"))).all()
        recipients = (await conn.execute(text("SELECT recipient FROM outgoing_mail"))).scalars()
        addresses = list(recipients)
    assert len(attempts) == N and len({m for m, _ in attempts}) == N  # one hand-over each
    assert len({w for _, w in attempts}) == 2  # both processes took part
    for address in addresses:
        assert len(await mail_servers.wait_for(address, 1, timeout=60)) == 1
    await mail_servers.wait_until_queue_empty()  # nothing still on its way before counting
    assert all(len(mail_servers.delivered(a)) == 1 for a in addresses)
