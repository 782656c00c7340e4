"""The case pages' tables: one-time sign-in links and the sessions they open (hashes only)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class SignInLinkRow(SQLModel, table=True):
    __tablename__ = "web_sign_in_link"
    token_sha256: str = Field(primary_key=True)
    staff_id: str = Field(index=True)
    expires_at: datetime
    created_by: str
    used_at: datetime | None = None


class WebSessionRow(SQLModel, table=True):
    __tablename__ = "web_session"
    token_sha256: str = Field(primary_key=True)
    staff_id: str = Field(index=True)
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    how: str
