"""The chat tables: staff and their roles, where alerts go, and each alert as posted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from casework import records
from store.tables import one_of


class StaffMember(SQLModel, table=True):
    """Who may do what from chat: a Slack user and their role."""

    __tablename__ = "staff_member"
    slack_user_id: str = Field(primary_key=True)
    name: str
    role: str  # attendance_officer | dsl | senior_attendance_champion | read_only
    added_at: datetime


class AlertRoute(SQLModel, table=True):
    """Where alerts of a kind go: `slack:CHANNEL`, `slack-dm:USER`, `teams` or `console`."""

    __tablename__ = "alert_route"
    __table_args__ = (UniqueConstraint("kind", "destination"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # an event kind, or * for every kind
    destination: str
    added_at: datetime


class AlertPost(SQLModel, table=True):
    """One alert shown at one destination: `posting` is written before the post, `posted`
    (with the message's channel and ts) after, so a restart neither loses nor repeats it."""

    __tablename__ = "alert_post"
    __table_args__ = (
        UniqueConstraint("event_id", "destination"),
        one_of("alert_post", "state", records.AlertState),
    )
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(index=True)
    destination: str
    state: str
    thread_key: str | None = Field(default=None, index=True)
    channel: str | None = None
    ts: str | None = None
    started_at: datetime
    posted_at: datetime | None = None
