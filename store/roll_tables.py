"""The span each school has marked each pupil over: the threshold's first look at missing
registers reads each school's own weeks of term for it (attendance/registers.py)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class PupilRoll(SQLModel, table=True):
    """One school's first and last mark for one pupil, kept by the marks import (store/rolls.py).
    `last_day` is None while the school was the pupil's school of record when it last marked
    them: the span runs on, and the daily import has nothing to update for it."""

    __tablename__ = "pupil_roll"
    upn: str = Field(foreign_key="pupil.upn", primary_key=True)
    school_urn: str = Field(foreign_key="school.urn", primary_key=True)
    first_day: date
    last_day: date | None = None
