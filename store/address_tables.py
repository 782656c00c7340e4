"""Parents' postal addresses: every version kept, from the day it was first seen."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class ParentAddress(SQLModel, table=True):
    """One address of one parent. A change of address adds a row; none is ever overwritten,
    because the pack must show where each letter was sent and when the address changed."""

    __tablename__ = "parent_address"
    id: int | None = Field(default=None, primary_key=True)
    parent_id: str = Field(foreign_key="parent.parent_id", index=True)
    line_1: str
    line_2: str
    town: str
    postcode: str
    first_seen_on: date
    source: str  # the parents file it was imported from
