"""Secrets are SecretStr in the settings and never shown: not in the settings' repr, not in a
URL error, not in a redacted URL (issue 13 point 3)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from mail.inbox import ImapAccount, InboxUrlError
from supportfirst.settings import Settings, redacted, reveal

SECRETS = {
    "slack_signing_secret": "sign-s3cret",
    "slack_bot_token": "xoxb-s3cret",
    "slack_app_token": "xapp-s3cret",
    "slack_client_secret": "client-s3cret",
}
URLS = {
    "database_url": "postgresql://sf:db-s3cret@db.example/sf",
    "smtp_url": "smtps://sf:smtp-s3cret@relay.example:465",
    "imap_url": "imaps://sf:imap-s3cret@mail.example/INBOX",
    "teams_webhook_url": "https://teams.example/workflows?sig=hook-s3cret",
}


def test_tokens_and_keys_are_secret_strings_that_never_print() -> None:
    s = Settings(**SECRETS, **URLS)  # type: ignore[arg-type]
    for name, value in SECRETS.items():
        field = getattr(s, name)
        assert isinstance(field, SecretStr) and reveal(field) == value
    shown = f"{s!r} {s}"
    assert "s3cret" not in shown
    assert reveal(None) is None


@pytest.mark.parametrize("url", URLS.values())
def test_a_redacted_url_shows_no_password_nor_webhook_key(url: str) -> None:
    shown = redacted(url)
    assert "s3cret" not in shown and shown.split(":", 1)[0] == url.split(":", 1)[0]


def test_a_url_with_a_colon_in_its_password_is_still_redacted() -> None:
    assert redacted("smtp://sf:a:b@c@relay.example:25") == "smtp://sf:***@relay.example:25"


def test_a_mail_url_error_does_not_echo_its_password() -> None:
    with pytest.raises(InboxUrlError) as raised:
        ImapAccount.from_url("imaps://office:imap-s3cret@/INBOX")
    assert "s3cret" not in str(raised.value) and "office:***@" in str(raised.value)


def test_an_unsupported_database_url_error_does_not_echo_its_password() -> None:
    from store.db import DatabaseUrlError, async_url

    with pytest.raises(DatabaseUrlError) as raised:
        async_url("mysql://sf:db-s3cret@db.example/sf")
    assert "s3cret" not in str(raised.value) and "mysql://sf:***@db.example/sf" in str(raised.value)
