"""The chat tables: staff and their roles, where alerts go, and each alert as posted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from casework import records
from store.tables import one_of


class StaffMember(SQLModel, table=True):
    """A member of staff: their role, how parents reach them, and the Slack user they are."""

    __tablename__ = "staff_member"
    id: str = Field(primary_key=True)
    slack_user_id: str | None = Field(default=None, unique=True)
    name: str
    role: str  # attendance_officer | dsl | senior_attendance_champion | read_only
    email: str = ""
    phone: str = ""
    all_schools: bool = False  # a trust or LA role: every school's pupils
    added_at: datetime


class StaffSchool(SQLModel, table=True):
    """A school whose pupils a member of staff works with."""

    __tablename__ = "staff_school"
    staff_id: str = Field(foreign_key="staff_member.id", primary_key=True)
    school_urn: str = Field(primary_key=True)  # may come before the schools file


class SchoolContact(SQLModel, table=True):
    """How parents reach a school (`school set`), kept apart from the imported schools file."""

    __tablename__ = "school_contact"
    urn: str = Field(foreign_key="school.urn", primary_key=True)
    address: str = ""
    phone: str = ""
    email: str = ""
    champion: str = ""
    updated_at: datetime


class AlertRoute(SQLModel, table=True):
    """Where alerts of a kind go: `slack:CHANNEL`, `slack-dm:USER`, `teams` or `console`;
    for one school's pupils, or (school_urn "") every school's."""

    __tablename__ = "alert_route"
    __table_args__ = (UniqueConstraint("kind", "destination", "school_urn"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # an event kind, or * for every kind
    destination: str
    school_urn: str = ""
    added_at: datetime


class SlackWorkspaceSchool(SQLModel, table=True):
    """A school a Slack workspace (team) works for: its users see only those pupils."""

    __tablename__ = "slack_workspace_school"
    team_id: str = Field(primary_key=True)
    school_urn: str = Field(primary_key=True)
    added_at: datetime


class SlackRequestSeen(SQLModel, table=True):
    """A signed Slack request already run (signature and timestamp), so a replay or a retry
    inside Slack's 5-minute window is acknowledged without running it again."""

    __tablename__ = "slack_request_seen"
    signature: str = Field(primary_key=True)
    seen_at: datetime = Field(index=True)


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
