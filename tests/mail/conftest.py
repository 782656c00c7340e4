"""Fixtures for the mail tests: the SMTP sink, and a school wired to real Postfix and Dovecot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import email_validator
import pytest

from supportfirst.bootstrap import App, bootstrap
from supportfirst.settings import Settings
from tests.cases import one_family
from tests.mail.smtpservers import smtp_sink
from tests.mailservers import MailServers, unique_address
from tests.slackapi import slack_api

__all__ = ["smtp_sink", "slack_api", "school", "test_domains_are_valid"]
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def test_domains_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fixtures' domains are under .test, which email-validator refuses as special-use.
    names = [n for n in email_validator.SPECIAL_USE_DOMAIN_NAMES if n != "test"]
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", names)


@pytest.fixture
async def school(
    db_url: str, tmp_path: Path, mail_servers: MailServers, test_domains_are_valid: None
) -> AsyncIterator[App]:
    office = unique_address("attendance", "school.test")
    settings = Settings(
        data_dir=tmp_path / "data",
        SUPPORTFIRST_FROM=office,
        smtp_url=f"smtp://{mail_servers.smtp_host}:{mail_servers.smtp_port}",
        imap_url=f"imap://{office}:{mail_servers.password}@{mail_servers.imap_host}:"
        f"{mail_servers.imap_port}/INBOX",
    )
    application = bootstrap(settings, db_url, migrate=False)
    await one_family(application, NOW)
    yield application
    await application.close()
