"""Settings from the environment (or a `.env` file), as CONTRACT.md names them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_prefix="SUPPORTFIRST_", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Path("./supportfirst-data")
    database_url: str | None = None
    smtp_url: str | None = None
    imap_url: str | None = None
    imap_sent_folder: str | None = None  # e.g. "Sent": keep a copy of each email sent there
    inbox_maildir: Path | None = None
    from_address: str = Field(default="attendance@localhost", alias="SUPPORTFIRST_FROM")
    dkim_selector: str | None = None  # with dkim_key_file: sign every message (DKIM)
    dkim_key_file: Path | None = None  # the PEM private key for <selector>._domainkey.<domain>
    smtp_ca_file: str | None = None  # a CA bundle to trust for the relay's certificate
    smtp_dsn: bool = False  # ask for delivery reports (NOTIFY=SUCCESS,FAILURE) when offered
    smtp_connections: int = 2  # connections the sender keeps open to the relay
    ingest_batch: int = 200  # messages filed per transaction
    send_batch: int = 200  # emails one worker claims at a time (bench/README.md: 200 > 50)
    sender_idle_seconds: float = 2.0  # how often an idle sender looks for new mail to send
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")  # Socket Mode
    # Multi-workspace installs (Bolt's OAuth flow at /slack/install): the app's credentials.
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: str | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_team_id: str | None = None  # with OAuth: the workspace alerts are posted in
    slack_api_url: str | None = None  # SUPPORTFIRST_SLACK_API_URL: tests point it at a stand-in
    slack_alert_channel: str | None = None  # where alerts go when no route says otherwise
    teams_webhook_url: str | None = None  # a Teams Workflows webhook for alerts
    case_url: str | None = None  # e.g. https://supportfirst.school.example/cases/{upn}
    review_time: str = "18:00"  # local time the daily review runs, after registers close

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'supportfirst.db').resolve()}"
